import t from 'tap';
import { join } from 'node:path';
import { leftOver, newToken, startCrac, tempDir } from '@node-crac/test-kit';

// The app leads its own session (CRIU needs that), so a terminal's or a
// supervisor's signal reaches only crac, which must pass it on.
const IDLE_APP = 'setInterval(() => {}, 1000)';

t.test('crac run passes SIGTERM on to the app and mirrors how it ended', async (t) => {
  const token = newToken(t);
  const run = startCrac(t, ['run', '--', process.execPath, '-e', IDLE_APP, token]);
  await run.waitFor(/started .* \(pid \d+\)/);
  run.child.kill('SIGTERM');
  t.equal((await run.exited).code, 128 + 15, 'the app ended by SIGTERM: 143');
  t.same(await leftOver(token), [], 'no app left');
});

t.test('crac checkpoint stopped by SIGINT before the app is ready ends the app too', async (t) => {
  const token = newToken(t);
  const checkpoint = startCrac(t, ['checkpoint', '--image', join(tempDir(t, 'crac-image-'), 'image'), '--', process.execPath, '-e', IDLE_APP, token]);
  await checkpoint.waitFor(/started .* \(pid \d+\)/);
  checkpoint.child.kill('SIGINT');
  const { code } = await checkpoint.exited;
  t.not(code, 0, 'crac checkpoint fails');
  t.match(checkpoint.output(), /the app ended \(SIGINT\) before it was ready/);
  t.same(await leftOver(token), [], 'no app left');
});
