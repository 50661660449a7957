import t from 'tap';
import { criuUsable, dirListing, getJson, leftOver, newToken, startCrac, tempDir, tmpdirLeftovers } from '@node-crac/test-kit';
import { checkpointFixture } from './harness.js';

// An image is a template restored many times: a restore changes nothing in its
// directory. CRIU writes stats-restore into its work directory, which is the
// restorer's private one, not the image; the restorer removes it when done.

t.test('a restore and the copy it starts leave the image directory byte for byte as it was', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir, state } = await checkpointFixture(t, token);
  const before = dirListing(imageDir);
  const tmp = tempDir(t, 'crac-restore-tmp-');

  for (const round of [1, 2]) {
    const restorer = startCrac(t, ['restore', imageDir], { TMPDIR: tmp });
    const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
    t.equal((await getJson(port)).state, state, `restore ${round}: the copy serves`);
    restorer.child.kill('SIGTERM');
    t.equal((await restorer.exited).code, 128 + 15, `restore ${round}: the restorer mirrors the copy's end`);
    t.same(dirListing(imageDir), before, `restore ${round}: names, modes, sizes and mtimes in the image directory are unchanged (no stats-restore)`);
    t.same(tmpdirLeftovers(tmp), [], `restore ${round}: its private work directory is gone`);
  }
  t.same(await leftOver(token), []);
});
