import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { criuUsable, getJson, leftOver, newToken, startCrac } from '@node-crac/test-kit';
import { checkpointFixture, PROBE_FIXTURE } from './harness.js';

// Timers set before a checkpoint, restored some seconds later: no burst of
// every interval at once, no stall. Bounds are generous: they only tell a
// normal restore (about 10 ticks a second, a 500 ms timeout firing well within
// a few seconds) from a burst (30+ ticks) or a stall (nothing for seconds).

interface Clock {
  ticks: number;
  timeoutFired: { generation: number; uptimeSinceRestore: number | null } | null;
  restoreTime: number | null;
  uptimeSinceRestore: number | null;
}

const PAUSE_MS = 3_000;

t.test('timers and the restore clock after a restore made 3 s after the checkpoint', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token, {}, PROBE_FIXTURE);
  await sleep(PAUSE_MS);

  const restoreStarted = Date.now();
  const restorer = startCrac(t, ['restore', imageDir]);
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  const clock = async (): Promise<Clock> => (await getJson(port, '/clock')) as unknown as Clock;
  const first = await clock();
  const answered = Date.now();
  await sleep(1_000);
  const second = await clock();

  const ticks = second.ticks - first.ticks;
  t.ok(ticks >= 3 && ticks <= 20, `a 100 ms interval ticked ${ticks} times in the first second after restore (about 10; a burst would be 30+, a stall 0)`);

  let fired = second.timeoutFired;
  for (let waited = 0; fired === null && waited < 5_000; waited += 100) {
    await sleep(100);
    fired = (await clock()).timeoutFired;
  }
  t.equal(fired?.generation, 1, 'the 500 ms timeout set before the checkpoint fired in the restored copy');
  t.ok(fired?.uptimeSinceRestore !== null && fired!.uptimeSinceRestore! < 2_500, `and ${fired?.uptimeSinceRestore?.toFixed(0)} ms after the restore, not after a stall`);

  t.ok(first.restoreTime! >= restoreStarted && first.restoreTime! <= answered, 'restoreTime() is the wall time of this restore');
  t.ok(first.uptimeSinceRestore! >= 0 && first.uptimeSinceRestore! < answered - restoreStarted + 100, `uptimeSinceRestore() is small at first (${first.uptimeSinceRestore?.toFixed(0)} ms)`);
  const grown = second.uptimeSinceRestore! - first.uptimeSinceRestore!;
  t.ok(grown >= 900 && grown < 5_000, `and grows with time (${grown.toFixed(0)} ms over a 1 s pause)`);

  restorer.child.kill('SIGTERM');
  await restorer.exited;
  t.same(await leftOver(token), [], 'no restored copy left');
});
