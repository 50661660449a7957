/*
 * node-crac native bridge: only what JavaScript cannot do (DESIGN.md section 3).
 *
 *   pipe()            a real pipe (not libuv's socketpairs), both ends O_CLOEXEC
 *   checkpointSelf()  dump this process with CRIU and block until restored or failed
 *   mallocTrim()      give freed malloc memory back before the dump
 *   randPoll()        reseed OpenSSL after a restore (RAND_poll exported by node)
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define THROW_ERRNO(env, what)                                               \
  do {                                                                       \
    char msg_[256];                                                          \
    snprintf(msg_, sizeof msg_, "%s: %s", (what), strerror(errno));          \
    napi_throw_error((env), NULL, msg_);                                     \
    return NULL;                                                             \
  } while (0)

#define NAPI_OK(env, call)                                                   \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error((env), NULL, "node-crac bridge: N-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

/* Copies a JS string array into a NULL-terminated argv (malloc'd, before any fork). */
static char **string_array(napi_env env, napi_value array) {
  uint32_t n = 0;
  if (napi_get_array_length(env, array, &n) != napi_ok) return NULL;
  char **argv = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    size_t len = 0;
    if (napi_get_element(env, array, i, &item) != napi_ok ||
        napi_get_value_string_utf8(env, item, NULL, 0, &len) != napi_ok) return NULL;
    argv[i] = malloc(len + 1);
    napi_get_value_string_utf8(env, item, argv[i], len + 1, &len);
  }
  return argv;
}

static void free_argv(char **argv) {
  if (!argv) return;
  for (char **p = argv; *p; p++) free(*p);
  free(argv);
}

static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) THROW_ERRNO(env, "pipe2");
  napi_value result, rd, wr;
  NAPI_OK(env, napi_create_array_with_length(env, 2, &result));
  NAPI_OK(env, napi_create_int32(env, fds[0], &rd));
  NAPI_OK(env, napi_create_int32(env, fds[1], &wr));
  NAPI_OK(env, napi_set_element(env, result, 0, rd));
  NAPI_OK(env, napi_set_element(env, result, 1, wr));
  return result;
}

/* Async-signal-safe helpers for the forked side (the parent has other threads). */
static void write_all(int fd, const char *s) {
  size_t len = strlen(s);
  while (len > 0) {
    ssize_t n = write(fd, s, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s += n;
    len -= (size_t)n;
  }
}

static void format_int(char *out, int value) {
  char tmp[16];
  int i = 0, neg = value < 0;
  unsigned v = neg ? (unsigned)-value : (unsigned)value;
  do { tmp[i++] = (char)('0' + v % 10); v /= 10; } while (v);
  if (neg) *out++ = '-';
  while (i) *out++ = tmp[--i];
  *out = 0;
}

/* Runs argv to completion with only stdio of the app's descriptors; returns its wait status, or -1. */
static int run_and_wait(char **argv) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    syscall(SYS_close_range, 3, ~0U, 0);
    execv(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

/*
 * The grandchild: no descendant of node, so CRIU does not dump it. Runs CRIU,
 * then reports on the status pipe. After a successful dump without -R nobody
 * reads the report.
 */
static void grandchild(pid_t parent_before, int status_fd, char **criu_argv) {
  for (int tries = 0; getppid() == parent_before && tries < 100000; tries++) usleep(10);

  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_IGN);
  umask(077); /* CRIU's files hold all process memory: 0600, including those it writes after post-dump */

  int status = run_and_wait(criu_argv);
  char msg[160], num[16];
  if (status == 0) {
    write_all(status_fd, "ok");
  } else {
    strcpy(msg, "criu dump failed: ");
    if (status == -1) {
      strcat(msg, "could not start criu");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
      strcat(msg, "could not execute ");
      strncat(msg, criu_argv[0], sizeof msg - strlen(msg) - 1);
    } else if (WIFEXITED(status)) {
      format_int(num, WEXITSTATUS(status));
      strcat(msg, "exit status ");
      strcat(msg, num);
    } else {
      format_int(num, WTERMSIG(status));
      strcat(msg, "killed by signal ");
      strcat(msg, num);
    }
    write_all(status_fd, msg);
  }
  _exit(0);
}

/*
 * checkpointSelf(criuArgv, statusReadFd, statusWriteFd) -> Buffer
 * Blocks the calling (main) thread in read() until EOF on the status pipe, so no
 * JavaScript runs during the dump. Returns what was read: the status text if this
 * process was not dumped away, the restore payload if this is a restored copy (the
 * caller tells the two apart by the read end's inode).
 */
static napi_value checkpoint_self(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "checkpointSelf(criuArgv, readFd, writeFd)");
    return NULL;
  }
  int read_fd, write_fd;
  NAPI_OK(env, napi_get_value_int32(env, args[1], &read_fd));
  NAPI_OK(env, napi_get_value_int32(env, args[2], &write_fd));
  char **criu_argv = string_array(env, args[0]);
  if (!criu_argv || !criu_argv[0]) {
    free_argv(criu_argv);
    napi_throw_type_error(env, NULL, "criuArgv must be a non-empty string array");
    return NULL;
  }

  pid_t child = fork();
  if (child < 0) {
    free_argv(criu_argv);
    close(write_fd);
    THROW_ERRNO(env, "fork");
  }
  if (child == 0) {
    setsid();
    pid_t me = getpid();
    pid_t gc = fork();
    if (gc == 0) grandchild(me, write_fd, criu_argv);
    _exit(gc < 0 ? 1 : 0);
  }
  free_argv(criu_argv);
  close(write_fd);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}

  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) buf = realloc(buf, cap *= 2);
    ssize_t n = read(read_fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  napi_value result;
  void *data;
  napi_status st = napi_create_buffer_copy(env, len, buf, &data, &result);
  free(buf);
  NAPI_OK(env, st);
  return result;
}

static napi_value malloc_trim_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  NAPI_OK(env, napi_get_boolean(env, malloc_trim(0) == 1, &result));
  return result;
}

/* Resolved at run time so the addon links against any node binary. */
static napi_value rand_poll(napi_env env, napi_callback_info info) {
  (void)info;
  int (*fn)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "RAND_poll");
  if (!fn) {
    napi_throw_error(env, NULL, "RAND_poll is not exported by this node binary");
    return NULL;
  }
  napi_value result;
  NAPI_OK(env, napi_get_boolean(env, fn() == 1, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "pipe", NULL, make_pipe, NULL, NULL, NULL, napi_enumerable, NULL },
    { "checkpointSelf", NULL, checkpoint_self, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mallocTrim", NULL, malloc_trim_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "randPoll", NULL, rand_poll, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
