import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criuUsable, freePort, leftOver, newToken, portFreed, runCrac, startCrac, startNode, tempDir, trustedTempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// Whatever dies, nothing a launcher started outlives it: the app (and any
// wrapper) leads a process group, every Node process in it watches the launch
// channel, and the first to see the launcher gone ends the group.

/** A CRIU action script that holds the dump for a while once the image is written and the app still frozen. */
function slowDumpArgs(t: Test): string {
  const script = join(trustedTempDir(t, 'crac-slow-dump-'), 'slow.sh');
  writeFileSync(script, '#!/bin/sh\n[ "$CRTOOLS_SCRIPT_ACTION" = post-dump ] && sleep 4\nexit 0\n', { mode: 0o755 });
  return `--action-script ${script}`;
}

/** No process with `token` is left, and nothing listens on `port` any more. */
async function nothingLeft(t: Test, token: string, port: number, waitMs?: number): Promise<void> {
  t.same(await leftOver(token, waitMs), [], 'no app left');
  t.equal(await portFreed(port), 'ECONNREFUSED', `the port ${port} is free`);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('crac run killed with SIGKILL leaves no app and frees the port', async (t) => {
  const token = newToken(t);
  const run = startCrac(t, ['run', '--', process.execPath, FIXTURE, token]);
  const port = Number((await run.waitFor(/listening (\d+)/))[1]);
  run.child.kill('SIGKILL');
  await run.exited;
  await nothingLeft(t, token, port);
});

t.test('crac checkpoint killed with SIGKILL before the app is ready leaves no app', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  // Ready once the app answers on another port, where nothing listens.
  const never = `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}/`;
  const checkpoint = startCrac(t, ['checkpoint', '--image', join(tempDir(t, 'crac-image-'), 'image'), '--ready-url', never, '--', process.execPath, FIXTURE, token], { PORT: String(port) });
  await checkpoint.waitFor(/listening \d+/);
  checkpoint.child.kill('SIGKILL');
  await checkpoint.exited;
  await nothingLeft(t, token, port);
});

t.test('crac checkpoint killed with SIGKILL during the warm-up leaves no app', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const checkpoint = startCrac(
    t,
    ['checkpoint', '--image', join(tempDir(t, 'crac-image-'), 'image'), '--warmup-url', url, '--warmup-duration', '60', '--', process.execPath, FIXTURE, token],
    { PORT: String(port), LOG_REQUESTS: '1' },
  );
  await checkpoint.waitFor(/request \//);
  checkpoint.child.kill('SIGKILL');
  await checkpoint.exited;
  await nothingLeft(t, token, port);
});

t.test('crac checkpoint killed with SIGKILL during the dump leaves no app', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = startCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token], { CRAC_CRIU_DUMP_ARGS: slowDumpArgs(t) });
  const port = Number((await checkpoint.waitFor(/listening (\d+)/))[1]);
  await until(() => existsSync(join(imageDir, 'dump.log')), 'CRIU started');
  checkpoint.child.kill('SIGKILL');
  await checkpoint.exited;
  await nothingLeft(t, token, port, 20_000);
});

t.test('crac run killed with SIGKILL during a --leave-running dump: the app ends once it resumes', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const run = startCrac(t, ['run', '--', process.execPath, FIXTURE, token], { CRAC_CRIU_DUMP_ARGS: slowDumpArgs(t) });
  const pid = Number((await run.waitFor(/\(pid (\d+)\)/))[1]);
  const port = Number((await run.waitFor(/listening (\d+)/))[1]);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, '--leave-running']);
  await until(() => existsSync(join(imageDir, 'dump.log')), 'CRIU started');
  run.child.kill('SIGKILL');
  await run.exited;
  await checkpoint;
  await nothingLeft(t, token, port, 20_000);
});

t.test('a failed checkpoint stops the whole process group it started', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const background = `${JSON.stringify(process.execPath)} -e 'setInterval(() => {}, 1000)' ${token}-background &`;
  const command = ['/bin/sh', '-c', `${background} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE)} ${token}`];
  const run = await runCrac(t, ['checkpoint', '--image', join(tempDir(t, 'crac-image-'), 'image'), '--', ...command], { CRAC_CRIU_DUMP_ARGS: '--action-script /bin/false' });
  t.equal(run.code, 1, 'crac checkpoint fails');
  t.match(run.output, /the checkpoint failed; the app it started is stopped/);
  t.same(await leftOver(token), [], 'neither the app nor the process it started in the background is left');
});

t.test('what killed launchers and copies left in the runtime directory is swept by the next launcher', async (t) => {
  const runtime = join(tmpdir(), `node-crac-${process.getuid?.()}`);
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const launchDir = join(runtime, `launch-test${process.pid}`);
  const triggerSocket = join(runtime, `trigger-${randomUUID()}.sock`);
  mkdirSync(launchDir, { mode: 0o700 });
  t.teardown(() => rmSync(launchDir, { recursive: true, force: true }));
  // Sockets whose listener was killed: the files stay, nobody answers.
  for (const path of [join(launchDir, 'channel.sock'), triggerSocket]) {
    const listener = startNode(t, process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('listening'))`]);
    await listener.waitFor(/listening/);
    listener.child.kill('SIGKILL');
    await listener.exited;
    t.teardown(() => rmSync(path, { force: true }));
  }
  const old = new Date(Date.now() - 3_600_000);
  for (const path of [launchDir, triggerSocket]) utimesSync(path, old, old);

  const run = await runCrac(t, ['run', '--', process.execPath, '-e', '']);
  t.equal(run.code, 0, run.output);
  t.notOk(existsSync(launchDir), 'the launch channel of a killed launcher is removed');
  t.notOk(existsSync(triggerSocket), 'the trigger socket of a killed copy is removed');
});
