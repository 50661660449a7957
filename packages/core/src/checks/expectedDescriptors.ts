import { accessMode, isInherited, type Descriptor } from './fdTable.js';

/**
 * Descriptors that every Node process holds and that a checkpoint keeps.
 *
 * Measured on Node 20.20.2 here: a fresh `node -e` holds, besides stdio, an
 * epoll and an eventfd per event loop (main loop, platform worker, ...), a
 * pipe pair per loop (libuv's signal pipe), one blocking pipe pair (libuv's
 * global signal lock) and /dev/null read-only (Node's fallback for missing
 * stdio). After an http server listened and closed, the only addition is a
 * second /dev/null (libuv's reserve descriptor for EMFILE on accept); after
 * an fs.watch closed, an inotify instance without watches. Node 24
 * adds one io_uring per loop, which is never expected (see io_uring in
 * openResourceCheck.ts).
 *
 * libuv's pipes are told apart structurally rather than by a baseline taken
 * at import (which would bless whatever the app opened before importing
 * node-crac): Node's JavaScript API cannot create a pipe with both ends in
 * the same process (child_process stdio uses socketpairs), so a pipe whose
 * read and write ends are both held here is libuv's.
 */

export interface ExpectedDescriptor {
  descriptor: Descriptor;
  /** Why it passes, for debug output. */
  reason: string;
}

// Stateless devices: CRIU reopens them by path and nothing is lost.
const STATELESS_DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/random', '/dev/urandom']);

export function partitionExpected(
  descriptors: readonly Descriptor[],
  allowFds: Iterable<number> = [],
): { expected: ExpectedDescriptor[]; unexpected: Descriptor[] } {
  const allowed = new Set(allowFds);
  const selfPipes = pipesWithBothEnds(descriptors);
  const expected: ExpectedDescriptor[] = [];
  const unexpected: Descriptor[] = [];
  for (const descriptor of descriptors) {
    const reason = allowed.has(descriptor.fd)
      ? 'allowed by the caller'
      : expectedReason(descriptor, selfPipes);
    if (reason) expected.push({ descriptor, reason });
    else unexpected.push(descriptor);
  }
  return { expected, unexpected };
}

function expectedReason(d: Descriptor, selfPipes: ReadonlySet<number>): string | undefined {
  if (d.fd <= 2) return 'stdio';
  switch (d.kind) {
    case 'epoll':
    case 'eventfd':
    case 'signalfd':
    case 'timerfd':
      return `libuv/V8 internal ${d.kind}`;
    case 'inotify':
      // libuv opens one inotify instance per loop at the first fs.watch and keeps it after the last one closes.
      return d.watches === 0 ? "libuv's inotify instance, no watches left" : undefined;
    case 'pipe':
      if (selfPipes.has(d.inode)) return "libuv's internal pipe (both ends held by this process)";
      // CRIU dumps a pipe whose other end is outside the process tree (verified with criu 4.1.1 here).
      if (isInherited(d)) return 'pipe inherited from the parent process (no O_CLOEXEC)';
      return undefined;
    case 'device':
      return STATELESS_DEVICES.has(d.path) ? 'stateless device' : undefined;
    case 'directory':
      // libuv's EMFILE reserve falls back to "/" when /dev/null cannot be opened.
      return d.path === '/' && accessMode(d.flags) === 'read' ? "libuv's reserve descriptor" : undefined;
    case 'file':
      return d.path === process.execPath && accessMode(d.flags) === 'read' ? 'the node binary' : undefined;
    default:
      return undefined;
  }
}

function pipesWithBothEnds(descriptors: readonly Descriptor[]): Set<number> {
  const ends = new Map<number, Set<string>>();
  for (const d of descriptors) {
    if (d.kind !== 'pipe') continue;
    const seen = ends.get(d.inode) ?? new Set<string>();
    seen.add(accessMode(d.flags));
    ends.set(d.inode, seen);
  }
  return new Set([...ends].filter(([, seen]) => seen.has('read') && seen.has('write')).map(([inode]) => inode));
}
