/*
 * crac-restore: `crac restore DIR [--env K=V | --env K]... [-- args]` without
 * starting Node, from the plan that the last checkpoint or full restore of DIR
 * wrote once its checks passed (restore_plan.c). It does what src/cli/restore.ts
 * does on its way: the payload pipe, CRIU's unlinked log, a private work
 * directory, stdio CRIU can reopen, the restore helper's namespaces, signals,
 * the log limit and the resume timeout. Whatever it does not do (another
 * option, no plan or one that no longer holds, a CRIU that failed before
 * anything of the app ran) it hands to `node crac.js restore` with the same
 * arguments, which checks everything and explains.
 */
#define _GNU_SOURCE
#include "fast_restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "restore_launch.h"
#include "restore_plan.h"

#define RESTORE_FAILED_EXIT_CODE 75 /* src/resumed/restoreFailure.ts */
#define MAX_PAYLOAD_BYTES (60 * 1024)
#define MONITOR_MS 25
#define RESUME_TIMEOUT_MS 30000
#define DEFAULT_LOG_LIMIT_MB 64
#define WORK_DIR_SLOT "@WORK_DIR@"

static volatile pid_t launcher = -1;
static volatile int stop_requests = 0;

static void forward(int sig) {
  if ((sig == SIGINT || sig == SIGTERM) && ++stop_requests > 1) sig = SIGKILL;
  if (launcher > 0) kill(launcher, sig);
}

static double wall_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static double mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("crac-restore: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* A growing string: the payload's JSON, the timings record. */
struct text {
  char *s;
  size_t len, cap;
  int broken;
};

static void add(struct text *t, const char *s, size_t n) {
  if (t->broken) return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->len + n + 1) * 2;
    char *grown = realloc(t->s, cap);
    if (!grown) {
      t->broken = 1;
      return;
    }
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}

static void add_str(struct text *t, const char *s) { add(t, s, strlen(s)); }

/* `s` (its first `n` bytes) as a JSON string. */
static void add_json(struct text *t, const char *s, size_t n) {
  add_str(t, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      add(t, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      add_str(t, esc);
    } else {
      add(t, (const char *)&c, 1);
    }
  }
  add_str(t, "\"");
}

/* The arguments this launcher takes itself; 0, or -1 when the full path should have them. */
struct request {
  const char *image_dir;
  struct text payload;
};

static int env_name_ok(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9'))) return 0;
  }
  return 1;
}

static int parse_request(int argc, char **argv, struct request *req) {
  memset(req, 0, sizeof *req);
  struct text *p = &req->payload;
  add_str(p, "{\"env\":{");
  int i = 0, envs = 0;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
      const char *pair = argv[++i];
      const char *eq = strchr(pair, '=');
      size_t name_len = eq ? (size_t)(eq - pair) : strlen(pair);
      if (!env_name_ok(pair, name_len)) return -1;
      const char *value = eq ? eq + 1 : getenv(pair);
      if (!value) return -1;
      if (envs++) add_str(p, ",");
      add_json(p, pair, name_len);
      add_str(p, ":");
      add_json(p, value, strlen(value));
    } else if (argv[i][0] != '-' && !req->image_dir) {
      req->image_dir = argv[i];
    } else {
      return -1;
    }
  }
  if (!req->image_dir) return -1;
  add_str(p, "},\"args\":[");
  for (int first = 1, j = i + 1; j < argc; j++, first = 0) {
    if (!first) add_str(p, ",");
    add_json(p, argv[j], strlen(argv[j]));
  }
  char tail[64];
  snprintf(tail, sizeof tail, "],\"restoreWallTime\":%.0f}", wall_ms());
  add_str(p, tail);
  return p->broken || p->len > MAX_PAYLOAD_BYTES ? -1 : 0;
}

/* Runs `node crac.js restore <args>`: the full path. Returns only when node cannot be run. */
static int full_path(const char *crac_js, int argc, char **argv) {
  char **node_argv = calloc((size_t)argc + 4, sizeof *node_argv);
  if (!node_argv) {
    say("out of memory");
    return 1;
  }
  node_argv[0] = "node";
  node_argv[1] = (char *)crac_js;
  node_argv[2] = "restore";
  for (int i = 0; i < argc; i++) node_argv[i + 3] = argv[i];
  execvp("node", node_argv);
  say("cannot run node (%s) for crac restore: put Node.js on PATH", strerror(errno));
  free(node_argv);
  return 127;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void remove_tree(const char *path) {
  if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) say("cannot remove %s: %s", path, strerror(errno));
}

/* This process's PID namespace inode, as createProcessDir names directories. */
static unsigned long pid_namespace(void) {
  char link[64] = "";
  ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
  if (n > 0) link[n] = '\0';
  const char *open = strchr(link, '[');
  return open ? strtoul(open + 1, NULL, 10) : 0;
}

/* A fresh `restore-<ns>-<pid>-XXXXXX` in the runtime directory, after removing those of restores that are gone. */
static int make_work_dir(char *out, size_t len) {
  char runtime[PATH_MAX], why[512];
  if (runtime_dir(runtime, sizeof runtime, why, sizeof why) != 0) {
    say("no private directory for CRIU's work: %s", why);
    return -1;
  }
  unsigned long ns = pid_namespace();
  char prefix[64];
  int prefix_len = snprintf(prefix, sizeof prefix, "restore-%lu-", ns);
  DIR *dir = opendir(runtime);
  if (!dir) {
    say("%s: %s", runtime, strerror(errno));
    return -1;
  }
  for (struct dirent *e; (e = readdir(dir));) {
    if (strncmp(e->d_name, prefix, (size_t)prefix_len) != 0) continue;
    long pid = strtol(e->d_name + prefix_len, NULL, 10);
    if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno == EPERM) continue;
    char stale[PATH_MAX + 256];
    snprintf(stale, sizeof stale, "%s/%s", runtime, e->d_name);
    remove_tree(stale);
  }
  closedir(dir);
  if ((size_t)snprintf(out, len, "%s/%s%d-XXXXXX", runtime, prefix, (int)getpid()) >= len || !mkdtemp(out)) {
    say("cannot create a work directory in %s: %s", runtime, strerror(errno));
    return -1;
  }
  return 0;
}

/* CRIU's log: a file in the work directory, unlinked at once so that nothing is left however this ends. */
static int open_log(const char *work_dir) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/restore.log", work_dir);
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    say("cannot create CRIU's log %s: %s", path, strerror(errno));
    return -1;
  }
  if (unlink(path) != 0) {
    say("cannot unlink %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* The first child of `pid`, or 0. */
static pid_t first_child(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int child = 0;
  if (fscanf(f, "%d", &child) != 1) child = 0;
  fclose(f);
  return (pid_t)child;
}

/* Whether CRIU is done: PID 1 of the restore namespace, the launcher's child, is then the helper's waiter. */
static int criu_done(pid_t launch_pid, const char *helper) {
  pid_t init = first_child(launch_pid);
  if (init <= 0) return 0;
  char path[64], exe[PATH_MAX] = "", cmdline[256] = "";
  snprintf(path, sizeof path, "/proc/%d/exe", (int)init);
  ssize_t n = readlink(path, exe, sizeof exe - 1);
  if (n <= 0) return 0;
  exe[n] = '\0';
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)init);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t m = read(fd, cmdline, sizeof cmdline - 1);
  close(fd);
  if (m <= 0) return 0;
  cmdline[m] = '\0';
  const char *second = cmdline + strlen(cmdline) + 1;
  return strcmp(exe, helper) == 0 && second < cmdline + m && strcmp(second, "wait") == 0;
}

/* Whether the app took its payload: nobody writes the pipe, so EOF means it read it all (restore.ts takenFrom). */
static int payload_taken(int fd) {
  char c;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 0;
}

static char *read_log(int fd, size_t limit, size_t *len) {
  struct stat st;
  *len = 0;
  if (fstat(fd, &st) != 0) return NULL;
  size_t size = (size_t)st.st_size < limit ? (size_t)st.st_size : limit;
  char *log = malloc(size + 1);
  if (!log) return NULL;
  ssize_t n = pread(fd, log, size, 0);
  *len = n > 0 ? (size_t)n : 0;
  log[*len] = '\0';
  return log;
}

/* Moves what one relayed pipe has to `to`; 0 at EOF or on error. */
static int relay_once(int from, int to) {
  char buf[65536];
  ssize_t n = read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (n <= 0) return 0;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = write(to, buf + done, (size_t)(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 1; /* our reader is gone: the data is dropped, the app goes on */
    done += w;
  }
  return 1;
}

/* Descriptor `fd` (1 or 2) for CRIU: ours when it is a pipe CRIU can reopen, else a pipe we relay from (restore.ts stdioForApp). */
static int stdio_for_app(int fd, int *relay_read) {
  struct stat st;
  *relay_read = -1;
  if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) return fd;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  *relay_read = p[0];
  return p[1];
}

struct timings {
  const char *file;
  double start;
  struct text marks;
};

static void mark(struct timings *t, const char *phase) {
  if (!t->file) return;
  char at[64];
  snprintf(at, sizeof at, "\",\"at\":%.3f}", wall_ms());
  add_str(&t->marks, t->marks.len ? ",{\"phase\":\"" : "{\"phase\":\"");
  add_str(&t->marks, phase);
  add_str(&t->marks, at);
}

/* The record restoreTimings.ts writes, with CRIU's log for the benchmark to read CRIU's phases from. */
static void write_timings(struct timings *t, const char *log, size_t log_len) {
  if (!t->file) return;
  struct text r = { 0 };
  char head[96];
  snprintf(head, sizeof head, "{\"launcher\":\"native\",\"processStart\":%.3f,\"command\":[", t->start);
  add_str(&r, head);
  if (t->marks.s) add_str(&r, t->marks.s);
  add_str(&r, "],\"criu\":[],\"criuLog\":");
  add_json(&r, log ? log : "", log ? log_len : 0);
  add_str(&r, "}\n");
  int fd = open(t->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || r.broken || write(fd, r.s, r.len) != (ssize_t)r.len) say("cannot write the timings to %s: %s", t->file, strerror(errno));
  if (fd >= 0) close(fd);
  free(r.s);
  free(t->marks.s);
}

/* In the launcher's child: the descriptors CRIU and the helper expect (payload 3, log 4, stdio 1 and 2), nothing else. */
static void arrange_fds(int payload, int log, int out, int err) {
  int want[] = { out, err, payload, log };
  int high[4];
  for (int i = 0; i < 4; i++) {
    if ((high[i] = fcntl(want[i], F_DUPFD_CLOEXEC, 10)) < 0) {
      perror("crac-restore: fcntl(F_DUPFD_CLOEXEC)");
      _exit(1);
    }
  }
  for (int i = 0; i < 4; i++) {
    if (dup2(high[i], i + 1) < 0) {
      perror("crac-restore: dup2");
      _exit(1);
    }
  }
  /* Descriptors we inherited without close-on-exec would reach CRIU and the app. */
  if (syscall(SYS_close_range, 5U, ~0U, 0U) != 0) {
    for (int fd = 5; fd < 4096; fd++) close(fd);
  }
}

int fast_restore(const char *crac_js, int argc, char **argv) {
  struct timings timings = { .file = getenv("CRAC_RESTORE_TIMINGS"), .start = wall_ms() };
  struct request req;
  struct restore_plan plan;
  char why[1024];
  if (parse_request(argc, argv, &req) != 0) {
    free(req.payload.s);
    return full_path(crac_js, argc, argv);
  }
  if (restore_plan_load(req.image_dir, &plan, why, sizeof why) != 0) {
    if (getenv("CRAC_RESTORE_EXPLAIN")) say("full path: %s", why);
    free(req.payload.s);
    return full_path(crac_js, argc, argv);
  }
  mark(&timings, "image checks");
  for (char **note = plan.notes; *note; note++) say("note: %s", *note);

  const char *limit_mb = getenv("CRAC_CRIU_LOG_LIMIT_MB");
  double mb = limit_mb ? strtod(limit_mb, NULL) : DEFAULT_LOG_LIMIT_MB;
  off_t log_limit = (off_t)((mb > 0 ? mb : DEFAULT_LOG_LIMIT_MB) * 1024 * 1024);

  int payload[2] = { -1, -1 }, log = -1, out_relay = -1, err_relay = -1, out = -1, err = -1, code = 1;
  char work_dir[PATH_MAX] = "";
  if (pipe2(payload, O_CLOEXEC) != 0) {
    say("pipe: %s", strerror(errno));
    goto done;
  }
  if (write(payload[1], req.payload.s, req.payload.len) != (ssize_t)req.payload.len) {
    say("cannot write the restore payload: %s", strerror(errno));
    goto done;
  }
  close(payload[1]);
  payload[1] = -1;
  if (make_work_dir(work_dir, sizeof work_dir) != 0) {
    work_dir[0] = '\0';
    goto done;
  }
  if ((log = open_log(work_dir)) < 0) goto done;
  for (char **arg = plan.criu_argv; *arg; arg++)
    if (strcmp(*arg, WORK_DIR_SLOT) == 0) *arg = work_dir;
  char **criu_argv = plan.criu_argv;
  char *with_action[4096];
  size_t n = 0;
  int has_action = 0;
  for (; criu_argv[n]; n++)
    if (strcmp(criu_argv[n], "--action-script") == 0) has_action = 1;
  size_t verb = 0; /* CRIU's options follow "restore" (after the loader's own, for the bundled CRIU) */
  while (criu_argv[verb] && strcmp(criu_argv[verb], "restore") != 0) verb++;
  if (timings.file && !has_action && criu_argv[verb]) { /* the action script writes the wall times that anchor CRIU's log */
    if (n + 3 > sizeof with_action / sizeof *with_action) {
      say("CRIU's command line in the plan is too long");
      goto done;
    }
    memcpy(with_action, criu_argv, (verb + 1) * sizeof *criu_argv);
    with_action[verb + 1] = "--action-script";
    with_action[verb + 2] = (char *)plan.helper;
    memcpy(with_action + verb + 3, criu_argv + verb + 1, (n - verb) * sizeof *criu_argv);
    criu_argv = with_action;
  }
  if ((out = stdio_for_app(1, &out_relay)) < 0 || (err = stdio_for_app(2, &err_relay)) < 0) {
    say("pipe: %s", strerror(errno));
    goto done;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigfillset(&sa.sa_mask);
  const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT };
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) {
    if (sigaction(forwarded[i], &sa, NULL) != 0) {
      say("sigaction: %s", strerror(errno));
      goto done;
    }
  }
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) {
    say("fork: %s", strerror(errno));
    goto done;
  }
  if (child == 0) {
    arrange_fds(payload[0], log, out, err);
    for (char **e = plan.criu_env; *e; e++) {
      if (putenv(*e) != 0) {
        perror("crac-restore: putenv");
        _exit(1);
      }
    }
    _exit(restore_launch(parent, criu_argv));
  }
  launcher = child;
  /* A reader of our stdout that went away must not end the restore: the app's output is dropped instead. */
  signal(SIGPIPE, SIG_IGN);
  mark(&timings, "locate criu, start the helper");
  if (out_relay >= 0) close(out), out = -1;
  if (err_relay >= 0) close(err), err = -1;

  const char *stopped = NULL;
  int status = 0, exited = 0, done_criu = 0, taken = 0;
  double done_at = 0, exited_at = 0;
  for (;;) {
    struct pollfd fds[2] = { { .fd = out_relay, .events = POLLIN }, { .fd = err_relay, .events = POLLIN } };
    int ready = poll(fds, 2, MONITOR_MS);
    if (ready < 0 && errno != EINTR) {
      say("poll: %s", strerror(errno));
      kill(child, SIGKILL);
    }
    for (int i = 0; ready > 0 && i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (!relay_once(fds[i].fd, i + 1)) {
        close(fds[i].fd);
        if (i == 0) out_relay = -1;
        else err_relay = -1;
      }
    }
    if (!exited) {
      pid_t got = waitpid(child, &status, WNOHANG);
      int lost = got < 0 && errno != EINTR;
      if (lost) {
        say("waitpid: %s", strerror(errno));
        status = 1 << 8;
      }
      if (got == child || lost) {
        exited = 1;
        exited_at = mono_ms();
      }
    }
    /* The app's output until it closes, for at most 2 s once it is gone (a grandchild may keep it). */
    if (exited && ((out_relay < 0 && err_relay < 0) || mono_ms() - exited_at > 2000)) break;
    if (exited || stopped) continue;
    struct stat st;
    if (!done_criu && fstat(log, &st) == 0 && st.st_size > log_limit) {
      stopped = "runaway";
      kill(child, SIGKILL);
      continue;
    }
    if (!done_criu && criu_done(child, plan.helper)) {
      done_criu = 1;
      done_at = mono_ms();
    }
    if (done_criu && !taken && mono_ms() - done_at > RESUME_TIMEOUT_MS) {
      if (payload_taken(payload[0])) taken = 1; /* nothing more to watch */
      else {
        stopped = "stuck";
        kill(child, SIGKILL);
      }
    }
  }
  code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
  taken = taken || payload_taken(payload[0]);
  size_t log_len;
  char *log_text = read_log(log, (size_t)log_limit, &log_len);
  int criu_restored = done_criu || (log_text && memmem(log_text, log_len, "Restore finished successfully", 29));
  int hand_over = !stopped && !taken && !criu_restored && code != 0;
  if (!hand_over) write_timings(&timings, log_text, log_len); /* else crac restore writes its own */
  timings.file = NULL;
  free(log_text);
  remove_tree(work_dir);
  work_dir[0] = '\0';
  if (stopped && strcmp(stopped, "runaway") == 0) {
    say("CRIU wrote over %.0f MB of log restoring %s without finishing and was stopped (a damaged image can make it loop): "
        "check the image with \"crac verify %s\" or checkpoint again (CRAC_CRIU_LOG_LIMIT_MB raises the limit)",
        (double)log_limit / 1024 / 1024, req.image_dir, req.image_dir);
    code = 1;
  } else if (stopped) {
    say("the restored app did not take its restore payload within %d s after CRIU restored it and was ended: "
        "run \"crac restore %s\", which checks the image in full",
        RESUME_TIMEOUT_MS / 1000, req.image_dir);
    code = 1;
  } else if (hand_over) {
    /* Nothing of the app ran (it resumes only with its payload): the full path restores again, or explains. */
    say("CRIU could not restore %s from its plan (exit code %d): running crac restore, which checks everything and explains", req.image_dir, code);
    fflush(stderr);
    restore_plan_free(&plan);
    close(payload[0]);
    close(log);
    free(req.payload.s);
    return full_path(crac_js, argc, argv);
  } else if (!taken && criu_restored) {
    say("the restored app never got its restore payload, so it was ended before it resumed: checkpoint again (run \"crac restore %s\" for the details)", req.image_dir);
    code = 1;
  } else if (code == RESTORE_FAILED_EXIT_CODE) {
    say("the app was restored from %s, but its restore failed (the causes are above, each naming its resource) and the copy ended; "
        "fix them, or use crac restore --keep-failed to keep a failed copy running for debugging",
        req.image_dir);
  }

done:
  if (timings.file) write_timings(&timings, NULL, 0);
  if (work_dir[0]) remove_tree(work_dir);
  const int ours[] = { payload[0], payload[1], log, out_relay, err_relay };
  for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
    if (ours[i] >= 0) close(ours[i]);
  if (out >= 0 && out != 1) close(out);
  if (err >= 0 && err != 2) close(err);
  restore_plan_free(&plan);
  free(req.payload.s);
  return code;
}
