import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { closeServer, criuProblem, criuUsable, firstAnswer, freePort, getJson, leftOver, newToken, pidListeningOn, restoreCopies, runCrac, startCrac, stopServing, tempDir, tryConnect } from '@node-crac/test-kit';

// An app that does not import node-crac (test/fixtures/plainApp.js): its two
// servers are registered by crac checkpoint's preload, and nothing else is needed.
const PLAIN_APP = join(__dirname, '../fixtures/plainApp.js');
const LIMIT_MS = 90_000;
const problem = criuProblem();

async function checkpointPlainApp(t: Test, env: Record<string, string> = {}, options: string[] = []) {
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-zero-'), 'image');
  const port = await freePort();
  const run = await runCrac(
    t,
    ['checkpoint', '--image', imageDir, '--warmup-url', `http://127.0.0.1:${port}/add?name=before`, ...options, '--', process.execPath, PLAIN_APP, token],
    { PORT: String(port), ...env },
    LIMIT_MS,
  );
  return { ...run, imageDir, token };
}

t.test('an app with no node-crac code checkpoints; two copies restored at once each serve its state on their own PORT, and its second server on a port of its own', async (t) => {
  if (!criuUsable(t, problem)) return;
  const checkpoint = await checkpointPlainApp(t);
  t.equal(checkpoint.code, 0, 'crac checkpoint wrote an image');
  if (checkpoint.code !== 0) return void t.comment(checkpoint.output);
  t.match(checkpoint.output, /http server 127\.0\.0\.1:\d+ \(automatic\)/, 'the http server was registered');
  t.match(checkpoint.output, /net server 127\.0\.0\.1:\d+ \(automatic\)/, 'and the echo server');

  const [a, b] = await restoreCopies(t, checkpoint.imageDir, 2, '/items');
  for (const copy of [a!, b!]) t.same(await getJson(copy.port, '/items'), ['before'], `the copy on ${copy.port} has the item added before the checkpoint`);
  await getJson(a!.port, '/add?name=only-in-a');
  t.same(await getJson(b!.port, '/items'), ['before'], 'the copies are separate processes');
  const echoA = (await getJson(a!.port, '/echo-port')).port as number;
  const echoB = (await getJson(b!.port, '/echo-port')).port as number;
  t.not(echoA, echoB, 'the port-0 echo server took a free port in each copy');
  t.equal(await tryConnect(echoA), 'connected');
  t.equal(await tryConnect(echoB), 'connected');
});

t.test('a policy warning shows once, at the checkpoint, and not in the restored copies', async (t) => {
  if (!criuUsable(t, problem)) return;
  const dir = tempDir(t, 'crac-policy-');
  const openFile = join(dir, 'data.txt');
  writeFileSync(openFile, 'x');
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ rules: [{ match: { type: 'file', path: `${dir}/**` }, action: 'ignore', warn: true }] }));
  const checkpoint = await checkpointPlainApp(t, { OPEN_FILE: openFile, CRAC_POLICY: policy });
  t.equal(checkpoint.code, 0, checkpoint.output);
  t.equal(checkpoint.output.match(/CracOpenResourceWarning: fd \d+: file .*data\.txt .*ignored by policy rule 1/g)?.length, 1, 'the warning is printed once at the checkpoint');
  if (checkpoint.code !== 0) return;
  const copies = await restoreCopies(t, checkpoint.imageDir, 1, '/items');
  t.same(await getJson(copies[0]!.port, '/items'), ['before']);
  t.notMatch(copies[0]!.restorer.output(), /CracOpenResourceWarning/, 'not again in the copy');
});

t.test('a refused checkpoint is printed once, and crac checkpoint says it stopped the app', async (t) => {
  if (!criuUsable(t, problem)) return;
  const peer = createServer(() => undefined);
  t.teardown(() => closeServer(peer));
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  const checkpoint = await checkpointPlainApp(t, { OUTBOUND_PORT: String((peer.address() as { port: number }).port) });
  t.equal(checkpoint.code, 1, 'crac checkpoint fails');
  t.equal(checkpoint.output.match(/Checkpoint refused/g)?.length, 1, 'the refusal is printed once');
  t.match(checkpoint.output, /fd \d+: tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ ESTABLISHED/);
  t.match(checkpoint.output, /the checkpoint failed; the app it started is stopped/);
  t.notMatch(checkpoint.output, /the app goes on/);
  t.same(await leftOver(checkpoint.token), [], 'and no app is left');
});

t.test('--no-auto: the app registers nothing itself, so it never reports ready', async (t) => {
  const checkpoint = await checkpointPlainApp(t, {}, ['--no-auto', '--ready-timeout', '3']);
  t.equal(checkpoint.code, 1);
  t.match(checkpoint.output, /the app was not ready within 3 s/);
  t.same(await leftOver(checkpoint.token), [], 'no app is left');
});

t.test('crac run registers the servers too: checkpoint --pid --leave-running, and the original and a copy both serve', async (t) => {
  if (!criuUsable(t, problem)) return;
  const token = newToken(t);
  const port = await freePort();
  const running = startCrac(t, ['run', '--', process.execPath, PLAIN_APP, token], { PORT: String(port) });
  t.teardown(() => stopServing(t, running, port));
  const pid = Number((await running.waitFor(/pid (\d+)\)/))[1]);
  await firstAnswer(port, running, '/items');
  await getJson(port, '/add?name=before');
  const imageDir = join(tempDir(t, 'crac-zero-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, '--leave-running'], {}, LIMIT_MS);
  t.equal(checkpoint.code, 0, checkpoint.output);
  // The image is sealed while the original may still be listening again (its afterRestore).
  t.same(JSON.parse((await firstAnswer(port, running, '/items')).body), ['before'], 'the original still serves');
  if (checkpoint.code !== 0) return;
  const [copy] = await restoreCopies(t, imageDir, 1, '/items');
  t.same(await getJson(copy!.port, '/items'), ['before'], 'and so does a copy, on its own PORT');
});

t.test('a restored copy is checkpointed again through its own trigger socket, and that image restores too', async (t) => {
  if (!criuUsable(t, problem)) return;
  const first = await checkpointPlainApp(t);
  t.equal(first.code, 0, first.output);
  if (first.code !== 0) return;
  const [copy] = await restoreCopies(t, first.imageDir, 1, '/items');
  await getJson(copy!.port, '/add?name=in-the-copy');
  const pid = pidListeningOn(copy!.port);
  if (pid === undefined) throw new Error(`no process listens on ${copy!.port}`);
  const secondImage = join(tempDir(t, 'crac-zero-'), 'image');
  const second = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', secondImage, '--leave-running'], {}, LIMIT_MS);
  t.equal(second.code, 0, second.output);
  t.match(second.output, `http server 127.0.0.1:${copy!.port} (automatic)`, 'named by the address the copy listens on');
  t.notMatch(second.output, /unix|trigger-/, "node-crac's trigger socket is not among the servers");
  if (second.code !== 0) return;
  const [grandchild] = await restoreCopies(t, secondImage, 1, '/items');
  t.same(await getJson(grandchild!.port, '/items'), ['before', 'in-the-copy'], 'the second image holds the copy\'s state');
});

t.test('--no-auto with --pid is a usage error: the app is already running', async (t) => {
  const run = await runCrac(t, ['checkpoint', '--pid', String(process.pid), '--image', join(tempDir(t, 'crac-zero-'), 'image'), '--no-auto']);
  t.equal(run.code, 2);
  t.match(run.output, /--no-auto goes with a command to start \(or with crac run\), not --pid/);
});
