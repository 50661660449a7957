import t from 'tap';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { criuUsable, getJson, leftOver, newToken, runCrac, startCrac, tempDir } from '@node-crac/test-kit';

// `crac checkpoint -- <wrapper>`: the Node process that listens is the app
// (made ready, triggered and dumped), not npm; tsx, which keeps an esbuild
// service process on socketpairs, is refused at once with the fix.
const WRAPPED = resolve(__dirname, '../fixtures/wrapped');
// npm must not look for its own updates on the network.
const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

for (const [name, script] of [['npm start', ['start']], ['npm run serve', ['run', 'serve']]] as const) {
  t.test(`crac checkpoint -- ${name}: the app, not npm, is dumped; its copy answers`, async (t) => {
    if (!criuUsable(t)) return;
    const token = newToken(t);
    const imageDir = join(tempDir(t, 'crac-image-'), 'image');
    const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', 'npm', '--prefix', WRAPPED, ...script, '--', token], NPM_ENV);
    t.equal(run.code, 0, run.output);
    t.match(run.output, /the app is pid \d+, started by npm/);
    const state = /^state (\w+)$/m.exec(run.output)?.[1];
    t.same(await leftOver(token), [], 'neither npm nor the app is left after the checkpoint');

    const restorer = startCrac(t, ['restore', imageDir]);
    const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
    t.equal((await getJson(port)).state, state, 'the restored app answers with its state');
    restorer.child.kill('SIGTERM');
    await restorer.exited;
    t.same(await leftOver(token), [], 'no app left');
  });
}

const TSX = [
  ['npx tsx app.ts', ['npx', 'tsx']],
  ['node --import tsx app.ts', [process.execPath, '--import', 'tsx']],
] as const;
for (const [name, wrapper] of TSX) {
  t.test(`crac checkpoint -- ${name} (cold tsx cache) fails at once, naming tsx and the fix`, async (t) => {
    const token = newToken(t);
    const imageDir = join(tempDir(t, 'crac-image-'), 'image');
    // tsx keeps its cache in $TMPDIR/tsx-<uid>: a fresh one is a cold cache.
    const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', ...wrapper, join(WRAPPED, 'app.ts'), token], { ...NPM_ENV, TMPDIR: tempDir(t, 'crac-tsx-') });
    t.equal(run.code, 1, 'crac checkpoint fails');
    t.match(run.output, /loaded through tsx/, 'the app did start');
    t.match(run.output, /runs under tsx \(npx tsx, or node --import tsx\), which keeps an esbuild service process .*compile the app to JavaScript \(tsc\) and run crac checkpoint -- node dist\/app\.js/);
    t.notMatch(run.output, /warm-up|Checkpoint refused/, 'refused before any warm-up or checkpoint');
    t.notOk(existsSync(join(imageDir, 'crac.json')), 'no image');
    t.same(await leftOver(token), [], 'no app (nor esbuild, nor npx) left');
  });
}

t.test('a Node process the app starts is dismissed from the launch channel and goes into the image with the app', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, join(WRAPPED, '../httpApp.js'), token], { HELPER_CHILD: '1' });
  t.equal(run.code, 0, run.output);
  t.same(await leftOver(token), [], 'neither the app nor its helper is left after the checkpoint');

  const restorer = startCrac(t, ['restore', imageDir]);
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  t.equal((await getJson(port)).state, /^state (\w+)$/m.exec(run.output)?.[1], 'the restored app answers');
  t.equal((await leftOver(`${token}-helper`, 0)).length, 1, 'its helper was restored with it');
  restorer.child.kill('SIGTERM');
  await restorer.exited;
  t.same(await leftOver(token), [], 'the copy and its helper end with their restorer');
});
