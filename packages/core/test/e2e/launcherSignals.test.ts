import t from 'tap';
import { join } from 'node:path';
import { freePort, leftOver, newToken, portFreed, startCrac, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

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

t.test('crac checkpoint stopped by SIGTERM during the warm-up says so, fails and leaves nothing', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = startCrac(
    t,
    ['checkpoint', '--image', imageDir, '--warmup-url', url, '--warmup-duration', '60', '--', process.execPath, FIXTURE, token],
    { PORT: String(port), LOG_REQUESTS: '1' },
  );
  await checkpoint.waitFor(/request \//);
  checkpoint.child.kill('SIGTERM');
  const { code } = await checkpoint.exited;
  t.not(code, 0, 'crac checkpoint fails');
  t.match(checkpoint.output(), /stopped by SIGTERM during the warm-up: the app was ended with it, and no image was written/);
  t.notMatch(checkpoint.output(), /ECONNRESET/, 'no bare socket error');
  t.same(await leftOver(token), [], 'no app left');
  t.equal(await portFreed(port), 'ECONNREFUSED', 'the port is free');
});
