import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { criuProblem, criuUsable, leftOver, newToken, runCrac, tmpfsDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// A checkpoint into a filesystem too small for the image fails, says that the
// filesystem is full and what to do, and leaves nothing but CRIU's log (which
// the message names): no crac.json, no CRIU files, no temporary files.

const problem = criuProblem();

/** `crac checkpoint` of the fixture into an image directory on a fresh tmpfs of `size`. */
async function checkpointOnTmpfs(t: Test, size: string): Promise<{ imageDir: string; token: string; run: { code: number | null; output: string } }> {
  const token = newToken(t);
  const imageDir = join(tmpfsDir(t, { size }), 'image');
  return { imageDir, token, run: await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token]) };
}

t.test('a filesystem that fills up during the dump: the cause and the fix, only dump.log left, the app stopped', async (t) => {
  if (!criuUsable(t, problem)) return;
  // Larger than crac.json and CRIU's log, smaller than the fixture's image (about 11 MB).
  const { imageDir, token, run } = await checkpointOnTmpfs(t, '8m');
  t.not(run.code, 0, run.output);
  t.match(run.output, /No space left on device/, "CRIU's own error line is shown");
  t.match(run.output, new RegExp(`Cause: the filesystem of ${imageDir} filled up while the image was written .*: free space there or choose another image directory; no partial image was kept`));
  t.match(run.output, /the checkpoint failed; the app it started is stopped/);
  t.same(readdirSync(imageDir), ['dump.log'], 'only the log the message names is left');
  t.same(await leftOver(token), [], 'no app process is left');
});

t.test('a filesystem with no room for crac.json: the cause and the fix, nothing left', async (t) => {
  if (!criuUsable(t, problem)) return;
  const { imageDir, token, run } = await checkpointOnTmpfs(t, '4k');
  t.not(run.code, 0, run.output);
  t.match(run.output, new RegExp(`Could not write ${imageDir}/crac\\.json: the filesystem of ${imageDir} is full: free space there or choose another image directory`));
  t.notMatch(run.output, /Unexpected end of JSON input/);
  t.same(readdirSync(imageDir), [], 'no crac.json, no .crac.json.<pid>, no checkpoint-failed.json');
  t.same(await leftOver(token), [], 'no app process is left');
});
