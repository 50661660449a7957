import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import { freePort } from '@node-crac/test-kit';
import { loadBridge } from '../../src/native/bridge.js';

// listenTcp, takeDescriptor and describeSocket, on sockets of this process.
const bridge = loadBridge();

t.test('listenTcp makes a listening TCP socket on the numeric address, and a second bind of it fails with EADDRINUSE', async (t) => {
  const port = await freePort();
  const fd = bridge.listenTcp('127.0.0.1', port, 16, false);
  t.teardown(() => closeSync(fd));
  t.same(bridge.describeSocket(fd), { socket: true, listening: true, tcp: true, family: 'IPv4', address: '127.0.0.1', port });
  t.throws(() => bridge.listenTcp('127.0.0.1', port, 16, false), { code: 'EADDRINUSE', message: /listenTcp: bind: Address already in use/ });
  const v6 = bridge.listenTcp('::1', 0, 16, true);
  t.match(bridge.describeSocket(v6), { family: 'IPv6', address: '::1', listening: true });
  closeSync(v6);
});

t.test('SO_REUSEPORT lets two sockets that both ask for it share a port', async (t) => {
  const port = await freePort();
  const first = bridge.listenTcp('127.0.0.1', port, 16, true);
  t.teardown(() => closeSync(first));
  const second = bridge.listenTcp('127.0.0.1', port, 16, true);
  closeSync(second);
  t.throws(() => bridge.listenTcp('127.0.0.1', port, 16, false), { code: 'EADDRINUSE' }, 'not without it');
});

t.test('wrong arguments are refused by name', async (t) => {
  t.throws(() => bridge.listenTcp('localhost', 1, 1, false), { name: 'TypeError', message: '"localhost" is not a numeric IPv4 or IPv6 address' });
  t.throws(() => (bridge.listenTcp as (...a: unknown[]) => number)(7, 1, 1, false), { name: 'TypeError', message: 'host must be a string' });
  t.throws(() => (bridge.listenTcp as (...a: unknown[]) => number)('127.0.0.1', '1', 1, false), { name: 'TypeError', message: 'port must be a number' });
  t.throws(() => bridge.listenTcp('127.0.0.1', 70000, 1, false), { name: 'RangeError', message: 'port must be 0-65535' });
  t.throws(() => (bridge.listenTcp as (...a: unknown[]) => number)('127.0.0.1'), { name: 'TypeError', message: 'listenTcp(host, port, backlog, reusePort)' });
  t.throws(() => (bridge.takeDescriptor as (...a: unknown[]) => number)(1), { name: 'TypeError', message: 'takeDescriptor(pid, fd)' });
  t.throws(() => (bridge.describeSocket as (...a: unknown[]) => unknown)(), { name: 'TypeError', message: 'describeSocket(fd)' });
});

t.test('takeDescriptor duplicates a descriptor of a process, close-on-exec; a missing process or descriptor fails by name', async (t) => {
  const fd = bridge.listenTcp('127.0.0.1', 0, 16, false);
  t.teardown(() => closeSync(fd));
  const copy = bridge.takeDescriptor(process.pid, fd);
  t.not(copy, fd);
  t.same(bridge.describeSocket(copy), bridge.describeSocket(fd), 'the same socket');
  closeSync(copy);
  t.throws(() => bridge.takeDescriptor(process.pid, 9999), { code: 'EBADF', message: /pidfd_getfd: Bad file descriptor/ });
  t.throws(() => bridge.takeDescriptor(2 ** 22 + 1, fd), { code: /ESRCH|EINVAL/, message: /pidfd_open/ });
});

t.test('describeSocket tells a file, a unix socket and a TCP socket that is not listening apart', async (t) => {
  const file = openSync('/dev/null', 'r');
  t.same(bridge.describeSocket(file), { socket: false });
  closeSync(file);
  t.throws(() => bridge.describeSocket(9999), { code: 'EBADF' });
  const unix = createServer().listen(`\0node-crac-test-${process.pid}`);
  await once(unix, 'listening');
  t.teardown(() => void unix.close());
  t.match(bridge.describeSocket((unix as unknown as { _handle: { fd: number } })._handle.fd), { socket: true, listening: true, tcp: false, family: 'unix' });
});
