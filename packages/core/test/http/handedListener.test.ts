import { spawnSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer, Server } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import { freePort, setEnv, tryConnect } from '@node-crac/test-kit';
import {
  formatHandedListener,
  handedListener,
  HandedListenerError,
  listensOnHanded,
  parseHandedListener,
  processStartTime,
  takeHandedListener,
} from '../../src/http/handedListener.js';
import { listenOnHandedSocket } from '../../src/http/handedListenPatch.js';
import { listenOn } from '../../src/http/listen.js';
import { applyPayload } from '../../src/resumed/applyPayload.js';
import { loadBridge } from '../../src/native/bridge.js';

const bridge = loadBridge();
const DIST_HANDED = resolve(__dirname, '../../dist/http/handedListener.js');

t.test('CRAC_LISTEN is pid:starttime:fd:host:port, an IPv6 host too; a bad one names the format', async (t) => {
  const handed = { pid: 12, startTime: '345', fd: 20, host: '::1', port: 3000 };
  t.equal(formatHandedListener(handed), '12:345:20:::1:3000');
  t.same(parseHandedListener('12:345:20:::1:3000'), handed);
  t.same(parseHandedListener('1::5:127.0.0.1:80'), { pid: 1, startTime: '', fd: 5, host: '127.0.0.1', port: 80 }, 'pid 1 without a start time');
  t.same(parseHandedListener('12:3:4:[::]:80').host, '::');
  for (const bad of ['', '12:3:4:127.0.0.1', '12::4:127.0.0.1:80', '0:3:4:h:80', '12:3:4:h:0', '12:3:4:h:70000', 'a:b:c:d:e']) {
    t.throws(() => parseHandedListener(bad), { name: 'ConfigurationError', message: /is not pid:starttime:fd:host:port .* do not set it yourself/ }, bad);
  }
  t.equal(handedListener({}), undefined);
  t.same(handedListener({ CRAC_LISTEN: '1::5:127.0.0.1:80' })?.fd, 5);
});

t.test('a listen is for the handed socket on its port, with its host, no host, a wildcard on either side, or localhost for loopback', async (t) => {
  const handed = parseHandedListener('1::5:127.0.0.1:3000');
  t.ok(listensOnHanded(handed, undefined, 3000));
  t.ok(listensOnHanded(handed, '127.0.0.1', 3000));
  t.ok(listensOnHanded(handed, '::', 3000));
  t.ok(listensOnHanded(handed, 'localhost', 3000));
  t.notOk(listensOnHanded(handed, '127.0.0.1', 3001), 'another port');
  t.notOk(listensOnHanded(handed, '10.0.0.1', 3000), 'another host');
  const anyIPv4 = parseHandedListener('1::5:0.0.0.0:3000');
  t.ok(listensOnHanded(anyIPv4, '10.0.0.1', 3000), 'a socket on every IPv4 address serves any IPv4 host');
  t.ok(listensOnHanded(anyIPv4, 'localhost', 3000));
  t.notOk(listensOnHanded(anyIPv4, '::1', 3000), 'not an IPv6 one (such as Fastify\'s extra ::1 binding for localhost): that binds itself');
  t.ok(listensOnHanded(parseHandedListener('1::5::::3000'), '::1', 3000), 'a dual-stack socket serves every host');
  t.notOk(listensOnHanded(parseHandedListener('1::5:10.0.0.2:3000'), 'localhost', 3000));
});

t.test('takeHandedListener takes a duplicate of the right socket, and refuses every wrong one with the fix', async (t) => {
  const port = await freePort();
  const fd = bridge.listenTcp('127.0.0.1', port, 16, false);
  t.teardown(() => closeSync(fd));
  const me = processStartTime(process.pid)!;
  t.match(me, /^\d+$/);
  t.equal(processStartTime(2 ** 22 + 1), undefined);
  const copy = takeHandedListener({ pid: process.pid, startTime: me, fd, host: '127.0.0.1', port });
  t.equal(bridge.describeSocket(copy).port, port);
  closeSync(copy);

  const fix = /start the app with crac run\/checkpoint\/restore\/start --listen/;
  const refuses = (handed: Parameters<typeof takeHandedListener>[0], message: RegExp): void => {
    t.throws(() => takeHandedListener(handed), { name: 'HandedListenerError', code: 'ERR_CRAC_HANDED_LISTENER', message }, message.source);
    t.throws(() => takeHandedListener(handed), { message: fix });
  };
  refuses({ pid: process.pid, startTime: '1', fd, host: '127.0.0.1', port }, /started at \d+, not at 1 \(the pid was reused\)/);
  refuses({ pid: process.pid, startTime: me, fd, host: '127.0.0.1', port: port + 1 }, /is a listening TCP socket on 127\.0\.0\.1:\d+, not a TCP socket listening on 127\.0\.0\.1:\d+/);
  refuses({ pid: process.pid, startTime: me, fd: 0, host: '127.0.0.1', port }, /is no socket/);
  refuses({ pid: process.pid, startTime: me, fd: 9999, host: '127.0.0.1', port }, /pid \d+ has no fd 9999/);
  refuses({ pid: 2 ** 22 + 1, startTime: '1', fd, host: '127.0.0.1', port }, /is gone \(its launcher ended\)|pidfd_open/);
  t.ok(new HandedListenerError('x') instanceof Error);
});

t.test('a process without ptrace access to the holder is refused by name (as dist, run by nobody)', async (t) => {
  const fd = bridge.listenTcp('127.0.0.1', 0, 16, false);
  t.teardown(() => closeSync(fd));
  const handed = { pid: process.pid, startTime: processStartTime(process.pid), fd, host: '127.0.0.1', port: bridge.describeSocket(fd).port };
  const script = `try { require(${JSON.stringify(DIST_HANDED)}).takeHandedListener(${JSON.stringify(handed)}) } catch (e) { process.stdout.write(e.message) }`;
  const run = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  t.match(run.stdout, `no ptrace access to pid ${process.pid} (EPERM): pidfd_getfd needs it`);
});

/** A net server listening as `listen` has it; resolves once it listens or fails. */
async function listenWith(server: Server, listen: (server: Server) => void): Promise<Error | undefined> {
  const failed = once(server, 'error').then(([error]) => error as Error);
  listen(server);
  return Promise.race([once(server, 'listening').then(() => undefined), failed]);
}

t.test('the listen patch makes app.listen(port) on the handed port listen on the handed socket; other ports and forms are as before', async (t) => {
  const port = await freePort();
  const fd = bridge.listenTcp('127.0.0.1', port, 16, false);
  t.teardown(() => closeSync(fd));
  setEnv(t, { CRAC_LISTEN: `${process.pid}:${processStartTime(process.pid)}:${fd}:127.0.0.1:${port}` });
  listenOnHandedSocket();
  listenOnHandedSocket(); // once only

  for (const listen of [(s: Server) => s.listen(port), (s: Server) => s.listen({ port, host: '127.0.0.1' }), (s: Server) => s.listen(port, '::', 64, () => {})]) {
    const server = createServer((socket) => socket.on('error', () => {}).end());
    t.equal(await listenWith(server, listen), undefined);
    t.same(server.address(), { address: '127.0.0.1', family: 'IPv4', port }, 'on the handed socket');
    t.equal(await tryConnect(port), 'connected');
    await new Promise((r) => server.close(r));
  }
  t.same(bridge.describeSocket(fd).listening, true, 'closing the server leaves the handed socket listening');

  const other = createServer();
  t.equal(await listenWith(other, (s) => s.listen(0, '127.0.0.1')), undefined);
  t.not((other.address() as { port: number }).port, port, 'another port binds as before');
  other.close();

  setEnv(t, { CRAC_LISTEN: `${process.pid}:1:${fd}:127.0.0.1:${port}` });
  const stale = createServer();
  const error = await listenWith(stale, (s) => s.listen(port));
  t.match(error, { name: 'HandedListenerError', message: /the pid was reused/ }, 'a wrong socket fails the listen with an error event');
  t.equal(stale.listening, false);
});

t.test('listenOn listens again on the handed socket on its port, and rejects with the reason when it is not the one named', async (t) => {
  const port = await freePort();
  const fd = bridge.listenTcp('127.0.0.1', port, 16, false);
  t.teardown(() => closeSync(fd));
  setEnv(t, { CRAC_LISTEN: `${process.pid}:${processStartTime(process.pid)}:${fd}:127.0.0.1:${port}` });
  const server = createServer();
  await listenOn(server, { host: '::', port });
  t.same(server.address(), { address: '127.0.0.1', family: 'IPv4', port });
  await new Promise((r) => server.close(r));
  setEnv(t, { CRAC_LISTEN: `${process.pid}:${processStartTime(process.pid)}:0:127.0.0.1:${port}` });
  await t.rejects(listenOn(server, { host: '127.0.0.1', port }), { name: 'HandedListenerError', message: /is no socket/ });
});

t.test('a restored copy forgets the CRAC_LISTEN of its image, unless its restorer sets one', async (t) => {
  setEnv(t, { CRAC_LISTEN: '77:1:20:127.0.0.1:3000', CRAC_CHECKPOINT_TO: undefined });
  applyPayload({ env: {}, args: [], restoreWallTime: Date.now() });
  t.equal(process.env.CRAC_LISTEN, undefined);
  applyPayload({ env: { CRAC_LISTEN: '1::5:127.0.0.1:4000' }, args: [], restoreWallTime: Date.now() });
  t.equal(process.env.CRAC_LISTEN, '1::5:127.0.0.1:4000');
  t.equal((Server.prototype as unknown as Record<symbol, unknown>)[Symbol.for('node-crac.handedListen')], true, "and the app's own listen() on that port takes it, preload or not");
});
