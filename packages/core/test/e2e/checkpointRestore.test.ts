import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { criuUsable, freePort, getJson, leftOver, newToken, processesWith, runCrac, startCrac, tempDir, tmpdirLeftovers } from '@node-crac/test-kit';
import { FIXTURE, checkpointFixture } from './harness.js';

// One image, checkpointed by `crac checkpoint`, restored in several ways.
t.test('crac checkpoint, then crac restore', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir, state } = await checkpointFixture(t, token);
  t.same(await leftOver(token), [], 'the checkpointed app is gone once the image is written');
  t.equal(statSync(imageDir).mode & 0o777, 0o700, 'the image directory is 0700');
  const loose = readdirSync(imageDir).filter((name) => (statSync(join(imageDir, name)).mode & 0o777) !== 0o600);
  t.same(loose, [], 'every file in it is 0600 (an image holds all process memory)');

  await t.test('the restored app answers with the state computed before the checkpoint, the env and args given at restore', async (t) => {
    const restorer = startCrac(t, ['restore', imageDir, '--env', 'TEST_VAR=from-restore', '--', 'one', 'two']);
    const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
    const answer = await getJson(port);
    t.equal(answer.state, state, 'state from before the checkpoint');
    t.equal(answer.testVar, 'from-restore', '--env reached process.env');
    t.same(answer.args, ['one', 'two'], 'arguments after -- reached restoreArguments()');
    restorer.child.kill('SIGTERM');
    await restorer.exited;
  });

  await t.test('two restores of one image answer at the same time', async (t) => {
    const first = startCrac(t, ['restore', imageDir]);
    const second = startCrac(t, ['restore', imageDir]);
    const ports = await Promise.all([first, second].map(async (r) => Number((await r.waitFor(/listening (\d+)/))[1])));
    t.not(ports[0], ports[1]);
    const answers = await Promise.all(ports.map((port) => getJson(port)));
    t.equal(answers[0]!.state, state);
    t.equal(answers[1]!.state, state);
    for (const r of [first, second]) r.child.kill('SIGTERM');
    await Promise.all([first.exited, second.exited]);
  });

  await t.test('the exit code of the restored app is mirrored, and 128+n for signal n', async (t) => {
    const exiting = startCrac(t, ['restore', imageDir]);
    const port = Number((await exiting.waitFor(/listening (\d+)/))[1]);
    await getJson(port, '/exit?code=7');
    t.equal((await exiting.exited).code, 7, 'exit code 7 mirrored');

    const terminated = startCrac(t, ['restore', imageDir]);
    await terminated.waitFor(/listening (\d+)/);
    terminated.child.kill('SIGTERM');
    t.equal((await terminated.exited).code, 128 + 15, 'SIGTERM forwarded: 143');
    t.same(await leftOver(token), [], 'no restored app left');
  });

  await t.test('a restored copy is checkpointed again with crac checkpoint --pid, and that image restores', async (t) => {
    const restorer = startCrac(t, ['restore', imageDir]);
    await restorer.waitFor(/listening (\d+)/);
    const [copy] = processesWith(token);
    const secondImage = join(tempDir(t, 'crac-image-'), 'image');
    const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(copy), '--image', secondImage]);
    t.equal(checkpoint.code, 0, checkpoint.output);
    t.equal((await restorer.exited).code, 128 + 9, 'CRIU ended the copy, its restorer mirrored that');

    const second = startCrac(t, ['restore', secondImage]);
    const port = Number((await second.waitFor(/listening (\d+)/))[1]);
    t.equal((await getJson(port)).state, state, 'the second-generation copy has the first state');
    second.child.kill('SIGTERM');
    await second.exited;
  });

  await t.test('a restorer killed with SIGKILL leaves no orphaned server, and the next restore removes its work directory', async (t) => {
    const tmp = tempDir(t, 'crac-tmp-');
    const runtime = join(tmp, `node-crac-${process.getuid!()}`);
    const workDirs = (): string[] => readdirSync(runtime).filter((name) => name.startsWith('restore-'));
    const restorer = startCrac(t, ['restore', imageDir], { TMPDIR: tmp });
    await restorer.waitFor(/listening (\d+)/);
    restorer.child.kill('SIGKILL');
    await restorer.exited;
    t.same(await leftOver(token, 20_000), [], 'the restored app went with its restorer, once its PID namespace is torn down');
    t.same(tmpdirLeftovers(tmp), [], 'nothing in $TMPDIR but the runtime directory');
    t.match(workDirs(), [new RegExp(`^restore-\\d+-${restorer.child.pid}-\\w{6}$`)], "the killed restore's work directory is there");

    const next = startCrac(t, ['restore', imageDir], { TMPDIR: tmp });
    await next.waitFor(/listening (\d+)/);
    t.match(workDirs(), [new RegExp(`^restore-\\d+-${next.child.pid}-\\w{6}$`)], 'the next restore removed it');
    next.child.kill('SIGTERM');
    await next.exited;
    t.same(workDirs(), [], 'and its own when it ended');
  });
});

t.test('crac checkpoint --ready-url with warm-up requests, and its summary', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--ready-url', url, '--warmup-url', url, '--warmup-requests', '50', '--', process.execPath, FIXTURE, token], { PORT: String(port) });
  t.equal(run.code, 0, run.output);
  t.match(run.output, /warm-up: 50 requests/);
  t.match(run.output, /image size\s+[\d.]+ MB/, 'the summary gives the image size');
  t.match(run.output, /checkpoint time\s+\d+ ms/, 'the checkpoint time');
  t.match(run.output, /resources\s+\d+ notified:\s+http server/, 'and the resources notified');
  t.same(await leftOver(token), []);
});
