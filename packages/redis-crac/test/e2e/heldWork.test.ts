import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import { criuUsable, leftOver, newToken, runCrac, type Started, startCrac, stopProcess, tempDir } from '@node-crac/test-kit';
import { disconnected, REDIS_URL } from '../fixtures/redisVersions.js';

// Exactly once across copies, with real CRIU and Redis: a background job's
// INCR is held by redis-crac when the image is written. It runs in the original
// when that continues (--leave-running) and in no restored copy, where it fails
// with HeldCommandDiscardedError. The counter is read after two copies.

const APP = join(__dirname, 'fixtures/heldJobApp.js');
// Below tap's 120 s per file, so that a hung checkpoint fails with its output.
const CHECKPOINT_LIMIT_MS = 60_000;

interface JobReport {
  outcome: 'ran' | 'discarded';
  name?: string;
  code?: string;
  command?: string;
  message?: string;
  instance: string;
  restored: boolean;
}

async function jobReport(process: Started): Promise<JobReport> {
  return JSON.parse((await process.waitFor(/^job (\{.*\})$/m))[1]!) as JobReport;
}

for (const leaveRunning of [true, false]) {
  const mode = leaveRunning ? 'with --leave-running' : 'without --leave-running';
  const expected = leaveRunning ? 1 : 0;
  t.test(`${mode}: a command held at the checkpoint runs ${expected} time(s) across the original and two restored copies`, async (t) => {
    if (!criuUsable(t)) return;
    const key = `redis-crac:e2e:held:${process.pid}:${randomBytes(4).toString('hex')}`;
    const redis = new Redis(REDIS_URL);
    t.teardown(async () => {
      await redis.del(key);
      await disconnected(redis);
    });
    const token = newToken(t);
    const app = startCrac(t, ['run', '--', process.execPath, APP, token], { REDIS_URL: `${REDIS_URL}/0`, E2E_KEY: key });
    const pid = Number((await app.waitFor(/\(pid (\d+)\)/))[1]);
    await app.waitFor(/^ready$/m);

    const imageDir = join(tempDir(t, 'redis-crac-held-'), 'image');
    const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, ...(leaveRunning ? ['--leave-running'] : [])], {}, CHECKPOINT_LIMIT_MS);
    t.equal(checkpoint.code, 0, 'crac checkpoint wrote an image', { output: checkpoint.output });
    if (checkpoint.code !== 0) return;

    if (leaveRunning) {
      t.match(await jobReport(app), { outcome: 'ran', restored: false }, 'the original that continues runs the held INCR');
    } else {
      await app.exited;
      t.notMatch(app.output(), /^job /m, 'the original ended at the dump, its job unsettled');
    }

    // Two copies of the one image, side by side.
    const copies = [startCrac(t, ['restore', imageDir]), startCrac(t, ['restore', imageDir])];
    const reports = await Promise.all(copies.map(jobReport));
    for (const [i, report] of reports.entries()) {
      t.match(
        report,
        {
          outcome: 'discarded',
          name: 'HeldCommandDiscardedError',
          code: 'ERR_CRAC_HELD_WORK_DISCARDED',
          command: 'incr',
          message: /^redis-crac: the command INCR was issued before the checkpoint and held; it did not run in this restored copy/,
          restored: true,
        },
        `copy ${i + 1} sees the typed error`,
      );
    }
    t.not(reports[0]!.instance, reports[1]!.instance, 'two distinct copies');

    for (const copy of copies) await stopProcess(copy);
    await stopProcess(app);
    t.equal(await redis.get(key), leaveRunning ? '1' : null, `the INCR ran ${expected} time(s) in all`);
    t.same(await leftOver(token), [], 'no process of the app is left');
  });
}
