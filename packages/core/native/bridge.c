/*
 * node-crac native bridge: only what JavaScript cannot do.
 *
 *   pipe()            a real pipe (not libuv's socketpairs), both ends O_CLOEXEC
 *   checkpointSelf()  dump this process with CRIU and block until restored or failed
 *   mallocTrim()      give freed malloc memory back before the dump
 *   randPoll()        reseed OpenSSL after a restore (RAND_poll exported by node)
 *   listenTcp()       a listening TCP socket a launcher holds for the app (never accepts on it)
 *   takeDescriptor()  a duplicate of another process's descriptor (pidfd_getfd)
 *   describeSocket()  whether a descriptor is a listening TCP socket, and on which address
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAPI_OK(env, call)                                                   \
  do {                                                                       \
    if ((call) != napi_ok) return throw_napi((env), #call);                  \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "node-crac bridge: %s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* As throw_errno, with the error's `code` set to the errno's name (EADDRINUSE, ESRCH, ...) for callers to tell apart. */
static napi_value throw_errno_code(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "node-crac bridge: %s: %s", what, strerror(err));
  const char *name = NULL;
#ifdef __GLIBC_PREREQ
#if __GLIBC_PREREQ(2, 32)
  name = strerrorname_np(err);
#endif
#endif
  napi_value code = NULL, message, error;
  if (napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, code, message, &error) != napi_ok || napi_throw(env, error) != napi_ok)
    return throw_errno(env, what, err);
  return NULL;
}

/* Throws "<call> failed", unless the failed call left a JavaScript exception pending. */
static napi_value throw_napi(napi_env env, const char *call) {
  const napi_extended_error_info *info = NULL;
  const char *why = "unknown N-API error";
  /* Read first: every N-API call, napi_is_exception_pending too, resets the last error. */
  if (napi_get_last_error_info(env, &info) == napi_ok && info && info->error_message) why = info->error_message;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  char msg[512];
  snprintf(msg, sizeof msg, "node-crac bridge: N-API call failed: %s: %s", call, why);
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static void free_argv(char **argv) {
  if (!argv) return;
  for (char **p = argv; *p; p++) free(*p);
  free(argv);
}

/* Copies a JS string array into a NULL-terminated argv (malloc'd, before any fork); NULL once it has thrown. */
static char **string_array(napi_env env, napi_value array) {
  char **argv = NULL;
  bool is_array = false;
  uint32_t n = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok) {
    throw_napi(env, "napi_is_array");
    goto err;
  }
  if (is_array && napi_get_array_length(env, array, &n) != napi_ok) {
    throw_napi(env, "napi_get_array_length");
    goto err;
  }
  if (n == 0) {
    napi_throw_type_error(env, NULL, "criuArgv must be a non-empty string array");
    goto err;
  }
  argv = calloc((size_t)n + 1, sizeof *argv);
  if (!argv) {
    throw_errno(env, "calloc", errno);
    goto err;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    size_t len = 0;
    if (napi_get_element(env, array, i, &item) != napi_ok) {
      throw_napi(env, "napi_get_element");
      goto err;
    }
    napi_status st = napi_get_value_string_utf8(env, item, NULL, 0, &len);
    if (st == napi_string_expected) {
      char msg[64];
      snprintf(msg, sizeof msg, "criuArgv[%u] is not a string", i);
      napi_throw_type_error(env, NULL, msg);
      goto err;
    }
    if (st != napi_ok) {
      throw_napi(env, "napi_get_value_string_utf8");
      goto err;
    }
    argv[i] = malloc(len + 1);
    if (!argv[i]) {
      throw_errno(env, "malloc", errno);
      goto err;
    }
    if (napi_get_value_string_utf8(env, item, argv[i], len + 1, &len) != napi_ok) {
      throw_napi(env, "napi_get_value_string_utf8");
      goto err;
    }
  }
  return argv;
err:
  free_argv(argv); /* stops at the first slot not filled yet: calloc zeroed them */
  return NULL;
}

static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, "pipe2", errno);
  napi_value result = NULL, rd, wr;
  if (napi_create_array_with_length(env, 2, &result) != napi_ok ||
      napi_create_int32(env, fds[0], &rd) != napi_ok ||
      napi_create_int32(env, fds[1], &wr) != napi_ok ||
      napi_set_element(env, result, 0, rd) != napi_ok ||
      napi_set_element(env, result, 1, wr) != napi_ok) {
    result = throw_napi(env, "creating the [readFd, writeFd] array");
    goto err;
  }
  return result;
err:
  close(fds[0]);
  close(fds[1]);
  return result;
}

/*
 * Async-signal-safe helpers for the forked side (the parent has other threads).
 * Nothing is left to report a failed write of the status pipe to, so it is dropped.
 */
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

/* Writes its string arguments, up to a NULL, to the status pipe. */
static void say(int fd, ...) {
  va_list ap;
  va_start(ap, fd);
  for (const char *s; (s = va_arg(ap, const char *));) write_all(fd, s);
  va_end(ap);
}

/* strerror() may take locale locks that another thread held at fork time. */
static const char *errtext(int err) {
#ifdef __GLIBC_PREREQ
#if __GLIBC_PREREQ(2, 32)
  const char *s = strerrordesc_np(err);
  return s ? s : "unknown error";
#endif
#endif
  return strerror(err);
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

#define NOT_STARTED "criu dump not started: "
#define FAILED "criu dump failed: "

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Closes every descriptor from 3 up but `keep`, so that CRIU inherits only stdio of the app's. */
static int close_fds_except(int keep) {
  int closed = keep < 3 ? syscall(SYS_close_range, 3, ~0U, 0) == 0
                        : (keep == 3 || syscall(SYS_close_range, 3, keep - 1, 0) == 0) &&
                              syscall(SYS_close_range, keep + 1, ~0U, 0) == 0;
  if (closed) return 0;
  if (errno != ENOSYS && errno != EINVAL) return -1;

  /* No close_range (before Linux 5.9, or filtered): close what /proc lists, with getdents64 (no malloc). */
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
        int fd = 0;
        const char *p = d->d_name;
        for (; *p >= '0' && *p <= '9'; p++) fd = fd * 10 + (*p - '0');
        if (!*p && p != d->d_name && fd > 2 && fd != keep && fd != dir) close(fd);
        off += d->d_reclen;
      }
    }
    int err = errno;
    close(dir);
    errno = err;
    return n == 0 ? 0 : -1;
  }

  /* No /proc either: try every descriptor below the limit. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  for (rlim_t fd = 3; fd < rl.rlim_cur; fd++)
    if ((int)fd != keep) close((int)fd);
  return 0;
}

/*
 * Runs argv to completion; returns its wait status, or -1 once it has said why
 * on the status pipe. The child tells a failed exec (or descriptor cleanup)
 * apart from criu's own exit status through a close-on-exec pipe: EOF there
 * means execv succeeded.
 */
static int run_and_wait(char **argv, int status_fd) {
  int result = -1, err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    say(status_fd, NOT_STARTED, "pipe2: ", errtext(errno), NULL);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    say(status_fd, NOT_STARTED, "fork: ", errtext(errno), NULL);
    close(err_pipe[1]);
    goto out;
  }
  if (pid == 0) {
    int failure[2] = { 0, 0 }; /* which call failed (0: closing descriptors, 1: execv), its errno */
    close(err_pipe[0]);
    if (close_fds_except(err_pipe[1]) != 0) {
      failure[1] = errno;
    } else {
      execv(argv[0], argv);
      failure[0] = 1;
      failure[1] = errno;
    }
    if (write(err_pipe[1], failure, sizeof failure) != (ssize_t)sizeof failure) _exit(126);
    _exit(127);
  }
  close(err_pipe[1]);
  int failure[2];
  ssize_t n;
  while ((n = read(err_pipe[0], failure, sizeof failure)) < 0 && errno == EINTR) {}
  int read_err = errno, status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      say(status_fd, FAILED, "waitpid: ", errtext(errno), NULL);
      goto out;
    }
  }
  if (n < 0) {
    say(status_fd, FAILED, "read (exec error pipe): ", errtext(read_err), NULL);
  } else if (n == (ssize_t)sizeof failure && failure[0]) {
    say(status_fd, NOT_STARTED, "could not execute ", argv[0], ": ", errtext(failure[1]), NULL);
  } else if (n == (ssize_t)sizeof failure) {
    say(status_fd, NOT_STARTED, "closing inherited descriptors (close_range): ", errtext(failure[1]), NULL);
  } else if (n > 0) {
    say(status_fd, NOT_STARTED, "short read from the exec error pipe", NULL);
  } else {
    result = status;
  }
out:
  close(err_pipe[0]);
  return result;
}

/*
 * The grandchild: no descendant of node, so CRIU does not dump it. Runs CRIU,
 * then reports on the status pipe. After a successful dump without -R nobody
 * reads the report.
 */
static void grandchild(pid_t node, pid_t middle, int status_fd, char **criu_argv) {
  for (int tries = 0; getppid() == middle && tries < 100000; tries++) usleep(10);

  /*
   * An orphan goes to the nearest child subreaper, or to PID 1 of the namespace:
   * that is node itself if node is either. CRIU cannot dump a tree it belongs to.
   */
  pid_t parent = getppid();
  if (parent == middle || parent == node) {
    char num[16];
    format_int(num, (int)parent);
    say(status_fd, NOT_STARTED, "the dump helper did not leave node's process tree (its parent is pid ", num,
        parent == node ? ", node itself: is node a child subreaper or PID 1 of its namespace?)" : ", which did not exit)",
        NULL);
    _exit(1);
  }

  sigset_t all;
  sigemptyset(&all);
  if (sigprocmask(SIG_SETMASK, &all, NULL) != 0) {
    say(status_fd, NOT_STARTED, "sigprocmask: ", errtext(errno), NULL);
    _exit(1);
  }
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    say(status_fd, NOT_STARTED, "signal(SIGPIPE): ", errtext(errno), NULL);
    _exit(1);
  }
  umask(077); /* CRIU's files hold all process memory: 0600, including those it writes after post-dump */

  int status = run_and_wait(criu_argv, status_fd);
  if (status == -1) _exit(1);
  char num[16];
  if (status == 0) {
    write_all(status_fd, "ok");
  } else if (WIFEXITED(status)) {
    format_int(num, WEXITSTATUS(status));
    say(status_fd, FAILED, "exit status ", num, NULL);
  } else {
    format_int(num, WTERMSIG(status));
    say(status_fd, FAILED, "killed by signal ", num, NULL);
  }
  _exit(0);
}

/* The middle child: forks the grandchild and exits, so that the grandchild is orphaned. */
static void middle_child(pid_t node, int status_fd, char **criu_argv) {
  if (setsid() < 0) {
    say(status_fd, NOT_STARTED, "setsid: ", errtext(errno), NULL);
    _exit(1);
  }
  pid_t me = getpid();
  pid_t gc = fork();
  if (gc < 0) {
    say(status_fd, NOT_STARTED, "fork: ", errtext(errno), NULL);
    _exit(1);
  }
  if (gc == 0) grandchild(node, me, status_fd, criu_argv);
  _exit(0);
}

/*
 * checkpointSelf(criuArgv, statusReadFd, statusWriteFd) -> Buffer
 * Blocks the calling (main) thread in read() until EOF on the status pipe, so no
 * JavaScript runs during the dump. Returns what was read: the status text if this
 * process was not dumped away, the restore payload if this is a restored copy (the
 * caller tells the two apart by the read end's inode). The write end is closed on
 * every path.
 */
static napi_value checkpoint_self(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3], result = NULL;
  int read_fd = -1, write_fd = -1;
  char **criu_argv = NULL;
  char *buf = NULL;

  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return throw_napi(env, "napi_get_cb_info");
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "checkpointSelf(criuArgv, readFd, writeFd)");
    return NULL;
  }
  if (napi_get_value_int32(env, args[2], &write_fd) != napi_ok) {
    write_fd = -1;
    throw_napi(env, "napi_get_value_int32(writeFd)");
    goto out;
  }
  if (napi_get_value_int32(env, args[1], &read_fd) != napi_ok) {
    throw_napi(env, "napi_get_value_int32(readFd)");
    goto out;
  }
  /* Checked before the fork: after it, this thread reads to EOF whatever happens. */
  if (fcntl(read_fd, F_GETFD) < 0) {
    throw_errno(env, "checkpointSelf: readFd", errno);
    goto out;
  }
  if (fcntl(write_fd, F_GETFD) < 0) {
    throw_errno(env, "checkpointSelf: writeFd", errno);
    write_fd = -1;
    goto out;
  }
  criu_argv = string_array(env, args[0]);
  if (!criu_argv) goto out;

  pid_t node = getpid();
  pid_t child = fork();
  if (child < 0) {
    throw_errno(env, "fork", errno);
    goto out;
  }
  if (child == 0) middle_child(node, write_fd, criu_argv);
  close(write_fd); /* EOF comes once the helpers are done */
  write_fd = -1;

  int status, wait_err = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      wait_err = errno;
      break;
    }
  }

  /* Without memory too, read on to EOF: no JavaScript may run before the dump is over. */
  size_t cap = 0, len = 0;
  int read_err = 0, alloc_err = 0;
  for (;;) {
    char scratch[512], *dst = scratch;
    size_t room = sizeof scratch;
    if (!alloc_err && len == cap) {
      char *grown = realloc(buf, cap ? cap * 2 : 4096);
      if (grown) {
        buf = grown;
        cap = cap ? cap * 2 : 4096;
      } else {
        alloc_err = errno;
      }
    }
    if (!alloc_err) {
      dst = buf + len;
      room = cap - len;
    }
    ssize_t n = read(read_fd, dst, room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_err = errno;
      break;
    }
    if (n == 0) break;
    if (!alloc_err) len += (size_t)n;
  }
  if (alloc_err) {
    throw_errno(env, "realloc (status pipe buffer)", alloc_err);
    goto out;
  }
  if (read_err) {
    throw_errno(env, "read (status pipe)", read_err);
    goto out;
  }
  if (wait_err) {
    throw_errno(env, "waitpid (dump helper)", wait_err);
    goto out;
  }
  void *data;
  if (napi_create_buffer_copy(env, len, buf ? buf : "", &data, &result) != napi_ok) result = throw_napi(env, "napi_create_buffer_copy");
out:
  if (write_fd >= 0) close(write_fd);
  free_argv(criu_argv);
  free(buf);
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

/* Reads `value` as an int32 into `out`; false once it has thrown. */
static bool int_arg(napi_env env, napi_value value, const char *name, int32_t *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return throw_napi(env, "napi_typeof"), false;
  if (type != napi_number) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  if (napi_get_value_int32(env, value, out) != napi_ok) return throw_napi(env, "napi_get_value_int32"), false;
  return true;
}

/* A numeric IPv4 or IPv6 address and port as a sockaddr; false once it has thrown. */
static bool parse_address(napi_env env, napi_value host_value, int port, struct sockaddr_storage *addr, socklen_t *len) {
  char host[INET6_ADDRSTRLEN + 1];
  size_t host_len = 0;
  napi_status st = napi_get_value_string_utf8(env, host_value, host, sizeof host, &host_len);
  if (st == napi_string_expected) {
    napi_throw_type_error(env, NULL, "host must be a string");
    return false;
  }
  if (st != napi_ok) return throw_napi(env, "napi_get_value_string_utf8(host)"), false;
  memset(addr, 0, sizeof *addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  if (host_len < sizeof host - 1 && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    return true;
  }
  if (host_len < sizeof host - 1 && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof *v6;
    return true;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "listenTcp: \"%.*s\" is not a numeric IPv4 or IPv6 address", (int)(sizeof host - 1), host);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

static napi_value int_result(napi_env env, int value) {
  napi_value result;
  NAPI_OK(env, napi_create_int32(env, value, &result));
  return result;
}

/*
 * listenTcp(host, port, backlog, reusePort) -> fd
 * A close-on-exec listening TCP socket on the numeric address host:port
 * (SO_REUSEADDR; SO_REUSEPORT when asked). Nobody accepts on it here: the
 * app listens on duplicates, and while it does not, connections wait in the backlog.
 */
static napi_value listen_tcp(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return throw_napi(env, "napi_get_cb_info");
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "listenTcp(host, port, backlog, reusePort)");
    return NULL;
  }
  int32_t port, backlog;
  bool reuse_port = false;
  if (!int_arg(env, args[1], "port", &port) || !int_arg(env, args[2], "backlog", &backlog)) return NULL;
  if (port < 0 || port > 65535) {
    napi_throw_range_error(env, NULL, "port must be 0-65535");
    return NULL;
  }
  if (napi_get_value_bool(env, args[3], &reuse_port) != napi_ok) return throw_napi(env, "napi_get_value_bool(reusePort)");
  struct sockaddr_storage addr;
  socklen_t len;
  if (!parse_address(env, args[0], port, &addr, &len)) return NULL;

  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return throw_errno(env, "listenTcp: socket", errno);
  int one = 1;
  const char *failed = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) failed = "listenTcp: setsockopt(SO_REUSEADDR)";
  else if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) failed = "listenTcp: setsockopt(SO_REUSEPORT)";
  else if (bind(fd, (struct sockaddr *)&addr, len) != 0) failed = "listenTcp: bind";
  else if (listen(fd, backlog) != 0) failed = "listenTcp: listen";
  if (failed) {
    int err = errno;
    close(fd);
    return throw_errno_code(env, failed, err);
  }
  napi_value result = int_result(env, fd);
  if (!result) close(fd);
  return result;
}

/*
 * takeDescriptor(pid, fd) -> a close-on-exec duplicate, in this process, of
 * descriptor `fd` of process `pid` (pidfd_open + pidfd_getfd: needs
 * PTRACE_MODE_ATTACH over it, as root has).
 */
static napi_value take_descriptor(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return throw_napi(env, "napi_get_cb_info");
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "takeDescriptor(pid, fd)");
    return NULL;
  }
  int32_t pid, target;
  if (!int_arg(env, args[0], "pid", &pid) || !int_arg(env, args[1], "fd", &target)) return NULL;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return throw_errno_code(env, "takeDescriptor: pidfd_open", errno);
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
  int err = errno;
  close(pidfd);
  if (fd < 0) return throw_errno_code(env, "takeDescriptor: pidfd_getfd", err);
  napi_value result = int_result(env, fd);
  if (!result) close(fd);
  return result;
}

static bool set_named(napi_env env, napi_value object, const char *name, napi_value value) {
  return value && napi_set_named_property(env, object, name, value) == napi_ok;
}

/*
 * describeSocket(fd) -> { socket, listening, tcp, family, address, port }
 * socket false when fd is no socket (then nothing else is set). family:
 * 'IPv4', 'IPv6', 'unix' or 'other'; address and port for IPv4 and IPv6.
 */
static napi_value describe_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok) return throw_napi(env, "napi_get_cb_info");
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "describeSocket(fd)");
    return NULL;
  }
  int32_t fd;
  if (!int_arg(env, args[0], "fd", &fd)) return NULL;
  napi_value result, yes, no;
  NAPI_OK(env, napi_create_object(env, &result));
  NAPI_OK(env, napi_get_boolean(env, true, &yes));
  NAPI_OK(env, napi_get_boolean(env, false, &no));
  int type = 0, protocol = 0, accepting = 0;
  socklen_t optlen = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) != 0) {
    if (errno == ENOTSOCK) {
      NAPI_OK(env, napi_set_named_property(env, result, "socket", no));
      return result;
    }
    return throw_errno_code(env, "describeSocket: getsockopt(SO_TYPE)", errno);
  }
  optlen = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &optlen) != 0) return throw_errno_code(env, "describeSocket: getsockopt(SO_PROTOCOL)", errno);
  optlen = sizeof accepting;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &optlen) != 0) return throw_errno_code(env, "describeSocket: getsockopt(SO_ACCEPTCONN)", errno);
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) return throw_errno_code(env, "describeSocket: getsockname", errno);

  const char *family = addr.ss_family == AF_INET ? "IPv4" : addr.ss_family == AF_INET6 ? "IPv6" : addr.ss_family == AF_UNIX ? "unix" : "other";
  bool inet = addr.ss_family == AF_INET || addr.ss_family == AF_INET6;
  napi_value family_value;
  NAPI_OK(env, napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &family_value));
  if (!set_named(env, result, "socket", yes) || !set_named(env, result, "listening", accepting ? yes : no) ||
      !set_named(env, result, "tcp", inet && type == SOCK_STREAM && protocol == IPPROTO_TCP ? yes : no) ||
      !set_named(env, result, "family", family_value))
    return throw_napi(env, "napi_set_named_property");
  if (inet) {
    char text[INET6_ADDRSTRLEN];
    const void *raw = addr.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&addr)->sin_addr : (const void *)&((struct sockaddr_in6 *)&addr)->sin6_addr;
    uint16_t port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port : ((struct sockaddr_in6 *)&addr)->sin6_port);
    if (!inet_ntop(addr.ss_family, raw, text, sizeof text)) return throw_errno_code(env, "describeSocket: inet_ntop", errno);
    napi_value address_value;
    NAPI_OK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address_value));
    if (!set_named(env, result, "address", address_value) || !set_named(env, result, "port", int_result(env, port)))
      return throw_napi(env, "napi_set_named_property");
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "pipe", NULL, make_pipe, NULL, NULL, NULL, napi_enumerable, NULL },
    { "checkpointSelf", NULL, checkpoint_self, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mallocTrim", NULL, malloc_trim_js, NULL, NULL, NULL, napi_enumerable, NULL },
    { "randPoll", NULL, rand_poll, NULL, NULL, NULL, napi_enumerable, NULL },
    { "listenTcp", NULL, listen_tcp, NULL, NULL, NULL, napi_enumerable, NULL },
    { "takeDescriptor", NULL, take_descriptor, NULL, NULL, NULL, napi_enumerable, NULL },
    { "describeSocket", NULL, describe_socket, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  NAPI_OK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
