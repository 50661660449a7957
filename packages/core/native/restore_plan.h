#ifndef CRAC_RESTORE_PLAN_H
#define CRAC_RESTORE_PLAN_H

#include <stddef.h>

/* A restore plan that still holds (src/cli/restorePlan.ts writes them): what to run. */
struct restore_plan {
  char *text;        /* the plan file; the strings below point into it */
  const char *helper; /* the real path of the restore helper the plan names */
  char **criu_argv;  /* CRIU's command line, NULL-terminated, "@WORK_DIR@" for the work directory */
  char **criu_env;   /* NAME=VALUE for CRIU's environment, NULL-terminated */
  char **notes;      /* what to say before restoring, NULL-terminated */
};

/*
 * The user's private runtime directory, $TMPDIR/node-crac-UID, as crac uses it:
 * ours, not a symlink, writable by nobody else, reached through directories
 * only we and root can change (root-owned sticky ones such as /tmp allowed).
 * 0, or -1 with `why` filled.
 */
int runtime_dir(char *out, size_t len, char *why, size_t why_len);

/*
 * Loads the plan of the image in `image_dir` and checks that it still holds:
 * same boot, user, capabilities and environment, every file it names with the
 * identity it had. 0 when it holds; otherwise -1 with `why` filled (the caller
 * then takes the full path, which checks everything and says what is wrong).
 */
int restore_plan_load(const char *image_dir, struct restore_plan *plan, char *why, size_t why_len);

void restore_plan_free(struct restore_plan *plan);

#endif
