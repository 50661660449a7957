import t, { type Test } from 'tap';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import {
  type ConnectionLoadResult,
  criuUsable,
  firstAnswer,
  freePort,
  getJson,
  leftOver,
  listeningInode,
  newToken,
  runCrac,
  type Started,
  startConnectionLoad,
  startCrac,
  startNode,
  CRAC_BIN,
  stopServing,
  tempDir,
} from '@node-crac/test-kit';
import { processStartTime } from '../../src/http/handedListener.js';
import { checkpointFixture } from './harness.js';
import { loadBridge } from '../../src/native/bridge.js';
import { RESTORE_FAILED_EXIT_CODE } from '../../src/resumed/restoreFailure.js';

// The launchers own the port (--listen): connections that arrive while the app
// is frozen by a checkpoint, or before a restored copy listens, wait in the
// backlog of the socket the launcher holds, and are answered. Load: one new
// connection every INTERVAL_MS to 127.0.0.1, at most LIMIT in all.

const APP = resolve(__dirname, '../fixtures/listenApp.js');
const PRELOAD = resolve(__dirname, '../../dist/launch/preload.js');
const LIMIT_MS = 60_000;
const INTERVAL_MS = 4;
const LIMIT = 3000;

/** The counts of a load, for messages. */
function summary(result: ConnectionLoadResult): string {
  return JSON.stringify({ sent: result.sent, answered: result.answered, refused: result.refused, reset: result.reset, other: result.other });
}

/** Runs the load while `during` runs, from `leadMs` before it to `tailMs` after it; returns what happened to every connection. */
async function loadDuring(port: number, during: () => Promise<unknown>, leadMs = 150, tailMs = 300): Promise<{ result: ConnectionLoadResult; from: number; to: number }> {
  const load = startConnectionLoad({ port, intervalMs: INTERVAL_MS, limit: LIMIT });
  await new Promise((r) => setTimeout(r, leadMs));
  const from = Date.now();
  await during();
  const to = Date.now();
  await new Promise((r) => setTimeout(r, tailMs));
  return { result: await load.stop(), from, to };
}

/** `crac run [--listen 127.0.0.1:port] -- listenApp`, answering; returns it and the app's pid. */
async function runApp(t: Test, token: string, port: number, listen: boolean, env: Record<string, string> = {}): Promise<{ running: Started; pid: number }> {
  const args = listen ? ['run', '--listen', `127.0.0.1:${port}`, '--', process.execPath, APP, token] : ['run', '--', process.execPath, APP, token];
  const running = startCrac(t, args, listen ? env : { PORT: String(port), ...env });
  t.teardown(() => stopServing(t, running, port));
  const pid = Number((await running.waitFor(/\(pid (\d+)\)/))[1]);
  await firstAnswer(port, running);
  return { running, pid };
}

t.test('crac run --listen: a --leave-running checkpoint under a stream of new connections refuses and resets none; without --listen some are refused', async (t) => {
  if (!criuUsable(t)) return;
  for (const listen of [true, false]) {
    const token = newToken(t);
    const port = await freePort();
    const { pid } = await runApp(t, token, port, listen);
    const imageDir = join(tempDir(t, 'crac-listen-'), 'image');
    let checkpoint = { code: null as number | null, output: '' };
    const { result, from, to } = await loadDuring(port, async () => {
      checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, '--leave-running'], {}, LIMIT_MS);
    });
    t.equal(checkpoint.code, 0, checkpoint.output);
    t.comment(`${listen ? 'with' : 'without'} --listen: ${summary(result)}, checkpoint ${to - from} ms`);
    const during = result.outcomes.filter((o) => o.sentAt >= from && o.sentAt <= to);
    t.ok(during.length > 10, `connections were made during the checkpoint (${during.length})`);
    if (listen) {
      t.equal(result.refused, 0, `none refused: ${summary(result)}`);
      t.equal(result.reset, 0, 'none reset');
      t.equal(result.answered, result.sent, 'every request answered');
      t.ok(during.every((o) => o.outcome === 'answered' && o.body?.pid === pid), 'those sent during the checkpoint were queued and answered by the original');
    } else {
      t.ok(result.refused > 0, `without --listen the closed port refuses some: ${summary(result)}`);
    }
    t.same((await getJson(port)).pid, pid, 'the original serves on');
  }
});

/** Checkpoints listenApp with `crac checkpoint --listen 127.0.0.1:PORT`: the image records a CRAC_LISTEN no copy may use. */
async function checkpointListening(t: Test, token: string): Promise<string> {
  const imageDir = join(tempDir(t, 'crac-listen-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--listen', `127.0.0.1:${await freePort()}`, '--image', imageDir, '--', process.execPath, APP, token], {}, LIMIT_MS);
  if (run.code !== 0) throw new Error(`crac checkpoint --listen exited ${run.code}:\n${run.output}`);
  return imageDir;
}

t.test('crac restore --listen: clients connecting from before CRIU starts are all answered by the copy; without --listen the recorded CRAC_LISTEN is not used', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = await checkpointListening(t, token);

  const port = await freePort();
  // --verify: the image's digests are checked after the bind and before CRIU starts, a window in which clients already connect.
  const restorer = startCrac(t, ['restore', imageDir, '--verify', '--listen', `127.0.0.1:${port}`, '--env', 'COPY=restored']);
  t.teardown(() => stopServing(t, restorer, port));
  await restorer.waitFor(/holding 127\.0\.0\.1:\d+ for the restored app/); // printed before CRIU starts
  const load = startConnectionLoad({ port, intervalMs: INTERVAL_MS, limit: LIMIT });
  const started = Date.now();
  while (load.answered() < 50 && Date.now() - started < LIMIT_MS) await new Promise((r) => setTimeout(r, 20));
  const result = await load.stop();
  t.comment(`restore --listen: ${summary(result)}`);
  t.equal(result.refused, 0, `none refused: ${summary(result)}`);
  t.equal(result.reset, 0, 'none reset');
  t.equal(result.answered, result.sent, 'every request answered');
  t.ok(result.outcomes.every((o) => o.body?.copy === 'restored'), 'all by the restored copy');
  const firstAnswered = Math.min(...result.outcomes.map((o) => o.endedAt!));
  const waited = result.outcomes.filter((o) => o.sentAt < firstAnswered);
  t.comment(`${waited.length} sent before the copy answered; the longest waited ${Math.max(...result.outcomes.map((o) => o.endedAt! - o.sentAt))} ms`);
  t.ok(waited.length > 1, 'connections made before the copy listened waited in the backlog and were answered');
  await stopServing(t, restorer, port);

  const plainPort = await freePort();
  const plain = startCrac(t, ['restore', imageDir, '--env', `PORT=${plainPort}`]);
  t.teardown(() => stopServing(t, plain, plainPort));
  t.equal(JSON.parse((await firstAnswer(plainPort, plain)).body).port, plainPort, 'a copy restored without --listen listens on its own PORT as before');
  t.notMatch(plain.output(), /HandedListener|CRAC_LISTEN/, 'and never touched the socket the image recorded');
  await stopServing(t, plain, plainPort);
  t.same(await leftOver(token), [], 'no app left');
});

/** Starts `crac ...args` as systemd socket activation would: LISTEN_PID its own pid, LISTEN_FDS=1, and `fd` as its fd 3. */
function startActivated(t: Test, fd: number, args: string[], env: Record<string, string> = {}): Started {
  return startNode(t, '/bin/sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', process.execPath, CRAC_BIN, ...args], env, { inherited: [fd] });
}

t.test('systemd socket activation: crac run takes the listening socket on fd 3, hands it to the app, and keeps it through a checkpoint', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const port = await freePort();
  const fd = loadBridge().listenTcp('127.0.0.1', port, 511, false);
  let running: Started;
  try {
    running = startActivated(t, fd, ['run', '--', process.execPath, APP, token]);
  } finally {
    closeSync(fd); // spawned with it as fd 3: from here on only crac run holds it
  }
  t.teardown(() => stopServing(t, running, port));
  const pid = Number((await running.waitFor(/\(pid (\d+)\)/))[1]);
  t.match(running.output(), `holding 127.0.0.1:${port} for the app (systemd socket activation (fd 3))`);
  t.equal(JSON.parse((await firstAnswer(port, running)).body).pid, pid, 'the app answers on the socket systemd made');
  t.notOk(readdirSync(`/proc/${pid}/fd`).includes('3') && readlinkSync(`/proc/${pid}/fd/3`).startsWith('socket:'), 'the app did not inherit fd 3');
  t.notMatch(readFileSync(`/proc/${pid}/environ`, 'utf8'), /LISTEN_FDS|LISTEN_PID/, 'nor LISTEN_FDS, meant for crac run');
  const imageDir = join(tempDir(t, 'crac-listen-'), 'image');
  let code: number | null = null;
  const { result } = await loadDuring(port, async () => {
    code = (await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, '--leave-running'], {}, LIMIT_MS)).code;
  });
  t.equal(code, 0, 'checkpointed with --leave-running');
  t.equal(result.refused + result.reset, 0, `none refused or reset: ${summary(result)}`);
  t.equal(result.answered, result.sent, 'every request answered');
  if (code !== 0) return;

  const copyPort = await freePort();
  const socket = loadBridge().listenTcp('127.0.0.1', copyPort, 511, false);
  let restorer: Started;
  try {
    restorer = startActivated(t, socket, ['restore', imageDir]);
  } finally {
    closeSync(socket);
  }
  t.teardown(() => stopServing(t, restorer, copyPort));
  t.equal(JSON.parse((await firstAnswer(copyPort, restorer)).body).port, copyPort, 'crac restore hands the socket systemd passed to the copy');
});

t.test('with --no-auto the app\'s own first listen on the held port takes the launcher\'s socket too', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  const running = startCrac(t, ['run', '--no-auto', '--listen', `127.0.0.1:${port}`, '--', process.execPath, APP, token], { LISTEN_FORM: 'backlog' });
  t.teardown(() => stopServing(t, running, port));
  const launcher = running.child.pid!;
  const pid = Number((await running.waitFor(/\(pid (\d+)\)/))[1]);
  t.same(JSON.parse((await firstAnswer(port, running)).body), { pid, copy: null, port });
  const inode = listeningInode(port);
  const sockets = (owner: number): string[] =>
    readdirSync(`/proc/${owner}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${owner}/fd/${fd}`);
      } catch {
        return ''; // closed meanwhile
      }
    });
  t.ok(inode && sockets(launcher).includes(`socket:[${inode}]`) && sockets(pid).includes(`socket:[${inode}]`), 'the launcher and the app hold one listening socket');
});

const MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

/** Sets net.ipv4.tcp_migrate_req for this test only: the value it had comes back at teardown. */
function setMigrateReq(t: Test, value: '0' | '1'): void {
  const before = readFileSync(MIGRATE_REQ, 'utf8').trim();
  writeFileSync(MIGRATE_REQ, value);
  t.teardown(() => writeFileSync(MIGRATE_REQ, before));
}

/** `crac restore --listen 127.0.0.1:port --reuse-port` of `imageDir` as copy `name`, answering. */
async function restoreReusing(t: Test, imageDir: string, port: number, name: string): Promise<Started> {
  const restorer = startCrac(t, ['restore', imageDir, '--listen', `127.0.0.1:${port}`, '--reuse-port', '--env', `COPY=${name}`]);
  t.teardown(() => stopServing(t, restorer, port));
  await restorer.waitFor(/holding 127\.0\.0\.1:\d+ for the restored app/);
  return restorer;
}

/** Waits until a new connection to `port` is answered by copy `name` (the kernel spreads them over the reuseport sockets). */
async function answeredBy(port: number, name: string): Promise<void> {
  const deadline = Date.now() + LIMIT_MS;
  while ((await getJson(port).catch(() => ({}) as Record<string, unknown>)).copy !== name) {
    if (Date.now() > deadline) throw new Error(`copy ${name} did not answer on ${port} within ${LIMIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('--reuse-port: a new copy takes the port over from a running one, which then ends, with no refused connection', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = await checkpointListening(t, token);
  for (const migrate of ['1', '0'] as const) {
    await t.test(`net.ipv4.tcp_migrate_req=${migrate}`, async (t) => {
      setMigrateReq(t, migrate);
      const port = await freePort();
      const old = await restoreReusing(t, imageDir, port, 'old');
      const doctor = await runCrac(t, ['doctor']);
      t.match(doctor.output, migrate === '0' ? /\[ok  \] --reuse-port replacement: net\.ipv4\.tcp_migrate_req is 0: .* reset/ : /--reuse-port replacement: net\.ipv4\.tcp_migrate_req is 1, queued connections move/, 'crac doctor says it too');
      t.match(old.output(), migrate === '0' ? /note: net\.ipv4\.tcp_migrate_req is 0: .* reset/ : /^(?![\s\S]*tcp_migrate_req)/, 'the restorer says whether queued connections would be reset');
      await answeredBy(port, 'old');
      let replacement: Started | undefined;
      const { result } = await loadDuring(port, async () => {
        replacement = await restoreReusing(t, imageDir, port, 'new');
        await answeredBy(port, 'new');
        old.child.kill('SIGTERM'); // forwarded to the old copy, which stops accepting and ends
        t.equal((await old.exited).code, 0, 'the old copy ended on SIGTERM');
      });
      t.comment(`replacement with tcp_migrate_req=${migrate}: ${summary(result)}`);
      t.equal(result.refused, 0, `none refused: ${summary(result)}`);
      const answering = new Set(result.outcomes.filter((o) => o.outcome === 'answered').map((o) => o.body?.copy));
      t.same([...answering].sort(), ['new', 'old'], 'both copies answered during the replacement');
      t.equal(result.outcomes.at(-1)?.body?.copy, 'new', 'the new copy answers at the end');
      if (migrate === '1') {
        t.equal(result.reset, 0, 'none reset: what was queued in the old socket moved to the new one');
        t.equal(result.answered, result.sent, 'every request answered');
      }
      await stopServing(t, replacement!, port);
    });
  }
  t.same(await leftOver(token), [], 'no copy left');
});

t.test('failures: a port in use, a systemd fd that is no listening TCP socket, --listen with LISTEN_FDS', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  const holder = createServer().listen(port, '127.0.0.1');
  await once(holder, 'listening');
  t.teardown(() => void holder.close());
  const run = await runCrac(t, ['run', '--listen', `127.0.0.1:${port}`, '--', process.execPath, APP, token]);
  t.equal(run.code, 1, 'crac run fails');
  t.match(run.output, `--listen 127.0.0.1:${port}: port ${port} is in use (127.0.0.1:${port}, EADDRINUSE): nothing was started`);
  t.notMatch(run.output, /started .* \(pid/, 'the app was not started');

  const file = openSync('/dev/null', 'r');
  let activated: Started;
  try {
    activated = startActivated(t, file, ['run', '--', process.execPath, APP, token]);
  } finally {
    closeSync(file);
  }
  t.equal((await activated.exited).code, 1, 'a LISTEN_FDS fd 3 that is no socket is refused');
  t.match(activated.output(), /systemd socket activation: fd 3 is no socket: crac needs a listening TCP socket/);

  const fd = loadBridge().listenTcp('127.0.0.1', await freePort(), 16, false);
  let both: Started;
  try {
    both = startActivated(t, fd, ['run', '--listen', String(await freePort()), '--', process.execPath, APP, token]);
  } finally {
    closeSync(fd);
  }
  t.equal((await both.exited).code, 2, '--listen with LISTEN_FDS is a usage error');
  t.match(both.output(), /--listen and systemd socket activation \(LISTEN_FDS\) both give a socket/);
  t.same(await leftOver(token), [], 'no app was started');
});

t.test('failures: a restore whose port is in use, or whose CRAC_LISTEN names no right socket, leaves no process', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = await checkpointListening(t, token);
  const port = await freePort();
  const holder = createServer().listen(port, '127.0.0.1');
  await once(holder, 'listening');
  t.teardown(() => void holder.close());
  const inUse = await runCrac(t, ['restore', imageDir, '--listen', `127.0.0.1:${port}`], {}, LIMIT_MS);
  t.equal(inUse.code, 1);
  t.match(inUse.output, `port ${port} is in use`);
  t.same(await leftOver(token), [], 'nothing was restored');

  // Without --listen, PID 1 of the copy's namespace holds no socket as fd 5 (CRIU may hold a file there for a moment,
  // before it execs the waiter), and its fd 4 is CRIU's log.
  const free = await freePort();
  for (const [fd, why] of [[5, /pid 1 has no fd 5|\(fd 5 of pid 1, [\d.:]+\) is (no socket|a .* socket)/], [4, /is no socket, not a TCP socket listening on/]] as const) {
    const restore = await runCrac(t, ['restore', imageDir, '--env', `PORT=${free}`, '--env', `CRAC_LISTEN=1::${fd}:127.0.0.1:${free}`], {}, LIMIT_MS);
    t.equal(restore.code, RESTORE_FAILED_EXIT_CODE, `fd ${fd}: the restore fails`);
    t.match(restore.output, why, 'saying what the named descriptor is');
    t.same(await leftOver(token), [], 'and no copy is left');
  }
});

t.test('a stale CRAC_LISTEN is refused with a clear message: a dead pid, another start time, a socket on another port', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  const other = loadBridge().listenTcp('127.0.0.1', await freePort(), 16, false);
  t.teardown(() => closeSync(other));
  const dead = startNode(t, process.execPath, ['-e', '']);
  await dead.exited;
  const me = processStartTime(process.pid)!;
  const cases: [string, RegExp][] = [
    [`${dead.child.pid}:1:${other}:127.0.0.1:${port}`, new RegExp(`pid ${dead.child.pid} is gone \\(its launcher ended\\)`)],
    [`${process.pid}:1:${other}:127.0.0.1:${port}`, new RegExp(`pid ${process.pid} started at ${me}, not at 1 \\(the pid was reused\\)`)],
    [`${process.pid}:${me}:${other}:127.0.0.1:${port}`, /is a listening TCP socket on 127\.0\.0\.1:\d+, not a TCP socket listening on 127\.0\.0\.1:\d+: it is not used/],
  ];
  for (const [value, message] of cases) {
    const app = startNode(t, process.execPath, ['--require', PRELOAD, APP, token], { PORT: String(port), CRAC_LISTEN: value });
    t.equal((await app.exited).code, 3, `${value}: the app's listen fails`);
    t.match(app.output(), message);
  }
});

t.test('an app that listens on a port of its own as well keeps it: only the held port is handed over', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const port = await freePort();
  const extra = await freePort();
  const { running, pid } = await runApp(t, token, port, true, { EXTRA_PORT: String(extra), LISTEN_FORM: 'options' });
  await running.waitFor(/extra listening/);
  t.same(await getJson(extra), { pid, copy: null, port: extra }, 'its own port answers');
  const imageDir = join(tempDir(t, 'crac-listen-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, '--leave-running'], {}, LIMIT_MS);
  t.equal(checkpoint.code, 0, checkpoint.output);
  // The image is sealed while the original may still be listening again (its afterRestore): its own port is closed until then.
  t.same(JSON.parse((await firstAnswer(extra, running)).body), { pid, copy: null, port: extra }, 'and listens again after the checkpoint, bound by the app itself');
  t.same(await getJson(port), { pid, copy: null, port }, 'as does the held port');
});

t.test('crac start --listen hands the socket to the app whether it restores it or starts it cold', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = await checkpointListening(t, token);
  for (const [image, how] of [[imageDir, /restoring /], [join(tempDir(t, 'crac-listen-'), 'none'), /starting cold: no usable image/]] as const) {
    const port = await freePort();
    const started = startCrac(t, ['start', '--image', image, '--listen', `127.0.0.1:${port}`, '--', process.execPath, APP, token]);
    t.teardown(() => stopServing(t, started, port));
    t.equal(JSON.parse((await firstAnswer(port, started)).body).port, port, `${how.source}: answers on the held port`);
    t.match(started.output(), how);
    const inode = listeningInode(port);
    t.ok(inode && readdirSync(`/proc/${started.child.pid}/fd`).some((fd) => readlinkSync(`/proc/${started.child.pid}/fd/${fd}`) === `socket:[${inode}]`), 'crac start holds it');
    await stopServing(t, started, port);
  }
  t.same(await leftOver(token), [], 'no app left');
});

t.test('crac restore --listen of an image made without --listen: the app\'s own afterRestore listen() takes the restorer\'s socket', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir, state } = await checkpointFixture(t, token); // httpApp: listens again in a hook of its own
  const port = await freePort();
  const restorer = startCrac(t, ['restore', imageDir, '--listen', `127.0.0.1:${port}`]);
  t.teardown(() => stopServing(t, restorer, port));
  await restorer.waitFor(/holding 127\.0\.0\.1:\d+ for the restored app/);
  const load = startConnectionLoad({ port, intervalMs: INTERVAL_MS, limit: LIMIT });
  const deadline = Date.now() + LIMIT_MS;
  while (load.answered() < 20 && Date.now() < deadline && restorer.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const result = await load.stop();
  t.ok(result.answered >= 20, `the copy answers: ${summary(result)}`);
  t.equal(result.refused + result.reset, 0, `none refused or reset: ${summary(result)}`);
  t.ok(result.outcomes.every((o) => o.body?.state === state), 'all answered by the copy');
});
