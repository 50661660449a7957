import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { withIoUringBlocker } from '../../src/cli/launchApp.js';
import { loadBridge } from '../../src/native/bridge.js';
import { criuUsable, getJson, leftOver, newToken, tempDir } from '@node-crac/test-kit';
import { checkpointFixture, imageSealed, PROBE_FIXTURE } from './harness.js';

// Whatever the app's stdout/stderr were at the checkpoint (pipes, or files
// opened for append), its output after a restore reaches the restorer's
// stdout and stderr. Here the restorer's are real pipes (not Node's
// socketpairs), as when `crac restore` runs in a shell pipeline.

const CRAC = resolve(__dirname, '../../bin/crac.js');

/** `crac restore imageDir` with stdout and stderr on pipes read by the test; ended by PID at the end. */
function restoreOnPipes(t: Test, imageDir: string) {
  const bridge = loadBridge();
  const [outRead, outWrite] = bridge.pipe();
  const [errRead, errWrite] = bridge.pipe();
  const child = spawn(process.execPath, [CRAC, 'restore', imageDir], { stdio: ['ignore', outWrite, errWrite] });
  closeSync(outWrite);
  closeSync(errWrite);
  const text = { stdout: '', stderr: '' };
  for (const [fd, key] of [[outRead, 'stdout'], [errRead, 'stderr']] as const) {
    new Socket({ fd, readable: true, writable: false }).setEncoding('utf8').on('data', (chunk: string) => (text[key] += chunk));
  }
  const exited = new Promise((done) => child.once('exit', done));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const waitFor = async (key: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray> => {
    for (let waited = 0; waited < 60_000; waited += 20) {
      const match = text[key].match(pattern);
      if (match) return match;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${pattern} on the restorer's ${key}:\n${JSON.stringify(text)}`);
  };
  return { child, text, exited, waitFor };
}

async function restoredOutputReachesPipes(t: Test, imageDir: string): Promise<void> {
  const restorer = restoreOnPipes(t, imageDir);
  const port = Number((await restorer.waitFor('stdout', /listening (\d+)/))[1]);
  await restorer.waitFor('stderr', /generation 1/);
  t.pass(`the restored app's stdout reached the restorer's stdout, its stderr the restorer's stderr`);
  t.notMatch(restorer.text.stdout, /generation/, 'stderr did not land on stdout');
  t.equal((await getJson(port, '/hit')).generation, 1, 'and the app serves');
  restorer.child.kill('SIGTERM');
  await restorer.exited;
}

t.test('an app checkpointed with stdout/stderr on pipes writes to its restorer after restore', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token, {}, PROBE_FIXTURE);
  await restoredOutputReachesPipes(t, imageDir);
  t.same(await leftOver(token), [], 'no restored copy left');
});

t.test('an app checkpointed with stdout/stderr on files opened for append writes to its restorer after restore', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const dir = tempDir(t, 'crac-stdio-');
  const imageDir = join(dir, 'image');
  const files = { stdout: join(dir, 'stdout.log'), stderr: join(dir, 'stderr.log') };
  const fds = [openSync(files.stdout, 'a'), openSync(files.stderr, 'a')];
  // Started directly, not by crac run, so that its stdio are the files; io_uring blocked
  // and its own session (CRIU needs a session leader inside the PID namespace) as crac run does.
  const app = spawn(process.execPath, [PROBE_FIXTURE, token], {
    stdio: ['ignore', fds[0], fds[1]],
    env: { ...process.env, LD_PRELOAD: withIoUringBlocker(process.env.LD_PRELOAD) },
    detached: true,
  });
  for (const fd of fds) closeSync(fd);
  t.teardown(() => void (app.exitCode === null && app.signalCode === null && app.kill('SIGKILL')));
  let port: number | undefined;
  while (port === undefined && app.exitCode === null) {
    port = Number(/listening (\d+)/.exec(readFileSync(files.stdout, 'utf8'))?.[1]) || undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(port, 'the app started');
  await getJson(port!, `/checkpoint?image=${encodeURIComponent(imageDir)}`);
  await imageSealed(imageDir);

  await restoredOutputReachesPipes(t, imageDir);
  t.notMatch(readFileSync(files.stdout, 'utf8') + readFileSync(files.stderr, 'utf8'), /generation 1/, 'nothing after the restore went to the old files');
  t.same(await leftOver(token), [], 'no restored copy left');
});
