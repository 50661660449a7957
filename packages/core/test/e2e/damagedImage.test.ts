import { readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { criuProblem, criuUsable, dirListing, leftOver, newToken, runCrac, tempDir, tmpdirLeftovers } from '@node-crac/test-kit';
import { checkpointFixture, copyImage, resealMeta } from './harness.js';

// CRIU loops on a truncated pages file, writing tens of MB of log a second.
// The manifest (sizes in crac.json) catches the truncation before CRIU runs;
// an image re-sealed over the damage gets past it, and then the restorer stops
// CRIU once its log passes the limit.

const problem = criuProblem();
const PAGES = 'pages-1.img';

t.test('a crac.json without file sizes and a truncated pages file: refused before CRIU runs, nothing written', async (t) => {
  if (!criuUsable(t, problem)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const damaged = copyImage(t, imageDir);
  truncateSync(join(damaged, PAGES), statSync(join(damaged, PAGES)).size / 2);
  resealMeta(damaged, (meta) => delete meta.files);
  const before = dirListing(damaged);
  const tmp = tempDir(t, 'crac-restore-tmp-');

  const run = await runCrac(t, ['restore', damaged], { TMPDIR: tmp });
  t.equal(run.code, 1, run.output);
  t.match(run.output, /crac\.json has no manifest \(the size and digest of each CRIU file\): the image cannot be checked, so it is refused; checkpoint again/);
  t.same(dirListing(damaged), before, 'the image directory is unchanged');
  t.same(tmpdirLeftovers(tmp), [], 'CRIU never ran: no log');
  t.same(await leftOver(token), [], 'no restored process');
});

t.test('a truncated pages file under a re-sealed manifest: CRIU is stopped at the log limit, with a message, nothing left running', async (t) => {
  if (!criuUsable(t, problem)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const damaged = copyImage(t, imageDir);
  const size = 100 * 4096;
  truncateSync(join(damaged, PAGES), size);
  resealMeta(damaged, (meta) => (meta.files[PAGES].size = size));
  const before = dirListing(damaged);
  const tmp = tempDir(t, 'crac-restore-tmp-');

  const run = await runCrac(t, ['restore', damaged], { TMPDIR: tmp, CRAC_CRIU_LOG_LIMIT_MB: '8' }, 120_000);
  t.equal(run.code, 1, run.output);
  t.match(run.output, /CRIU wrote over 8 MB of log restoring .* without finishing and was stopped \(a damaged image can make it loop\); check the image with "crac verify .*" or checkpoint again/);
  const logPath = /log: (\S+restore\.log)$/m.exec(run.output)?.[1];
  t.ok(logPath?.startsWith(tmp), 'the log is kept in a private directory in $TMPDIR');
  if (logPath) t.ok(readFileSync(logPath).length <= 2 * 1024 * 1024 + 1024, 'only its beginning and end, within 2 MB');
  t.same(dirListing(damaged), before, 'the image directory is unchanged');
  t.same(await leftOver(token), [], 'no restored process');
});
