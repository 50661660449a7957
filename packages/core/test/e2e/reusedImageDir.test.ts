import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import t from 'tap';
import { closeServer, criuUsable, dirListing, freePort, getJson, leftOver, newToken, runCrac, startCrac, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// CRIU names its files by PID and numbers its page files by process: a second
// checkpoint into the same directory used to leave the first image's files
// beside its own, sealed into its manifest. The earlier image is now removed
// just before the dump, and only then: a checkpoint refused before it leaves
// the earlier image as it was.

const WITH_CHILD = resolve(__dirname, '../fixtures/childProcessApp.js');
const STATUS_APP = resolve(__dirname, '../fixtures/statusApp.js');
const PLAIN_APP = resolve(__dirname, '../fixtures/plainApp.js');

/** Every file's name, mode, size and mtime (the directory's own mtime changes as the app's failure mark comes and goes). */
function fileListing(imageDir: string): string[] {
  return dirListing(imageDir).filter((line) => !line.startsWith('. '));
}

function manifestNames(imageDir: string): string[] {
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as { files: Record<string, unknown> };
  return Object.keys(meta.files).sort();
}

/** The image files in the directory: everything but crac.json and CRIU's log and statistics. */
function imageFiles(imageDir: string): string[] {
  return readdirSync(imageDir).filter((name) => name.endsWith('.img')).sort();
}

t.test('a second checkpoint into a directory that holds a bigger image leaves only its own files', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');

  const first = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, WITH_CHILD, token]);
  t.equal(first.code, 0, first.output);
  const firstFiles = manifestNames(imageDir);
  t.ok(firstFiles.includes('pages-2.img'), 'the first image (app and child) has a second page file');

  t.test('checkpoints refused before the dump leave the earlier image as it was', async (t) => {
    const before = fileListing(imageDir);
    const port = await freePort();
    const warmup = await runCrac(t, ['checkpoint', '--image', imageDir, '--warmup-url', `http://127.0.0.1:${port}/status/404`, '--', process.execPath, STATUS_APP, token], { PORT: String(port) });
    t.equal(warmup.code, 1, warmup.output);
    t.match(warmup.output, /answer\(s\) that are not 2xx/, 'refused by the warm-up');
    t.same(fileListing(imageDir), before, 'the warm-up refusal changed nothing');

    const held = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((done) => held.listen(0, '127.0.0.1', done));
    t.teardown(() => closeServer(held));
    // Port 0: a port found free beforehand may be taken by then (the app ended with EADDRINUSE in CI).
    const outbound = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, PLAIN_APP, token], {
      PORT: '0',
      OUTBOUND_PORT: String((held.address() as { port: number }).port),
    });
    t.equal(outbound.code, 1, outbound.output);
    t.match(outbound.output, /the checkpoint failed[\s\S]*Checkpoint refused: 1 open descriptor/, 'refused in the app, by the open-resource check');
    t.same(fileListing(imageDir), before, 'the refusal in the app changed nothing');

    const verify = await runCrac(t, ['verify', imageDir]);
    t.equal(verify.code, 0, `the earlier image is still intact: ${verify.output}`);
  });

  t.test('the next checkpoint replaces it whole', async (t) => {
    const second = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token]);
    t.equal(second.code, 0, second.output);
    const secondFiles = manifestNames(imageDir);
    t.ok(secondFiles.length < firstFiles.length, `the second image has fewer files (${secondFiles.length} < ${firstFiles.length})`);
    t.same(imageFiles(imageDir), secondFiles, 'only the files of the second image are in the directory');
    t.notOk(secondFiles.includes('pages-2.img'), 'no stale pages-2.img');
    const state = /^state (\w+)$/m.exec(second.output)?.[1];

    const verify = await runCrac(t, ['verify', imageDir]);
    t.equal(verify.code, 0, verify.output);
    const restored = startCrac(t, ['restore', imageDir]);
    const port = Number((await restored.waitFor(/listening (\d+)/))[1]);
    t.equal((await getJson(port)).state, state, 'the restored copy is the second app');
    restored.child.kill('SIGTERM');
    await restored.exited;
  });

  t.test('no process is left', async (t) => t.same(await leftOver(token), []));
});
