import t, { type Test } from 'tap';
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
  stopServing,
  tempDir,
} from '@node-crac/test-kit';

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
