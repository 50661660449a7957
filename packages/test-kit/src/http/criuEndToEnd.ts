import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { criuProblem, criuUsable } from '../criu.js';
import { freePort } from '../ports.js';
import { runCrac, startCrac, stopProcess } from '../processes.js';
import { tempDir } from '../tempDir.js';
import { get } from './client.js';
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
