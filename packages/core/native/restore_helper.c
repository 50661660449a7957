/*
 * crac_restore_helper: the two processes of `crac restore` that JavaScript cannot be.
 *
 *   crac_restore_helper launch <parent-pid> <criu> <criu args...>
 *     Dies with its parent (PR_SET_PDEATHSIG), makes a new PID and mount namespace
 *     whose PID 1 runs `criu restore` (so many copies of one image can run at once,
 *     each with the pids it was dumped with), forwards signals to it and exits with
 *     its status.
 *
 *   crac_restore_helper wait
 *     Run by CRIU as `--exec-cmd` once the tree is restored: it replaces CRIU as
 *     PID 1 of the namespace, i.e. the restored root's parent. Forwards signals,
 *     reaps, and exits with the app's status (128+n for a signal), as a shell would.
 *
 *   crac_restore_helper restore-fast <crac.js> DIR [options] [-- args]
 *     `crac-restore`: the restore from a plan, without Node (fast_restore.c).
 *
 *   crac_restore_helper   (no arguments, CRTOOLS_SCRIPT_ACTION set)
 *     Run by CRIU as `--action-script`: the kdat cache's part (kdat_cache.c).
 *
 * When the launcher dies (even by SIGKILL) PID 1 gets SIGKILL, and the kernel
 * then kills every process of the namespace: no orphaned server is left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fast_restore.h"
#include "kdat_cache.h"
#include "restore_launch.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT };
static volatile pid_t target = -1;

static void forward(int sig) {
  if (target > 0) kill(target, sig);
}

static int forward_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigfillset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
    if (sigaction(forwarded[i], &sa, NULL) != 0) {
      fprintf(stderr, "crac_restore_helper: sigaction(%s): %s\n", strsignal(forwarded[i]), strerror(errno));
      return -1;
    }
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) {
    perror("crac_restore_helper: sigprocmask");
    return -1;
  }
  return 0;
}

/* Exit code of a shell for a wait status: the code, or 128+n for signal n. */
static int mirrored(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/* Waits for `pid`, reaping any other child on the way (PID 1 inherits orphans). */
static int wait_for(pid_t pid) {
  for (;;) {
    int status;
    pid_t got = waitpid(-1, &status, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      perror("crac_restore_helper: waitpid");
      return 1;
    }
    if (got == pid) return mirrored(status);
  }
}

int restore_launch(pid_t parent, char **criu_argv) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    perror("crac_restore_helper: prctl(PR_SET_PDEATHSIG)");
    return 1;
  }
  /* Checked after PR_SET_PDEATHSIG: a parent gone before it would never kill us. */
  pid_t actual = getppid();
  if (actual != parent) {
    fprintf(stderr, "crac_restore_helper: <parent-pid> %d is not our parent (that is %d): the parent is gone or the pid is wrong\n",
            (int)parent, (int)actual);
    return 1;
  }
  if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) {
    perror("crac_restore_helper: unshare(CLONE_NEWPID|CLONE_NEWNS) (needs root)");
    return 1;
  }
  int alive[2]; /* the child sees EOF here once the launcher is gone */
  if (pipe(alive) != 0) {
    perror("crac_restore_helper: pipe");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("crac_restore_helper: fork");
    return 1;
  }
  if (child == 0) {
    /* PID 1 of the new namespace. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      perror("crac_restore_helper: prctl(PR_SET_PDEATHSIG) in the namespace");
      _exit(1);
    }
    close(alive[1]);
    struct pollfd pfd = { .fd = alive[0], .events = POLLIN };
    int ready = poll(&pfd, 1, 0);
    if (ready < 0) {
      perror("crac_restore_helper: poll");
      _exit(1);
    }
    if (ready > 0) { /* launcher died before PDEATHSIG was set */
      fprintf(stderr, "crac_restore_helper: the launcher died before the restore started\n");
      _exit(1);
    }
    close(alive[0]);
    if (setsid() < 0) { /* a terminal's ^C reaches the launcher only, which forwards it once */
      perror("crac_restore_helper: setsid");
      _exit(1);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
      perror("crac_restore_helper: mount /proc");
      _exit(1);
    }
    if (kdat_cache_prepare() != 0) _exit(1);
    execv(criu_argv[0], criu_argv);
    fprintf(stderr, "crac_restore_helper: cannot execute %s: %s\n", criu_argv[0], strerror(errno));
    _exit(127);
  }
  close(alive[0]);
  target = child;
  if (forward_signals() != 0) {
    kill(child, SIGKILL);
    wait_for(child);
    return 1;
  }
  return wait_for(child);
}

/* CRIU exec'd us in its own place: our only child is the restored root. -1 once it has said why not. */
static pid_t restored_root(void) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "crac_restore_helper: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  int pid = -1;
  if (fscanf(f, "%d", &pid) != 1 || pid <= 0) {
    fprintf(stderr, "crac_restore_helper: no restored process to wait for (run by criu --exec-cmd only)\n");
    pid = -1;
  }
  fclose(f);
  return (pid_t)pid;
}

static int restore_wait(void) {
  target = restored_root();
  if (target <= 0 || forward_signals() != 0) return 1;
  return wait_for(target);
}

/*
 * Into CRIU's log (an action's stderr): the wall time of the action, which
 * anchors the log's relative timestamps for `crac restore`'s timings.
 */
static void mark_action(const char *action) {
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
    perror("crac_restore_helper: clock_gettime");
    return;
  }
  fprintf(stderr, "crac_restore_helper: action %s at %lld.%06ld\n", action, (long long)now.tv_sec, now.tv_nsec / 1000);
}

/* Decimal digits only, 1..INT_MAX: atoi would take "", "12abc" or " -3" without a word. */
static int parse_pid(const char *s, pid_t *out) {
  if (*s < '0' || *s > '9') return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v <= 0 || v > INT_MAX) return -1;
  *out = (pid_t)v;
  return 0;
}

int main(int argc, char **argv) {
  const char *action = getenv("CRTOOLS_SCRIPT_ACTION");
  if (argc == 1 && action) { /* run by criu --action-script */
    mark_action(action);
    return kdat_cache_action(action);
  }
  if (argc >= 2 && strcmp(argv[1], "wait") == 0) return restore_wait();
  if (argc >= 3 && strcmp(argv[1], "restore-fast") == 0) return fast_restore(argv[2], argc - 3, argv + 3);
  if (argc >= 4 && strcmp(argv[1], "launch") == 0) {
    pid_t parent;
    if (parse_pid(argv[2], &parent) != 0) {
      fprintf(stderr, "crac_restore_helper: bad <parent-pid> \"%s\": expected a process id (a positive decimal integer)\n", argv[2]);
      return 2;
    }
    return restore_launch(parent, argv + 3);
  }
  fprintf(stderr, "usage: crac_restore_helper launch <parent-pid> <criu> <args...> | wait | restore-fast <crac.js> <crac restore args...>\n");
  return 2;
}
