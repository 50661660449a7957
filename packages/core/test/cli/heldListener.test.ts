import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import t from 'tap';
import { freePort, tryConnect } from '@node-crac/test-kit';
import { holdListener, listenerEnv, parseListenOption, reusePortNote } from '../../src/cli/heldListener.js';
import { processStartTime } from '../../src/http/handedListener.js';
import { loadBridge } from '../../src/native/bridge.js';

t.test('--listen takes PORT, HOST:PORT and [IPv6]:PORT with a numeric host', async (t) => {
  t.same(parseListenOption('3000'), { host: undefined, port: 3000 });
  t.same(parseListenOption('127.0.0.1:3000'), { host: '127.0.0.1', port: 3000 });
  t.same(parseListenOption('[::1]:3000'), { host: '::1', port: 3000 });
  t.same(parseListenOption(':::3000'), { host: '::', port: 3000 });
  t.same(parseListenOption(' 0.0.0.0:80 '), { host: '0.0.0.0', port: 80 });
  for (const bad of ['', 'x', '0', '70000', '127.0.0.1:', '127.0.0.1:0', ':3000']) {
    t.throws(() => parseListenOption(bad), { name: 'UsageError', message: /--listen wants \[HOST:\]PORT with PORT 1-65535|HOST must be a numeric address/ }, bad);
  }
  t.throws(() => parseListenOption('localhost:3000'), { name: 'UsageError', message: '--listen localhost:3000: HOST must be a numeric address (127.0.0.1, 0.0.0.0, ::1, [::]), not "localhost"' });
});

t.test('holdListener binds --listen, says which port is in use and how to fix it, and closes once', async (t) => {
  t.equal(holdListener(undefined, false, {}), undefined, 'nothing to hold');
  const port = await freePort();
  const held = holdListener(`127.0.0.1:${port}`, false, {})!;
  t.match(held, { host: '127.0.0.1', port, hostNamed: true, origin: `--listen 127.0.0.1:${port}` });
  t.equal(await tryConnect(port), 'connected', 'listening: the backlog takes connections before anyone accepts');
  t.throws(() => holdListener(`127.0.0.1:${port}`, true, {}), {
    message: new RegExp(`port ${port} is in use \\(127\\.0\\.0\\.1:${port}, EADDRINUSE\\): nothing was started; stop what holds it .*or pick another port; --reuse-port takes a port over only from a copy started with --reuse-port too`),
  });
  held.close();
  held.close();
  const any = holdListener(String(port), false, {})!;
  t.match(any, { host: '0.0.0.0', port, hostNamed: false });
  any.close();
  t.throws(() => holdListener('[::ffff:1.2.3.4]:1', false, {}), { message: /cannot listen on \[::ffff:1\.2\.3\.4\]:1: .*nothing was started/ });
});

t.test('socket activation meant for another process is not ours; with --listen it is a usage error', async (t) => {
  t.equal(holdListener(undefined, false, { LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1' }), undefined);
  t.equal(holdListener(undefined, false, { LISTEN_PID: String(process.pid), LISTEN_FDS: '0' }), undefined);
  t.throws(() => holdListener('3000', false, { LISTEN_PID: String(process.pid), LISTEN_FDS: '1' }), {
    name: 'UsageError',
    message: '--listen and systemd socket activation (LISTEN_FDS) both give a socket: drop --listen, or ListenStream= from the unit',
  });
});

t.test('a socket systemd passes is checked, moved to a close-on-exec descriptor, and LISTEN_* are not passed on', async (t) => {
  const bridge = loadBridge();
  const port = await freePort();
  const passed = bridge.listenTcp('127.0.0.1', port, 16, false);
  const env: NodeJS.ProcessEnv = { LISTEN_PID: String(process.pid), LISTEN_FDS: '1', LISTEN_FDNAMES: 'app.socket' };
  const held = holdListener(undefined, false, env, passed)!;
  t.teardown(() => held.close());
  t.match(held, { host: '127.0.0.1', port, hostNamed: false, origin: `systemd socket activation (fd ${passed})` });
  t.throws(() => bridge.describeSocket(passed), { code: 'EBADF' }, 'the passed descriptor is closed');
  t.same(env, {}, 'LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are gone');
  t.equal(await tryConnect(port), 'connected');

  const activated = { LISTEN_PID: String(process.pid), LISTEN_FDS: '1' };
  const file = openSync('/dev/null', 'r');
  t.throws(() => holdListener(undefined, false, { ...activated }, file), { message: `systemd socket activation: fd ${file} is no socket: crac needs a listening TCP socket (ListenStream=PORT or HOST:PORT in the .socket unit, one socket)` });
  closeSync(file);
  t.throws(() => holdListener(undefined, false, { ...activated }, 9999), { message: /LISTEN_FDS=1 but fd 9999 is not open .*check the unit's \.socket/ });
  const unix = createServer().listen(`\0node-crac-held-${process.pid}`);
  await once(unix, 'listening');
  t.teardown(() => void unix.close());
  t.throws(() => holdListener(undefined, false, { ...activated }, (unix as unknown as { _handle: { fd: number } })._handle.fd), { message: /is a unix socket, not TCP/ });
});

t.test('listenerEnv hands the socket over with PORT (and HOST when named), and refuses a PORT or HOST that would not use it', async (t) => {
  const port = await freePort();
  const held = holdListener(`127.0.0.1:${port}`, false, {})!;
  t.teardown(() => held.close());
  t.same(listenerEnv(held, { pid: process.pid, fd: held.fd }, {}), {
    CRAC_LISTEN: `${process.pid}:${processStartTime(process.pid)}:${held.fd}:127.0.0.1:${port}`,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
  t.same(listenerEnv(held, { pid: 1, fd: 5 }, { PORT: String(port), HOST: '' }).CRAC_LISTEN, `1::5:127.0.0.1:${port}`, 'pid 1 of a restore namespace: no start time');
  t.throws(() => listenerEnv(held, { pid: 1, fd: 5 }, { PORT: '1' }), { name: 'UsageError', message: `PORT=1 is given, but --listen 127.0.0.1:${port} holds 127.0.0.1:${port} for the app: drop PORT, or make it ${port}` });
  t.throws(() => listenerEnv(held, { pid: 1, fd: 5 }, { HOST: '::' }), { name: 'UsageError', message: /HOST=:: is given/ });
  t.throws(() => listenerEnv(held, { pid: 2 ** 22 + 1, fd: 5 }, {}), { message: /cannot read the start time of pid/ });
  const unnamed = holdListener(String(await freePort()), false, {})!;
  t.notOk('HOST' in listenerEnv(unnamed, { pid: 1, fd: 5 }, { HOST: 'anything' }), 'no HOST for --listen PORT: the app keeps its own');
  unnamed.close();
});

t.test('reusePortNote says when queued connections of a closing reuseport socket are reset', async (t) => {
  t.equal(reusePortNote(() => '1\n'), undefined);
  t.match(reusePortNote(() => '0\n'), /net\.ipv4\.tcp_migrate_req is 0: .* reset, not moved .*sysctl -w net\.ipv4\.tcp_migrate_req=1/);
  t.match(reusePortNote(() => {
    throw new Error('ENOENT');
  }), /cannot be read \(a kernel before 5\.14\?\)/);
  const here = reusePortNote(); // this machine's own setting
  t.ok(here === undefined || /tcp_migrate_req/.test(here));
});
