import t from 'tap';
import { partitionExpected } from '../../src/checks/expectedDescriptors.js';
import type { Descriptor } from '../../src/checks/fdTable.js';

const CLOEXEC = 0o2000000;
const READ = 0;
const WRITE = 1;

function pipe(fd: number, inode: number, flags: number): Descriptor {
  return { fd, kind: 'pipe', inode, target: `pipe:[${inode}]`, flags, position: 0 };
}

function reasons(descriptors: Descriptor[], allowFds?: number[]): Record<number, string | undefined> {
  const { expected, unexpected } = partitionExpected(descriptors, allowFds);
  return Object.fromEntries([
    ...expected.map((e) => [e.descriptor.fd, e.reason]),
    ...unexpected.map((d) => [d.fd, undefined]),
  ]);
}

t.test('stdio passes whatever it is', async (t) => {
  const socket: Descriptor = {
    fd: 1,
    kind: 'unix',
    inode: 7,
    target: 'socket:[7]',
    flags: 2,
    position: 0,
    socketType: 'stream',
    state: 'CONNECTED',
    path: undefined,
  };
  t.same(reasons([socket]), { 1: 'stdio' });
});

t.test("libuv's pipes: both ends held here, or inherited from the parent", async (t) => {
  t.same(
    reasons([
      pipe(4, 100, CLOEXEC | READ),
      pipe(5, 100, CLOEXEC | WRITE),
      pipe(30, 200, CLOEXEC | READ),
      pipe(251, 300, WRITE),
    ]),
    {
      4: "libuv's internal pipe (both ends held by this process)",
      5: "libuv's internal pipe (both ends held by this process)",
      30: undefined,
      251: 'pipe inherited from the parent process (no O_CLOEXEC)',
    },
  );
});

t.test('allowFds lets the caller keep its own descriptors (the bridge status pipe)', async (t) => {
  t.same(reasons([pipe(30, 200, CLOEXEC | READ)], [30]), { 30: 'allowed by the caller' });
});

t.test('epoll, eventfd, stateless devices, the node binary and libuv reserve pass; inotify only without watches', async (t) => {
  const common = { target: '', flags: CLOEXEC, position: 0 };
  t.same(
    reasons([
      { ...common, fd: 3, kind: 'epoll' },
      { ...common, fd: 8, kind: 'eventfd' },
      { ...common, fd: 10, kind: 'device', path: '/dev/null', deleted: false },
      { ...common, fd: 11, kind: 'device', path: '/dev/urandom', deleted: false },
      { ...common, fd: 12, kind: 'device', path: '/dev/sda', deleted: false },
      { ...common, fd: 13, kind: 'file', path: process.execPath, deleted: false },
      { ...common, fd: 14, kind: 'directory', path: '/', deleted: false },
      { ...common, fd: 15, kind: 'inotify', watches: 0 },
      { ...common, fd: 16, kind: 'inotify', watches: 2 },
      { ...common, fd: 17, kind: 'io_uring' },
      { ...common, fd: 18, kind: 'file', path: '/etc/hosts', deleted: false },
    ]),
    {
      3: 'libuv/V8 internal epoll',
      8: 'libuv/V8 internal eventfd',
      10: 'stateless device',
      11: 'stateless device',
      12: undefined,
      13: 'the node binary',
      14: "libuv's reserve descriptor",
      15: "libuv's inotify instance, no watches left",
      16: undefined,
      17: undefined,
      18: undefined,
    },
  );
});
