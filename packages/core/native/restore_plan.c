/*
 * Reading and checking a restore plan (src/cli/restorePlan.ts has its format).
 * The plan is trusted only from the user's private runtime directory, and each
 * of its lines is a condition that must still hold; the first that does not
 * ends the check with a reason, and the caller takes the full path.
 */
#define _GNU_SOURCE
#include "restore_plan.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORMAT "node-crac restore plan 1"
#define MAX_PLAN_BYTES (4 * 1024 * 1024)

static int fail(char *why, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  return -1;
}

/* Whether someone other than us and root could change this entry. */
static int writable_by_others(const struct stat *st) {
  if (st->st_uid != 0 && st->st_uid != geteuid()) return 1;
  if (st->st_mode & S_IWOTH) return 1;
  return (st->st_mode & S_IWGRP) && st->st_gid != 0;
}

/* Node's os.tmpdir(): TMPDIR, TMP, TEMP or /tmp, without a trailing slash. */
static void temp_base(char *out, size_t len) {
  const char *names[] = { "TMPDIR", "TMP", "TEMP" };
  const char *base = "/tmp";
  for (size_t i = 0; i < 3; i++) {
    const char *v = getenv(names[i]);
    if (v && *v) {
      base = v;
      break;
    }
  }
  snprintf(out, len, "%s", base);
  size_t n = strlen(out);
  if (n > 1 && out[n - 1] == '/') out[n - 1] = '\0';
}

int runtime_dir(char *out, size_t len, char *why, size_t why_len) {
  char base[PATH_MAX], real[PATH_MAX];
  temp_base(base, sizeof base);
  if (!realpath(base, real)) return fail(why, why_len, "%s: %s", base, strerror(errno));
  for (;;) {
    struct stat st;
    if (lstat(real, &st) != 0) return fail(why, why_len, "%s: %s", real, strerror(errno));
    int sticky_root = st.st_uid == 0 && (st.st_mode & S_ISVTX);
    if (writable_by_others(&st) && !sticky_root) return fail(why, why_len, "%s can be changed by another user", real);
    if (strcmp(real, "/") == 0) break;
    char *end = strrchr(real, '/');
    if (end == real) end[1] = '\0';
    else *end = '\0';
  }
  if ((size_t)snprintf(out, len, "%s/node-crac-%u", base, (unsigned)geteuid()) >= len) return fail(why, why_len, "%s: path too long", base);
  struct stat st;
  if (lstat(out, &st) != 0) return fail(why, why_len, "%s: %s", out, strerror(errno));
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || writable_by_others(&st))
    return fail(why, why_len, "%s is not a directory of ours that only we can write to", out);
  return 0;
}

/* FNV-1a, 64 bits: the plan's file name (restorePlan.ts fnv1a64). */
static uint64_t fnv1a64(const char *s) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (; *s; s++) hash = (hash ^ (unsigned char)*s) * 0x100000001b3ULL;
  return hash;
}

/* The whole plan file, NUL-terminated, opened only as a regular file of ours that nobody else can read or write. */
static char *read_plan(const char *path, char *why, size_t why_len) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    fail(why, why_len, errno == ENOENT ? "no plan for this image (%s)" : "%s: %s", path, strerror(errno));
    return NULL;
  }
  char *text = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    fail(why, why_len, "%s: %s", path, strerror(errno));
  } else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) || st.st_size > MAX_PLAN_BYTES) {
    fail(why, why_len, "%s is not a plan of ours (a regular file, mode 0600, under %d bytes)", path, MAX_PLAN_BYTES);
  } else if (!(text = malloc((size_t)st.st_size + 1))) {
    fail(why, why_len, "out of memory");
  } else {
    size_t got = 0;
    while (got < (size_t)st.st_size) {
      ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fail(why, why_len, "%s: %s", path, n < 0 ? strerror(errno) : "shorter than it was");
        free(text);
        text = NULL;
        break;
      }
      got += (size_t)n;
    }
    if (text) text[got] = '\0';
  }
  close(fd);
  return text;
}

/* "kind dev ino mode uid gid size mtime-ns ctime-ns path": whether the entry at path still has it. */
static int same_identity(const char *kind, char *rest, char *why, size_t why_len) {
  unsigned long long n[8];
  char *p = rest;
  for (int i = 0; i < 8; i++) {
    char *end;
    errno = 0;
    n[i] = strtoull(p, &end, 10);
    if (errno || end == p || *end != ' ') return fail(why, why_len, "a damaged %s line", kind);
    p = end + 1;
  }
  const char *path = p;
  struct stat st;
  int r = strcmp(kind, "stat") == 0 ? stat(path, &st) : lstat(path, &st);
  if (r != 0) return fail(why, why_len, "%s: %s", path, strerror(errno));
  int tree = strcmp(kind, "tree") == 0;
  unsigned long long mtime = (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec;
  unsigned long long ctime = (unsigned long long)st.st_ctim.tv_sec * 1000000000ULL + (unsigned long long)st.st_ctim.tv_nsec;
  if (n[0] != (unsigned long long)st.st_dev || n[1] != (unsigned long long)st.st_ino || n[2] != st.st_mode || n[3] != st.st_uid || n[4] != st.st_gid)
    return fail(why, why_len, "%s is another file now, or its owner or mode changed", path);
  if (!tree && (n[5] != (unsigned long long)st.st_size || n[6] != mtime || n[7] != ctime))
    return fail(why, why_len, "%s changed since it was checked", path);
  return 0;
}

static int has_caps(const char *hex, char *why, size_t why_len) {
  char *end;
  errno = 0;
  unsigned long long need = strtoull(hex, &end, 16);
  if (errno || end == hex || *end) return fail(why, why_len, "a damaged caps line");
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return fail(why, why_len, "/proc/self/status: %s", strerror(errno));
  char line[256];
  unsigned long long eff = 0;
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "CapEff: %llx", &eff) == 1) found = 1;
  fclose(f);
  if (!found) return fail(why, why_len, "no CapEff in /proc/self/status");
  if (need & ~eff) return fail(why, why_len, "this process lacks capabilities the app held (%llx)", need & ~eff);
  return 0;
}

static int same_boot(const char *boot, char *why, size_t why_len) {
  char now[64] = "";
  FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
  if (!f) return fail(why, why_len, "boot_id: %s", strerror(errno));
  if (!fgets(now, sizeof now, f)) now[0] = '\0';
  fclose(f);
  now[strcspn(now, "\n")] = '\0';
  return strcmp(now, boot) == 0 ? 0 : fail(why, why_len, "the plan is from another boot");
}

/* "NAME=value" as this process has it, or "NAME" unset. */
static int same_env(const char *spec, int set, char *why, size_t why_len) {
  const char *eq = set ? strchr(spec, '=') : spec + strlen(spec);
  if (!eq) return fail(why, why_len, "a damaged env line");
  char name[128];
  if ((size_t)(eq - spec) >= sizeof name) return fail(why, why_len, "a damaged env line");
  memcpy(name, spec, (size_t)(eq - spec));
  name[eq - spec] = '\0';
  const char *value = getenv(name);
  if (set ? value && strcmp(value, eq + 1) == 0 : !value) return 0;
  return fail(why, why_len, "%s is not what it was when the plan was written", name);
}

/* Appends `item` to a NULL-terminated array. */
static int push(char ***list, size_t *count, char *item) {
  char **grown = realloc(*list, (*count + 2) * sizeof **list);
  if (!grown) return -1;
  grown[(*count)++] = item;
  grown[*count] = NULL;
  *list = grown;
  return 0;
}

int restore_plan_load(const char *image_dir, struct restore_plan *plan, char *why, size_t why_len) {
  memset(plan, 0, sizeof *plan);
  char runtime[PATH_MAX], real[PATH_MAX], path[PATH_MAX + 64];
  if (!realpath(image_dir, real)) return fail(why, why_len, "%s: %s", image_dir, strerror(errno));
  if (runtime_dir(runtime, sizeof runtime, why, why_len) != 0) return -1;
  snprintf(path, sizeof path, "%s/plans/%016" PRIx64 ".plan", runtime, fnv1a64(real));
  struct stat st;
  char plans[PATH_MAX + 8];
  snprintf(plans, sizeof plans, "%s/plans", runtime);
  if (lstat(plans, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
    return fail(why, why_len, "%s is not a directory of ours that only we can write to", plans);
  if (!(plan->text = read_plan(path, why, why_len))) return -1;

  size_t argc = 0, envc = 0, notec = 0;
  int first = 1, keyed = 0;
  for (char *line = plan->text, *next; *line; line = next) {
    char *nl = strchr(line, '\n');
    if (!nl) {
      restore_plan_free(plan);
      return fail(why, why_len, "the plan is cut short");
    }
    *nl = '\0';
    next = nl + 1;
    if (first) {
      first = 0;
      if (strcmp(line, FORMAT) == 0) continue;
      restore_plan_free(plan);
      return fail(why, why_len, "not a plan of this version");
    }
    char *rest = strchr(line, ' ');
    if (!rest) {
      restore_plan_free(plan);
      return fail(why, why_len, "a damaged line");
    }
    *rest++ = '\0';
    int r = 0;
    if (strcmp(line, "key") == 0) {
      keyed = 1;
      if (strcmp(rest, real) != 0) r = fail(why, why_len, "the plan is for %s", rest);
    } else if (strcmp(line, "boot") == 0) r = same_boot(rest, why, why_len);
    else if (strcmp(line, "uid") == 0) r = strtoul(rest, NULL, 10) == geteuid() ? 0 : fail(why, why_len, "the plan is another user's");
    else if (strcmp(line, "caps") == 0) r = has_caps(rest, why, why_len);
    else if (strcmp(line, "env") == 0) r = same_env(rest, 1, why, why_len);
    else if (strcmp(line, "unset") == 0) r = same_env(rest, 0, why, why_len);
    else if (strcmp(line, "tree") == 0 || strcmp(line, "lstat") == 0 || strcmp(line, "stat") == 0) r = same_identity(line, rest, why, why_len);
    else if (strcmp(line, "helper") == 0) plan->helper = rest;
    else if (strcmp(line, "criu-env") == 0) r = push(&plan->criu_env, &envc, rest) ? fail(why, why_len, "out of memory") : 0;
    else if (strcmp(line, "note") == 0) r = push(&plan->notes, &notec, rest) ? fail(why, why_len, "out of memory") : 0;
    else if (strcmp(line, "arg") == 0) r = push(&plan->criu_argv, &argc, rest) ? fail(why, why_len, "out of memory") : 0;
    else r = fail(why, why_len, "an unknown line \"%s\"", line);
    if (r != 0) {
      restore_plan_free(plan);
      return -1;
    }
  }
  if (!keyed || !plan->helper || argc == 0) {
    restore_plan_free(plan);
    return fail(why, why_len, "the plan is incomplete");
  }
  static char *none[] = { NULL };
  if (!plan->criu_env) plan->criu_env = none;
  if (!plan->notes) plan->notes = none;
  return 0;
}

void restore_plan_free(struct restore_plan *plan) {
  free(plan->text);
  if (plan->criu_argv) free(plan->criu_argv);
  if (plan->criu_env && plan->criu_env[0]) free(plan->criu_env);
  if (plan->notes && plan->notes[0]) free(plan->notes);
  memset(plan, 0, sizeof *plan);
}
