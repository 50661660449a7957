import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { criuProblem, criuUsable } from '../criu.js';
import { freePort } from '../ports.js';
import { runCrac, startCrac, stopProcess } from '../processes.js';
import { tempDir } from '../tempDir.js';
import { get } from './client.js';
import { startConnectionLoad } from './connectionLoad.js';
import { runLoad } from './load.js';
import { firstAnswer, stopServing } from './restoredCopies.js';

/**
 * The app under test listens on 127.0.0.1:PORT and answers GET / with JSON
 * { framework, pid }, GET /load?id=N with "ok N" (recording N), and GET
 * /accepted with the ids it recorded. With CHECKPOINT_ON_READY=1 it passes
 * `checkpointOnReady: true` to its adapter and exits with 1 if that fails.
 */
export interface EndToEndApp {
  framework: string;
  /** Path of the app's script, run with `node`. */
  script: string;
}

// Below tap's 120 s per file, so that a hung checkpoint fails with its output.
const CHECKPOINT_LIMIT_MS = 60_000;

/**
 * End to end with real CRIU: `crac checkpoint` then `crac restore` on a new
 * PORT; a leaveRunning checkpoint (`crac run`, `crac checkpoint --pid`) under
 * load; an app that checkpoints itself once ready. Without CRIU these fail (never skip).
 */
export function testWithCriu(t: Test, app: EndToEndApp): void {
  const problem = criuProblem();

  const imageDir = (t: Test): string => tempDir(t, `${app.framework}-crac-e2e-`);

  async function restoreAndServe(t: Test, dir: string): Promise<void> {
    const port = await freePort();
    const restorer = startCrac(t, ['restore', dir, '--env', `PORT=${port}`]);
    t.teardown(() => stopServing(t, restorer, port));
    const answer = await firstAnswer(port, restorer);
    t.equal(answer.status, 200, `the restored copy serves on the new PORT ${port}`);
    t.match(JSON.parse(answer.body), { framework: app.framework });
  }

  t.test(`${app.framework}: crac checkpoint, then crac restore on a new PORT serves`, async (t) => {
    if (!criuUsable(t, problem)) return;
    const dir = imageDir(t);
    const port = await freePort();
    const checkpoint = await runCrac(t, ['checkpoint', '--image', dir, '--', process.execPath, app.script], { PORT: String(port) }, CHECKPOINT_LIMIT_MS);
    t.equal(checkpoint.code, 0, 'crac checkpoint wrote an image');
    if (checkpoint.code !== 0) {
      t.comment(checkpoint.output);
      return;
    }
    await restoreAndServe(t, dir);
  });

  t.test(`${app.framework}: a leaveRunning checkpoint under load loses no accepted request, and its image restores`, async (t) => {
    if (!criuUsable(t, problem)) return;
    const dir = imageDir(t);
    const port = await freePort();
    const running = startCrac(t, ['run', '--', process.execPath, app.script], { PORT: String(port) });
    t.teardown(() => stopServing(t, running, port));
    const { pid } = JSON.parse((await firstAnswer(port, running)).body) as { pid: number };

    const load = await runLoad({
      port,
      clients: 8,
      requests: 3000,
      midway: { after: 300, run: () => runCrac(t, ['checkpoint', '--pid', String(pid), '--image', dir, '--leave-running'], {}, CHECKPOINT_LIMIT_MS) },
    });
    const checkpoint = load.midwayResult as { code: number | null; output: string };
    t.equal(checkpoint.code, 0, 'crac checkpoint --leave-running wrote an image during the load');
    if (checkpoint.code !== 0) t.comment(checkpoint.output);
    const accepted = JSON.parse((await get(port, '/accepted')).body) as string[];
    const lost = accepted.filter((id) => load.responses.get(id)?.body !== `ok ${id}`);
    t.same(lost, [], `all ${accepted.length} accepted requests got a complete 200`);
    t.comment(`sent 3000: ${load.responses.size} answered, ${load.refused} refused while closed, ${load.failures.size} failed before the server accepted them (${[...new Set(load.failures.values())].join(', ') || 'none'})`);
    if (checkpoint.code === 0) await restoreAndServe(t, dir);
  });

  t.test(`${app.framework}: with crac run --listen and crac restore --listen the adapter listens on the launcher's socket: no new connection is refused or reset`, async (t) => {
    if (!criuUsable(t, problem)) return;
    const dir = imageDir(t);
    const port = await freePort();
    const running = startCrac(t, ['run', '--listen', `127.0.0.1:${port}`, '--', process.execPath, app.script]);
    t.teardown(() => stopServing(t, running, port));
    const { pid } = JSON.parse((await firstAnswer(port, running)).body) as { pid: number };
    const load = startConnectionLoad({ port, intervalMs: 4, limit: 2000 });
    await new Promise((r) => setTimeout(r, 150));
    const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', dir, '--leave-running'], {}, CHECKPOINT_LIMIT_MS);
    await new Promise((r) => setTimeout(r, 300));
    const during = await load.stop();
    t.equal(checkpoint.code, 0, 'crac checkpoint --leave-running wrote an image');
    if (checkpoint.code !== 0) t.comment(checkpoint.output);
    t.same({ refused: during.refused, reset: during.reset, other: during.other }, { refused: 0, reset: 0, other: {} }, `during the checkpoint: ${during.answered} of ${during.sent} answered`);
    if (checkpoint.code !== 0) return;

    const copyPort = await freePort();
    const restorer = startCrac(t, ['restore', dir, '--verify', '--listen', `127.0.0.1:${copyPort}`]);
    t.teardown(() => stopServing(t, restorer, copyPort));
    await restorer.waitFor(/holding 127\.0\.0\.1:\d+ for the restored app/);
    const restoring = startConnectionLoad({ port: copyPort, intervalMs: 4, limit: 2000 });
    const deadline = Date.now() + CHECKPOINT_LIMIT_MS;
    while (restoring.answered() < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const restored = await restoring.stop();
    t.same({ refused: restored.refused, reset: restored.reset, other: restored.other }, { refused: 0, reset: 0, other: {} }, `during the restore: ${restored.answered} of ${restored.sent} answered`);
    t.ok(restored.outcomes.every((o) => o.body?.framework === app.framework), 'by the restored copy');
  });

  t.test(`${app.framework}: an app that checkpoints itself once ready (crac run --image) is restored by crac restore`, async (t) => {
    if (!criuUsable(t, problem)) return;
    const dir = imageDir(t);
    const port = await freePort();
    // crac run gives the app CRAC_ENGINE=criu, the image directory and no io_uring (Node >= 22.17).
    const started = startCrac(t, ['run', '--image', dir, '--', process.execPath, app.script], { PORT: String(port), CHECKPOINT_ON_READY: '1' });
    t.teardown(() => stopProcess(started));
    const timer = setTimeout(() => started.child.kill('SIGKILL'), CHECKPOINT_LIMIT_MS);
    await started.exited;
    clearTimeout(timer);
    t.ok(existsSync(join(dir, 'crac.json')), 'the app wrote an image and CRIU ended it');
    if (!existsSync(join(dir, 'crac.json'))) {
      t.comment(started.output());
      return;
    }
    await restoreAndServe(t, dir);
  });
}
