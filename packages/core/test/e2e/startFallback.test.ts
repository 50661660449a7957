import { appendFileSync, chmodSync, copyFileSync, cpSync, existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { CRAC_BIN, criuUsable, freePort, getJson, leftOver, newToken, runCrac, startCrac, startNode, type Started, stopProcess, tempDir } from '@node-crac/test-kit';
import { manifestDigest } from '../../src/image/imageIntegrity.js';
import type { ImageMeta } from '../../src/image/imageMeta.js';
import { FIXTURE } from './harness.js';

// `crac start` restores an image that can run here and otherwise starts the
// app cold, saying why. One image, made with real CRIU by a copy of this Node
// (so that the copy can be changed) running a script of its own (so that the
// app can change), stands for a deployed image; each cause is then made real
// where it can be (a missing or truncated image, no CRIU, no capabilities, a
// changed app file or Node binary) and recorded otherwise (another CPU).

t.test('crac start: restores when it can, else starts cold and says why', async (t) => {
  if (!criuUsable(t)) return;
  const appDir = tempDir(t, 'crac-start-');
  const node = join(appDir, 'node');
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  const server = join(appDir, 'server.js');
  writeFileSync(server, `require(${JSON.stringify(FIXTURE)});\n`);
  const port = await freePort();
  const token = newToken(t);
  const env = { PORT: String(port) };
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--image', imageDir, '--', node, server, token], env);
  t.equal(checkpoint.code, 0, checkpoint.output);
  const state = /^state (\w+)$/m.exec(checkpoint.output)?.[1];
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as ImageMeta;
  const scratch = tempDir(t, 'crac-start-images-');
  let copies = 0;
  const spoiled = (spoil: (dir: string) => void): string => {
    const dir = join(scratch, `image-${++copies}`);
    cpSync(imageDir, dir, { recursive: true });
    spoil(dir);
    return dir;
  };
  const recorded = (change: (meta: ImageMeta) => void): string =>
    spoiled((dir) => {
      const copy = structuredClone(meta);
      change(copy);
      copy.manifestDigest = manifestDigest(copy);
      writeFileSync(join(dir, 'crac.json'), JSON.stringify(copy));
    });
  const start = (t: Test, image: string, extraEnv: Record<string, string> = {}, options: string[] = []): Started =>
    startCrac(t, ['start', '--image', image, '--env', 'TEST_VAR=given', ...options, '--', process.execPath, server, token], { ...env, ...extraEnv });

  t.ok(state, checkpoint.output);

  /** The reason printed, then a cold app (a fresh state) that serves with the --env value, ended by SIGTERM through crac start. */
  const startsCold = async (t: Test, run: Started, reason: RegExp | string): Promise<void> => {
    await run.waitFor(/crac: starting cold: /);
    t.match(run.output(), reason, 'says why');
    await run.waitFor(new RegExp(`listening ${port}`), run.output().indexOf('crac: starting cold: '));
    const answer = await getJson(port);
    t.not(answer.state, state, 'the app started cold');
    t.equal(answer.testVar, 'given', 'with the --env value');
    await stopProcess(run);
    t.equal((await run.exited).code, 128 + 15, 'SIGTERM reached the app; its exit is mirrored');
    t.same(await leftOver(token), [], 'nothing is left');
  };

  await t.test('an image that can run here is restored, with the --env values; its exit code is mirrored', async (t) => {
    const run = start(t, imageDir);
    await run.waitFor(new RegExp(`listening ${port}`));
    t.match(run.output(), `crac: restoring ${imageDir}`);
    t.notMatch(run.output(), 'starting cold');
    const answer = await getJson(port);
    t.equal(answer.state, state, 'the restored copy');
    t.equal(answer.testVar, 'given');
    await getJson(port, '/exit?code=5').catch(() => undefined);
    t.equal((await run.exited).code, 5);
    t.same(await leftOver(token), []);
  });

  await t.test('no image', async (t) => {
    await startsCold(t, start(t, join(scratch, 'never-made')), `no usable image: No checkpoint image at ${join(scratch, 'never-made')}: the directory does not exist`);
  });

  await t.test('a damaged image', async (t) => {
    const dir = spoiled((dir) => truncateSync(join(dir, 'pages-1.img'), 4096));
    await startsCold(t, start(t, dir), new RegExp(`no usable image: The image in ${dir} is damaged:\\s+- pages-1\\.img has 4096 bytes`));
  });

  await t.test('an image with content changed, size kept, with --verify', async (t) => {
    const dir = spoiled((dir) => {
      const pages = join(dir, 'pages-1.img');
      const bytes = readFileSync(pages);
      bytes[100] ^= 0xff;
      writeFileSync(pages, bytes);
    });
    await startsCold(t, start(t, dir, {}, ['--verify']), /no usable image: The image in .* was modified after the checkpoint:\s+- pages-1\.img differs/);
  });

  await t.test('an image for a CPU with features this one lacks', async (t) => {
    const dir = recorded((meta) => meta.cpu.flags.push('amx_node_crac_test'));
    await startsCold(t, start(t, dir), /The image cannot be restored on this machine:\s+- this CPU \(.*\) lacks features the checkpointed code may use: amx_node_crac_test/);
  });

  await t.test('no usable CRIU', async (t) => {
    await startsCold(t, start(t, imageDir, { CRAC_CRIU_PATH: join(scratch, 'no-criu-here') }), /No usable CRIU >= 4 found:\s+- CRAC_CRIU_PATH=.*no-criu-here/);
  });

  await t.test('no privileges to restore (root without capabilities, as in a container without them)', async (t) => {
    const run = startNode(t, '/usr/bin/setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, CRAC_BIN, 'start', '--image', imageDir, '--env', 'TEST_VAR=given', '--', process.execPath, server, token], env);
    await startsCold(t, run, /restoring needs CAP_SYS_ADMIN and CAP_SYS_PTRACE, which this process \(uid 0\) does not have/);
  });

  await t.test('CRIU fails to restore it: the app is started cold after all', async (t) => {
    // A record naming a status pipe that the dumped process does not hold.
    const dir = recorded((meta) => (meta.statusPipe.inode += 1));
    await startsCold(t, start(t, dir, {}, ['--resume-timeout', '3']), /CRIU could not restore the image \(see above\)/);
  });

  await t.test('an app file changed since the checkpoint', async (t) => {
    appendFileSync(server, '// deployed again\n');
    await startsCold(t, start(t, imageDir), `the app file ${server} changed since the checkpoint`);
  });

  await t.test('the Node binary changed since the checkpoint', async (t) => {
    t.equal(meta.node.execPath, node, 'the image names the copy that ran it');
    appendFileSync(node, 'patched');
    await startsCold(t, start(t, imageDir), `the Node binary ${node} changed since the checkpoint`);
  });
});

t.test('crac start --save: the cold-started app is checkpointed without stopping, and the next start restores it', async (t) => {
  if (!criuUsable(t)) return;
  const port = await freePort();
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-save-'), 'image');
  const start = (t: Test, options: string[] = [], appToken = token): Started =>
    startCrac(t, ['start', '--image', imageDir, '--save', ...options, '--', process.execPath, FIXTURE, appToken], { PORT: String(port) });

  await t.test('a readiness that never comes: told, nothing saved, the app goes on', async (t) => {
    const own = newToken(t);
    const run = start(t, ['--ready-url', `http://127.0.0.1:${await freePort()}/`, '--ready-timeout', '1'], own);
    await run.waitFor(/no image of the cold-started app was saved: .*; the app goes on/);
    await run.waitFor(new RegExp(`listening ${port}`));
    t.equal((await getJson(port)).testVar, null, 'the cold app serves');
    t.notOk(existsSync(imageDir), 'no image directory');
    t.same(readdirSync(dirname(imageDir)), [], 'and no staging directory');
    await stopProcess(run);
    t.same(await leftOver(own), []);
  });

  let state: unknown;
  await t.test('saved once the app is ready, while it serves', async (t) => {
    const run = start(t);
    await run.waitFor(/crac: starting cold: no usable image/);
    await run.waitFor(new RegExp(`saved an image of the cold-started app to ${imageDir}: the next crac start restores it`));
    // The app's server closed for the dump (beforeCheckpoint) and listens again after it.
    await run.waitFor(new RegExp(`listening ${port}[\\s\\S]*listening ${port}`));
    state = (await getJson(port)).state;
    t.match(run.output(), new RegExp(`state ${state}`), 'the app that was saved is the one still serving');
    t.same(readdirSync(dirname(imageDir)), ['image'], 'the staging directory became the image');
    await stopProcess(run);
    t.same(await leftOver(token), []);
  });

  await t.test('the next start restores it', async (t) => {
    const run = start(t);
    await run.waitFor(new RegExp(`listening ${port}`));
    t.match(run.output(), `crac: restoring ${imageDir}`);
    t.equal((await getJson(port)).state, state, 'the saved app, restored');
    await stopProcess(run);
    t.same(await leftOver(token), []);
  });
});
