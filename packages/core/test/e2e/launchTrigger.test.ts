import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { criuUsable, getJson, leftOver, newToken, processesWith, runCrac, startCrac, startNode, tempDir } from '@node-crac/test-kit';
import { withIoUringBlocker } from '../../src/cli/launchApp.js';
import { checkpointFixture, FIXTURE } from './harness.js';

// The launchers trigger the checkpoint over their own channel, never with a
// signal: an app may use SIGUSR2 for itself (close-with-grace, NestJS and
// nodemon shut down on it).

/** Name, size, mtime and SHA-256 of every file in `dir`. */
function fingerprint(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const stat = statSync(path);
      return `${name} ${stat.size} ${stat.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    });
}

t.test('an app that shuts down on SIGUSR2 is checkpointed, and a copy sent SIGUSR2 leaves its image alone', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const env = { SHUTDOWN_ON: 'SIGUSR2' };
  const { imageDir, state } = await checkpointFixture(t, token, env);

  const restorer = startCrac(t, ['restore', imageDir]);
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  t.equal((await getJson(port)).state, state, 'the copy answers with the state from before the checkpoint');
  const before = fingerprint(imageDir);
  restorer.child.kill('SIGUSR2'); // crac restore forwards it to the copy
  t.equal((await restorer.exited).code, 0, 'the copy shut down as the app asked');
  t.match(restorer.output(), /shutting down on SIGUSR2/);
  t.notMatch(restorer.output(), /node-crac: (triggered checkpoint|restore failed)/, 'no checkpoint was attempted');
  t.same(fingerprint(imageDir), before, 'the image is unchanged, file by file');
  t.same(await leftOver(token), [], 'no app left');
});

t.test('an app that ends during the checkpoint is reported with its exit status and its last lines on stderr', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token], { EXIT_BEFORE_CHECKPOINT: '3' });
  t.equal(run.code, 1, 'crac checkpoint fails');
  t.match(run.output, /the app \(pid \d+\) ended during the checkpoint \(exit code 3\), without writing an image; its last lines on stderr:\n\s+exiting in beforeCheckpoint/);
  t.notMatch(run.output, /if it exists/, 'no guess at a log that may not exist');
  t.same(await leftOver(token), [], 'no app left');
});

t.test('crac checkpoint --pid refuses a process without a trigger and leaves it running', async (t) => {
  const token = newToken(t);
  const plain = startNode(t, process.execPath, ['-e', 'setInterval(() => {}, 1000)', token]);
  await new Promise((r) => setTimeout(r, 200));
  const pid = plain.child.pid!;
  const run = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', join(tempDir(t, 'crac-image-'), 'image')]);
  t.equal(run.code, 1);
  t.match(run.output, new RegExp(`process ${pid} has no checkpoint trigger: .*start it with "crac run", or call installCheckpointTrigger\\(\\)`));
  t.same(processesWith(token), [pid], 'the process was not signalled');
});

t.test('an app that called installCheckpointTrigger() is checkpointed with --pid through its own socket', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  // Started directly, as crac run would: io_uring blocked (Node 24 opens rings CRIU cannot dump), its own session.
  const app = startNode(
    t,
    process.execPath,
    [FIXTURE, token],
    { OPT_IN_TRIGGER: '1', SHUTDOWN_ON: 'SIGUSR2', LD_PRELOAD: withIoUringBlocker(process.env.LD_PRELOAD) },
    { ownSession: true },
  );
  await app.waitFor(/listening \d+/);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--pid', String(app.child.pid), '--image', imageDir]);
  if (run.code !== 0) return t.fail(`crac checkpoint --pid failed: ${run.output}`);
  t.equal((await app.exited).signal, 'SIGKILL', 'CRIU ended the app once the image was written');
  t.notMatch(app.output(), /shutting down/, 'the app got no SIGUSR2');

  const restorer = startCrac(t, ['restore', imageDir]);
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  t.equal((await getJson(port)).state, /^state (\w+)$/m.exec(app.output())?.[1], 'the copy answers');
  restorer.child.kill('SIGTERM');
  await restorer.exited;
  t.same(await leftOver(token), [], 'no app left');
});
