import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import { criuUsable, leftOver, newToken, runHeldJob } from '@node-crac/test-kit';
import { disconnected, REDIS_URL } from '../fixtures/redisVersions.js';

// Exactly once across copies, with real CRIU and Redis: a background job's
// INCR is held by redis-crac when the image is written. It runs in the original
// when that continues (--leave-running) and in no restored copy, where it fails
// with HeldCommandDiscardedError. The counter is read after two copies.

const APP = join(__dirname, 'fixtures/heldJobApp.js');

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
    const run = await runHeldJob(t, { app: APP, token, env: { REDIS_URL: `${REDIS_URL}/0`, E2E_KEY: key }, work: 'INCR', leaveRunning });
    if (!run) return;
    for (const [i, report] of run.copies.entries()) {
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

    await run.stop();
    t.equal(await redis.get(key), leaveRunning ? '1' : null, `the INCR ran ${expected} time(s) in all`);
    t.same(await leftOver(token), [], 'no process of the app is left');
  });
}
