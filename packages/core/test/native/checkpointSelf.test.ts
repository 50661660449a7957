import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { loadBridge, nativeFile } from '../../src/native/bridge.js';

// checkpointSelf's own failure paths, with a shell script standing in for criu:
// no CRIU is needed, and nothing is dumped.
const bridge = loadBridge();
const addon = nativeFile('crac_bridge.node', 'native bridge');

function statusOf(argv: unknown): string {
  const [readFd, writeFd] = bridge.pipe();
  try {
    return bridge.checkpointSelf(argv as string[], readFd, writeFd).toString('utf8');
  } finally {
    closeSync(readFd);
  }
}

t.test('criuArgv that is not a non-empty string array is refused before anything is started', async (t) => {
  t.throws(() => statusOf([]), { name: 'TypeError', message: 'criuArgv must be a non-empty string array' });
  t.throws(() => statusOf('/bin/true'), { name: 'TypeError', message: 'criuArgv must be a non-empty string array' });
  t.throws(() => statusOf(['/bin/true', 7]), { name: 'TypeError', message: 'criuArgv[1] is not a string' });
});

t.test('a descriptor that is not open is refused before the fork, naming it', async (t) => {
  const [readFd, writeFd] = bridge.pipe();
  closeSync(readFd);
  t.throws(() => bridge.checkpointSelf(['/bin/true'], readFd, writeFd), { message: 'node-crac bridge: checkpointSelf: readFd: Bad file descriptor' });
  t.throws(() => closeSync(writeFd), { code: 'EBADF' }, 'and the write end is closed all the same');
  t.throws(() => bridge.checkpointSelf(['/bin/true'], 0, 'x' as unknown as number), /napi_get_value_int32\(writeFd\): A number was expected/);
});

t.test('the status text says how the stand-in for criu ended', async (t) => {
  t.equal(statusOf(['/bin/true']), 'ok');
  t.equal(statusOf(['/nonexistent/criu', 'dump']), 'criu dump not started: could not execute /nonexistent/criu: No such file or directory');
  t.equal(statusOf(['/bin/sh', '-c', 'exit 3']), 'criu dump failed: exit status 3');
  t.equal(statusOf(['/bin/sh', '-c', 'kill -9 $$']), 'criu dump failed: killed by signal 9');
});

// A preload that takes away close_range (as on Linux before 5.9) or /proc/self/fd, or
// makes node a child subreaper, so that the fallbacks and the reparenting check run.
// Node marks every descriptor close-on-exec, so it also makes pipe2 leave the flag off:
// only the bridge's own closing then keeps the pipes from the stand-in for criu.
const PRELOAD = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

__attribute__((constructor)) static void setup(void) {
  if (getenv("TEST_SUBREAPER")) prctl(PR_SET_CHILD_SUBREAPER, 1);
}

long syscall(long number, ...) {
  static long (*next)(long, ...);
  va_list ap;
  va_start(ap, number);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
  long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_close_range && getenv("TEST_NO_CLOSE_RANGE")) {
    errno = ENOSYS;
    return -1;
  }
  if (!next) next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  return next(number, a, b, c, d, e, f);
}

int pipe2(int fds[2], int flags) {
  static int (*next)(int *, int);
  if (!next) next = (int (*)(int *, int))dlsym(RTLD_NEXT, "pipe2");
  return next(fds, flags & ~O_CLOEXEC);
}

int open64(const char *path, int flags, ...) {
  static int (*next)(const char *, int, ...);
  va_list ap;
  va_start(ap, flags);
  int mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
  va_end(ap);
  if (getenv("TEST_NO_PROC") && strcmp(path, "/proc/self/fd") == 0) {
    errno = ENOENT;
    return -1;
  }
  if (!next) next = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
  return next(path, flags, mode);
}
`;

// Runs checkpointSelf under the preload, the stand-in writing to \`out\` which of
// the app's pipes (an extra one and the status pipe) it still has.
function inChild(t: Test, env: Record<string, string>): { status: string; out: string; marker: boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'node-crac-native-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'preload.c'), PRELOAD);
  execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'preload.so'), join(dir, 'preload.c'), '-ldl']);
  const out = join(dir, 'out');
  const marker = join(dir, 'marker');
  const standIn = `touch ${marker}; for fd in "$@"; do if [ -e /proc/self/fd/$fd ]; then echo "open $fd"; fi; done > ${out}`;
  const script = `
    const fs = require('fs');
    const b = require(${JSON.stringify(addon)});
    const [r, w] = b.pipe();
    const extra = b.pipe();
    const flags = parseInt(fs.readFileSync('/proc/self/fdinfo/' + w, 'utf8').match(/flags:\\s*(\\d+)/)[1], 8);
    if (flags & 0o2000000) throw new Error('the preload should have left O_CLOEXEC off');
    const fds = [...extra, w].map(String);
    process.stdout.write(b.checkpointSelf(['/bin/sh', '-c', ${JSON.stringify(standIn)}, 'sh', ...fds], r, w).toString());`;
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, LD_PRELOAD: join(dir, 'preload.so'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  t.equal(result.status, 0, result.stderr);
  return { status: result.stdout, out: existsSync(out) ? readFileSync(out, 'utf8') : '', marker: existsSync(marker) };
}

t.test('criu inherits none of the app\'s descriptors but stdio', async (t) => {
  const cases: [string, Record<string, string>][] = [
    ['close_range', {}],
    ['without close_range: the /proc/self/fd walk', { TEST_NO_CLOSE_RANGE: '1' }],
    ['without close_range and /proc: the loop up to the limit', { TEST_NO_CLOSE_RANGE: '1', TEST_NO_PROC: '1' }],
  ];
  for (const [name, env] of cases) {
    const result = inChild(t, env);
    t.equal(result.status, 'ok', `${name}: the stand-in ran`);
    t.equal(result.out, '', `${name}: the app's pipes were closed`);
  }
});

t.test('when node would adopt the dump helper (a child subreaper), nothing is dumped and the status says why', async (t) => {
  const result = inChild(t, { TEST_SUBREAPER: '1' });
  t.match(result.status, /^criu dump not started: the dump helper did not leave node's process tree \(its parent is pid \d+, node itself: is node a child subreaper or PID 1 of its namespace\?\)$/);
  t.notOk(result.marker, 'the stand-in for criu never ran');
});
