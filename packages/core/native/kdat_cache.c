/*
 * The cache of CRIU's kernel-feature probes (kerndat) across restores.
 *
 * CRIU probes the kernel (~40 ms) at every start unless /run/criu.kdat holds
 * the result, and it writes that file only when /run is a tmpfs, so that a
 * reboot forgets it. Where /run is a plain directory, the restore's own mount
 * namespace gets a small tmpfs on /run: the copy of a cached file that
 * `crac restore` found valid for this boot and this CRIU goes in before CRIU
 * starts, or CRIU writes a fresh one there itself; CRIU's `pre-restore` action
 * (this helper again, run by `--action-script`) saves a fresh one into the cache
 * and unmounts the tmpfs before any restored process exists, so the app sees
 * the host's /run. Settings come from the environment CRIU passes to its
 * action scripts:
 *
 *   CRAC_KDAT_CACHE  the cache file: CRAC_KDAT_STAMP, a newline, then criu.kdat
 *   CRAC_KDAT_STAMP  what makes it valid (boot id, kernel, CRIU's identity)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include "kdat_cache.h"

#define KDAT "/run/criu.kdat"
#define MAX_CACHE_BYTES (64 * 1024)
/* Set for CRIU and its action once the tmpfs is on /run; "loaded" when the cache was copied in. */
#define MOUNTED_VAR "CRAC_KDAT_RUN_TMPFS"

/* Reads all of fd (at most MAX_CACHE_BYTES) into buf; the length, or -1 once it has said why. */
static ssize_t read_all(int fd, char *buf, const char *path) {
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, MAX_CACHE_BYTES - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fprintf(stderr, "crac_restore_helper: read %s: %s\n", path, strerror(errno));
      return -1;
    }
    if (n == 0) return (ssize_t)len;
    len += (size_t)n;
    if (len == MAX_CACHE_BYTES) {
      fprintf(stderr, "crac_restore_helper: %s is over %d bytes: not a kdat cache\n", path, MAX_CACHE_BYTES);
      return -1;
    }
  }
}

/* Writes the parts to fd, open on path, and closes it; 0, or -1 once it has said why. */
static int write_parts(int fd, const char *path, const char *a, size_t a_len, const char *b, size_t b_len) {
  const char *parts[] = { a, b };
  size_t lens[] = { a_len, b_len };
  for (int i = 0; i < 2; i++) {
    for (size_t done = 0; done < lens[i];) {
      ssize_t n = write(fd, parts[i] + done, lens[i] - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        fprintf(stderr, "crac_restore_helper: write %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
      }
      done += (size_t)n;
    }
  }
  if (close(fd) != 0) {
    fprintf(stderr, "crac_restore_helper: close %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* Writes the parts to a new file at path (O_EXCL: never through a link or over a file). */
static int write_new(const char *path, const char *a, size_t a_len, const char *b, size_t b_len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "crac_restore_helper: create %s: %s\n", path, strerror(errno));
    return -1;
  }
  return write_parts(fd, path, a, a_len, b, b_len);
}

/* Copies the cached probes to /run/criu.kdat when the cache's stamp is this one. */
static void load(const char *cache, const char *stamp) {
  static char buf[MAX_CACHE_BYTES];
  int fd = open(cache, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) fprintf(stderr, "crac_restore_helper: open %s: %s\n", cache, strerror(errno));
    return;
  }
  ssize_t len = read_all(fd, buf, cache);
  close(fd);
  size_t stamp_len = strlen(stamp);
  if (len <= (ssize_t)stamp_len || memcmp(buf, stamp, stamp_len) != 0 || buf[stamp_len] != '\n') return; /* stale: CRIU probes */
  if (write_new(KDAT, buf + stamp_len + 1, (size_t)len - stamp_len - 1, "", 0) != 0) return;
  if (setenv(MOUNTED_VAR, "loaded", 1) != 0) perror("crac_restore_helper: setenv");
}

int kdat_cache_prepare(void) {
  const char *cache = getenv("CRAC_KDAT_CACHE");
  const char *stamp = getenv("CRAC_KDAT_STAMP");
  if (!cache || !stamp) return 0;
  /* Without the tmpfs CRIU only probes, as it would anyway: not worth failing the restore. */
  if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0755") != 0) {
    fprintf(stderr, "crac_restore_helper: mount a tmpfs on /run for CRIU's kdat cache: %s (restoring without it)\n", strerror(errno));
    return 0;
  }
  if (setenv(MOUNTED_VAR, "fresh", 1) != 0) {
    perror("crac_restore_helper: setenv");
    return -1;
  }
  load(cache, stamp);
  return 0;
}

/* Saves the /run/criu.kdat that CRIU wrote on the tmpfs; a cache that cannot be written costs time, never the restore. */
static void save(const char *cache, const char *stamp) {
  static char buf[MAX_CACHE_BYTES];
  int fd = open(KDAT, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "crac_restore_helper: CRIU left no %s to cache: %s\n", KDAT, strerror(errno));
    return;
  }
  ssize_t len = read_all(fd, buf, KDAT);
  close(fd);
  if (len <= 0) return;
  /* A random name: restores that save at once each run in a PID namespace of their own, with the same PIDs. */
  char temp[4096];
  if (snprintf(temp, sizeof temp, "%s.XXXXXX", cache) >= (int)sizeof temp) {
    fprintf(stderr, "crac_restore_helper: cache path too long: %s\n", cache);
    return;
  }
  int out = mkostemp(temp, O_CLOEXEC);
  if (out < 0) {
    fprintf(stderr, "crac_restore_helper: create a file beside %s: %s\n", cache, strerror(errno));
    return;
  }
  char *line = NULL;
  if (asprintf(&line, "%s\n", stamp) < 0) {
    perror("crac_restore_helper: asprintf");
    close(out);
  } else if (write_parts(out, temp, line, strlen(line), buf, (size_t)len) == 0 && rename(temp, cache) != 0) {
    fprintf(stderr, "crac_restore_helper: rename %s to %s: %s\n", temp, cache, strerror(errno));
  }
  unlink(temp); /* gone after a rename; a leftover otherwise */
  free(line);
}

int kdat_cache_action(const char *action) {
  const char *mounted = getenv(MOUNTED_VAR);
  if (strcmp(action, "pre-restore") != 0 || !mounted) return 0;
  const char *cache = getenv("CRAC_KDAT_CACHE");
  const char *stamp = getenv("CRAC_KDAT_STAMP");
  if (strcmp(mounted, "fresh") == 0 && cache && stamp) save(cache, stamp);
  if (umount2("/run", MNT_DETACH) != 0) {
    fprintf(stderr, "crac_restore_helper: unmount the kdat tmpfs from /run: %s (the app would not see the host's /run)\n", strerror(errno));
    return 1;
  }
  return 0;
}
