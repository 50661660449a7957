import t from 'tap';
import { criuProblem, criuUsable, dirListing, fillFilesystem, get, leftOver, newToken, runCrac, startCrac, tmpdirLeftovers, tmpfsDir } from '@node-crac/test-kit';
import { checkpointFixture } from './harness.js';

// crac restore keeps CRIU's log in $TMPDIR. A $TMPDIR without room for the log
// does not make a working restore look failed; one where not even a directory
// can be made fails before CRIU runs, naming $TMPDIR and the fix.

const problem = criuProblem();

t.test('a $TMPDIR with no free block: the restore works and its exit code is the app\'s', async (t) => {
  if (!criuUsable(t, problem)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const before = dirListing(imageDir);
  const tmp = tmpfsDir(t, { size: '64k' });
  fillFilesystem(tmp);

  const restorer = startCrac(t, ['restore', imageDir], { TMPDIR: tmp });
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  await get(port, '/exit?code=3');
  t.equal((await restorer.exited).code, 3, 'crac restore exits with the code the app chose');
  t.notMatch(restorer.output(), /could not restore/, 'the working restore is not reported as failed');
  t.same(tmpdirLeftovers(tmp), ['filler'], 'nothing is left in $TMPDIR');
  t.same(dirListing(imageDir), before, 'the image directory is unchanged');
  t.same(await leftOver(token), []);
});

t.test('a $TMPDIR with no free inode: refused before CRIU runs, naming $TMPDIR and the fix', async (t) => {
  if (!criuUsable(t, problem)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  // Its root directory is the only inode it may have; blocks are plenty.
  const tmp = tmpfsDir(t, { size: '8m', inodes: 1 });

  const run = await runCrac(t, ['restore', imageDir], { TMPDIR: tmp });
  t.equal(run.code, 1, run.output);
  t.match(run.output, new RegExp(`^crac restore: cannot create a directory for CRIU's log in ${tmp}: ENOSPC.*\\(${tmp} is full: free space there, or set TMPDIR to another directory\\)$`, 'm'));
  t.same(tmpdirLeftovers(tmp), []);
  t.same(await leftOver(token), [], 'no restored process');
});
