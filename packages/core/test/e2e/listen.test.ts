import t, { type Test } from 'tap';
import { closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ConnectionLoadResult,
  criuUsable,
  firstAnswer,
  freePort,
  getJson,
  leftOver,
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
import { loadBridge } from '../../src/native/bridge.js';

// The launchers own the port (--listen): connections that arrive while the app
// is frozen by a checkpoint, or before a restored copy listens, wait in the
// backlog of the socket the launcher holds, and are answered. Load: one new
// connection every INTERVAL_MS to 127.0.0.1, at most LIMIT in all.

const APP = resolve(__dirname, '../fixtures/listenApp.js');
const LIMIT_MS = 60_000;
const INTERVAL_MS = 4;
const LIMIT = 3000;

/** What did not go as an operator's SLO wants, for failure messages: the counts and the first odd outcomes. */
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
  return startNode(t, '/bin/sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', process.execPath, CRAC_BIN, ...args], env, [fd]);
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
});
