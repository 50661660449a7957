import { spawn } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CRAC_RESTORE_BIN, criuUsable, freePort, getJson, leftOver, newToken, type Started, startFastRestore, tempDir } from '@node-crac/test-kit';
import { planFile } from '../../src/cli/restorePlan.js';
import { FIXTURE, checkpointFixture } from './harness.js';

// crac-restore restores from the plan that the checkpoint (or a full restore)
// wrote, without Node; whatever the plan does not cover goes to crac restore.

const EXPLAIN = { CRAC_RESTORE_EXPLAIN: '1' };

/** Restores with crac-restore, waits for the app, and returns its port with the launcher. */
async function fastRestore(t: Test, imageDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ run: Started; port: number; launcher: string }> {
  const timings = join(tempDir(t, 'crac-timings-'), 'timings.json');
  const run = startFastRestore(t, [imageDir, ...args], { ...EXPLAIN, CRAC_RESTORE_TIMINGS: timings, ...env });
  const port = Number((await run.waitFor(/listening (\d+)/))[1]);
  await getJson(port);
  return { run, port, launcher: await launcherOf(run, timings) };
}

/** "native" when the timings came from the native launcher, "node" when from crac restore. */
async function launcherOf(run: Started, timings: string): Promise<string> {
  run.child.kill('SIGTERM');
  await run.exited;
  return (JSON.parse(readFileSync(timings, 'utf8')) as { launcher?: string }).launcher ?? 'node';
}

/**
 * The restore work directories that the launcher with this PID (crac-restore, and the crac restore
 * it may hand over to in the same process) left in the runtime directory; other tests' restores
 * run beside this one, so only its own are looked at.
 */
function workDirsOf(pid: number | undefined): string[] {
  const runtime = join(tmpdir(), `node-crac-${process.getuid!()}`);
  return readdirSync(runtime).filter((name) => new RegExp(`^restore-\\d+-${pid}-`).test(name));
}

t.test('crac-restore', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir, state } = await checkpointFixture(t, token);
  const plan = planFile(imageDir);
  t.equal(statSync(plan).mode & 0o777, 0o600, 'crac checkpoint wrote the plan, 0600');

  await t.test('restores from the plan without Node, with the env, the args and the exit code of crac restore', async (t) => {
    const run = startFastRestore(t, [imageDir, '--env', 'TEST_VAR=fast', '--', 'one', 'two'], EXPLAIN);
    const port = Number((await run.waitFor(/listening (\d+)/))[1]);
    const answer = await getJson(port);
    t.equal(answer.state, state, 'the state from before the checkpoint');
    t.equal(answer.testVar, 'fast', '--env reached process.env');
    t.same(answer.args, ['one', 'two'], 'arguments after -- reached restoreArguments()');
    t.notMatch(run.output(), /full path/, 'the plan held');
    await getJson(port, '/exit?code=7');
    t.equal((await run.exited).code, 7, 'exit code mirrored');
    t.same(await leftOver(token), [], 'no app left');
    t.same(workDirsOf(run.child.pid), [], 'its work directory is removed');
  });

  await t.test('with timings asked for (CRIU then runs the helper as its action script) it is still the native launcher', async (t) => {
    const { run, launcher } = await fastRestore(t, imageDir);
    t.equal(launcher, 'native');
    t.notMatch(run.output(), /full path|CRIU could not restore|cannot write the timings/, 'no hand-over');
  });

  await t.test('SIGTERM reaches the app (143); SIGKILL of crac-restore leaves no app', async (t) => {
    const run = startFastRestore(t, [imageDir]);
    await run.waitFor(/listening (\d+)/);
    run.child.kill('SIGTERM');
    t.equal((await run.exited).code, 128 + 15);
    const killed = startFastRestore(t, [imageDir]);
    await killed.waitFor(/listening (\d+)/);
    killed.child.kill('SIGKILL');
    await killed.exited;
    t.same(await leftOver(token, 20_000), [], 'no app left, once its PID namespace is torn down');
  });

  await t.test('a reader of its output that went away does not end the restore', async (t) => {
    const port = await freePort();
    const child = spawn(CRAC_RESTORE_BIN, [imageDir, '--env', `PORT=${port}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    t.teardown(() => void child.kill('SIGKILL'));
    child.stdout.destroy(); // the app's "listening" line then meets a closed socket
    let answer: Record<string, unknown> | undefined;
    for (const deadline = Date.now() + 30_000; !answer && Date.now() < deadline;) {
      answer = await getJson(port).catch(() => undefined);
      if (!answer) await new Promise((r) => setTimeout(r, 50));
    }
    t.equal(answer?.state, state, 'the app serves');
    child.kill('SIGTERM');
    t.equal(await exited, 128 + 15, 'and ends when told to');
  });

  await t.test('an image file written since the check: the full path checks and restores, and writes a new plan', async (t) => {
    const file = join(imageDir, readdirSync(imageDir).find((name) => name.endsWith('.img'))!);
    chmodSync(file, 0o600); // the same mode, a new ctime
    const first = await fastRestore(t, imageDir);
    t.equal(first.launcher, 'node', 'crac restore did it');
    const second = await fastRestore(t, imageDir);
    t.equal(second.launcher, 'native', 'from the plan crac restore wrote');
  });

  await t.test('a plan that others can write, or that is not ours, is not used', async (t) => {
    // Each full restore writes a new plan of its own, for the next spoiling.
    for (const spoil of [() => chmodSync(plan, 0o644), () => chownSync(plan, 65534, 65534)]) {
      spoil();
      const run = startFastRestore(t, [imageDir], EXPLAIN);
      await run.waitFor(/listening (\d+)/);
      t.match(run.output(), /full path: .*is not a plan of ours/, 'says why it took the full path');
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  await t.test('another option goes to crac restore as it is', async (t) => {
    const run = startFastRestore(t, [imageDir, '--resume-timeout', 'x']);
    t.equal((await run.exited).code, 2);
    t.match(run.output(), /--resume-timeout wants a number of seconds/, "crac restore's own usage error");
  });

  await t.test('a CRIU that fails from the plan hands over to crac restore, which restores', async (t) => {
    const saved = readFileSync(plan, 'utf8');
    writeFileSync(plan, saved.replace(/^arg -v4$/m, 'arg --no-such-criu-option'), { mode: 0o600 });
    const run = startFastRestore(t, [imageDir], EXPLAIN);
    await run.waitFor(/listening (\d+)/);
    t.match(run.output(), /CRIU could not restore .* from its plan \(exit code \d+\): running crac restore/);
    run.child.kill('SIGTERM');
    t.equal((await run.exited).code, 128 + 15);
    t.same(workDirsOf(run.child.pid), [], 'no work directory left');
    t.not(readFileSync(plan, 'utf8'), saved.replace(/^arg -v4$/m, 'arg --no-such-criu-option'), 'crac restore wrote a plan of its own');
  });
});

t.test('an app file changed since the checkpoint: crac-restore refuses as crac restore does, and starts nothing', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const main = join(tempDir(t, 'crac-app-'), 'main.js');
  writeFileSync(main, `require(${JSON.stringify(FIXTURE)});\n`);
  const { imageDir } = await checkpointFixture(t, token, {}, main);
  writeFileSync(main, `require(${JSON.stringify(FIXTURE)}); // changed\n`);
  const run = startFastRestore(t, [imageDir], EXPLAIN);
  const { code } = await run.exited;
  t.not(code, 0);
  t.match(run.output(), /full path: .*main\.js changed since it was checked/, 'the plan no longer holds');
  t.match(run.output(), /The image holds an older version of the app/, "crac restore's refusal");
  t.same(await leftOver(token), [], 'no app started');
});
