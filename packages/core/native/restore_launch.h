#ifndef CRAC_RESTORE_LAUNCH_H
#define CRAC_RESTORE_LAUNCH_H

#include <sys/types.h>

/*
 * As `crac_restore_helper launch`: dies with `parent`, runs `criu_argv` as PID 1
 * of a new PID and mount namespace, forwards signals to it; its exit code, mirrored.
 */
int restore_launch(pid_t parent, char **criu_argv);

#endif
