import t from 'tap';
import { criuUsable, dirListing, leftOver, newToken, runCrac, tempDir, tmpdirLeftovers } from '@node-crac/test-kit';
import { checkpointFixture, copyImage, resealMeta } from './harness.js';

// crac.json names the pipe the app blocks on during the dump; the restorer puts
// its payload in that pipe's place. A record whose inode is not in the CRIU
// files (edited, or taken from another image) used to let the copy resume
// without its payload, then hang until the resume timeout: now the copy never
// resumes, and the restore fails as soon as CRIU is done.

t.test('an edited status-pipe inode: the copy never resumes, crac restore says why and fails, nothing is left', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const edited = copyImage(t, imageDir);
  resealMeta(edited, (meta) => (meta.statusPipe.inode += 1000));
  const before = dirListing(edited);
  const tmp = tempDir(t, 'crac-restore-tmp-');

  const run = await runCrac(t, ['restore', edited], { TMPDIR: tmp });
  t.equal(run.code, 1, run.output);
  t.match(run.output, /the restored app never got its restore payload, so it was ended before it resumed/);
  t.match(run.output, /the status pipe that .*crac\.json names \(inode \d+\), and the restored app holds no such pipe, so that record does not belong to these CRIU files .*: checkpoint again/);
  t.notMatch(run.output, /listening/, 'no afterRestore hook ran: the copy never served');
  t.same(dirListing(edited), before, 'the image directory is unchanged');
  t.same(tmpdirLeftovers(tmp).length, 1, "only the private directory with CRIU's log, which the message names");
  t.same(await leftOver(token), [], 'no restored process left');
});
