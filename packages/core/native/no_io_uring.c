/*
 * crac_no_io_uring.so: loaded into the app with LD_PRELOAD by `crac run` and
 * `crac checkpoint`, so that io_uring_setup fails with ENOSYS and libuv (which
 * calls it through libc's syscall()) uses epoll: CRIU cannot dump an io_uring
 * ring (Node >= 22.17 and 24 open one per event loop).
 *
 * Not a seccomp filter: the kernel refuses PTRACE_O_SUSPEND_SECCOMP to a tracer
 * that is itself under seccomp, and a filter is inherited by every descendant,
 * so the `criu dump` that the app starts (native/bridge.c) could not dump it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

long syscall(long number, ...) {
  static long (*next)(long, ...);
  /* Like glibc's own syscall(): six argument registers, whatever the call passed. */
  va_list ap;
  va_start(ap, number);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
  long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
#ifdef __NR_io_uring_setup
  if (number == __NR_io_uring_setup) {
    errno = ENOSYS;
    return -1;
  }
#endif
  if (!next) next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  return next(number, a, b, c, d, e, f);
}
