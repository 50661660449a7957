import { join } from 'node:path';
import t from 'tap';
import { criuUsable, getJson, leftOver, newToken, startCrac, tempDir } from '@node-crac/test-kit';
import { checkpointFixture, imageSealed, PROBE_FIXTURE } from './harness.js';

// A restored process checkpoints again: the second-generation image restores,
// serves, and carries the state the first restored copy built up.

t.test('a restored copy checkpoints again, and that image restores with its state', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir: firstImage, state } = await checkpointFixture(t, token, {}, PROBE_FIXTURE);

  const first = startCrac(t, ['restore', firstImage]);
  const firstPort = Number((await first.waitFor(/listening (\d+)/))[1]);
  await getJson(firstPort, '/hit');
  t.same(await getJson(firstPort, '/hit'), { state, hits: 2, generation: 1 }, 'the first restored copy serves and counts');

  const secondImage = join(tempDir(t, 'crac-image-'), 'image');
  await getJson(firstPort, `/checkpoint?image=${encodeURIComponent(secondImage)}`);
  await imageSealed(secondImage);
  t.equal((await first.exited).code, 128 + 9, 'CRIU ended the first copy once its image was written, and its restorer mirrored that');

  const second = startCrac(t, ['restore', secondImage]);
  const secondPort = Number((await second.waitFor(/listening (\d+)/))[1]);
  t.same(await getJson(secondPort, '/hit'), { state, hits: 3, generation: 2 }, 'the second-generation copy serves with the state and count of the first');

  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 128 + 15);
  t.same(await leftOver(token), [], 'no restored copy left');
});
