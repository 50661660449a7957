import t from 'tap';
import { criuUsable, getJson, leftOver, newToken, runCrac, startCrac, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';
import { join } from 'node:path';

t.test('a failed dump rejects with a CheckpointError carrying CRIU\'s errors and log path, and the app keeps serving', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  // A pre-dump action script that fails makes CRIU give up after it attached to the app.
  const app = startCrac(t, ['run', '--', process.execPath, FIXTURE, token], { CRAC_CRIU_DUMP_ARGS: '--action-script /bin/false' });
  const pid = Number((await app.waitFor(/pid (\d+)\)/))[1]);
  const before = await app.waitFor(/listening (\d+)/);
  const state = (await getJson(Number(before[1]))).state;

  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir]);
  t.equal(checkpoint.code, 1, 'crac checkpoint reports the failure');
  t.match(checkpoint.output, /the checkpoint failed; the app goes on/);
  t.match(checkpoint.output, /Pre dump script failed/, "CRIU's own error line is shown");

  const failure = JSON.parse((await app.waitFor(/checkpoint-failed (.*)/))[1]!) as {
    name: string;
    causes: { name: string; logPath?: string; criuErrors?: string[] }[];
  };
  t.equal(failure.name, 'CheckpointError');
  const criu = failure.causes.find((c) => c.name === 'CriuDumpError');
  t.ok(criu, 'one cause is the CRIU dump');
  t.equal(criu?.logPath, join(imageDir, 'dump.log'), 'with the log path');
  t.match(criu?.criuErrors?.join('\n'), /Dumping FAILED/, 'and the log\'s error lines');

  const after = await app.waitFor(/listening (\d+)/, before.index! + before[0].length);
  const answer = await getJson(Number(after[1]));
  t.equal(answer.state, state, 'the same process answers after the failed checkpoint');
  app.child.kill('SIGTERM');
  t.equal((await app.exited).code, 128 + 15, 'crac run mirrors the app\'s end');
  t.same(await leftOver(token), []);
});

t.test('crac checkpoint --pid --leave-running: the app keeps serving and its image restores', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const app = startCrac(t, ['run', '--', process.execPath, FIXTURE, token]);
  const pid = Number((await app.waitFor(/pid (\d+)\)/))[1]);
  const before = await app.waitFor(/listening (\d+)/);
  const state = (await getJson(Number(before[1]))).state;

  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, '--leave-running']);
  t.equal(checkpoint.code, 0, checkpoint.output);
  t.match(checkpoint.output, /Checkpoint written to/);
  const after = await app.waitFor(/listening (\d+)/, before.index! + before[0].length);
  t.equal((await getJson(Number(after[1]))).state, state, 'the original still serves');

  const restorer = startCrac(t, ['restore', imageDir]);
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  t.equal((await getJson(port)).state, state, 'and a copy restored from the image too');
  for (const r of [restorer, app]) r.child.kill('SIGTERM');
  await Promise.all([restorer.exited, app.exited]);
  t.same(await leftOver(token), []);
});
