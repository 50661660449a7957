import { existsSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { criuUsable, freePort, getJson, leftOver, newToken, runCrac, startCrac, stopProcess, tempDir, tryConnect } from '@node-crac/test-kit';
import { zstdAvailable } from '../../src/image/archiveCodec.js';
import { checkpointFixture, FIXTURE } from './harness.js';

// An image moved as one file: checkpointed here with real CRIU, exported,
// imported into another directory (the original removed), verified, restored.

t.test('export, import into another directory, verify and restore: the copy serves', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const port = await freePort();
  const { imageDir, state } = await checkpointFixture(t, token, { PORT: String(port) });
  const scratch = tempDir(t, 'crac-portable-');
  // zstd needs Node >= 22.15 or the zstd program (Debian's zstd); gzip works everywhere.
  const name = zstdAvailable() ? 'app.tar.zst' : 'app.tar.gz';
  const archive = join(scratch, name);

  const exported = await runCrac(t, ['export', imageDir, '-o', archive]);
  t.equal(exported.code, 0, exported.output);
  const sha256 = /^sha256 ([0-9a-f]{64})/m.exec(exported.output)?.[1];
  t.ok(sha256, 'the archive digest is printed');
  t.equal(readFileSync(`${archive}.sha256`, 'utf8'), `${sha256}  ${name}\n`, 'and written beside it');
  const verifiedArchive = await runCrac(t, ['verify', archive]);
  t.equal(verifiedArchive.code, 0, verifiedArchive.output);
  t.match(verifiedArchive.output, `matches ${archive}.sha256`);
  rmSync(imageDir, { recursive: true, force: true });

  const imported = join(scratch, 'imported', 'image');
  const run = await runCrac(t, ['import', archive, '-o', imported, '--sha256', sha256!]);
  t.equal(run.code, 0, run.output);
  t.match(run.output, /every file's SHA-256 checked; archive sha256 [0-9a-f]{64} matches --sha256/);
  const verified = await runCrac(t, ['verify', imported]);
  t.equal(verified.code, 0, verified.output);

  const restorer = startCrac(t, ['restore', imported]);
  await restorer.waitFor(new RegExp(`listening ${port}`));
  t.equal((await getJson(port)).state, state, 'the imported copy answers with the state it was checkpointed with');
  await stopProcess(restorer);
  t.same(await leftOver(token), [], 'and is gone once stopped');
});

t.test('a tampered archive is refused by import and verify, naming the file; nothing is left', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const scratch = tempDir(t, 'crac-portable-');
  const archive = join(scratch, 'app.tar.gz');
  const exported = await runCrac(t, ['export', imageDir, '-o', archive]);
  t.equal(exported.code, 0, exported.output);
  const sha256 = /^sha256 ([0-9a-f]{64})/m.exec(exported.output)![1]!;

  // One byte of the process's memory changed in transit, the archive compressed again.
  const tar = gunzipSync(readFileSync(archive));
  const header = tar.indexOf(Buffer.from('pages-1.img\0'));
  t.equal(header % 512, 0, 'pages-1.img has a header in the archive');
  tar[header + 512 + 100] ^= 0xff;
  const tampered = join(scratch, 'tampered.tar.gz');
  writeFileSync(tampered, gzipSync(tar));

  const out = join(scratch, 'out');
  const run = await runCrac(t, ['import', tampered, '-o', out]);
  t.equal(run.code, 1, run.output);
  t.match(run.output, 'pages-1.img differs from the image\'s manifest (SHA-256 mismatch)', 'names the file');
  t.notOk(existsSync(out), 'no image directory is left');
  const withDigest = await runCrac(t, ['import', tampered, '-o', out, '--sha256', sha256]);
  t.equal(withDigest.code, 1);
  t.match(withDigest.output, `${tampered} is not the archive that was exported: its SHA-256 is`, 'the archive digest names the archive');
  const verify = await runCrac(t, ['verify', tampered]);
  t.equal(verify.code, 1);
  t.match(verify.output, 'pages-1.img differs');
  t.notOk(existsSync(out));
});

t.test('restore says which app file changed since the checkpoint, and runs nothing', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const port = await freePort();
  const appDir = tempDir(t, 'crac-app-');
  const server = join(appDir, 'server.js');
  writeFileSync(server, `require(${JSON.stringify(FIXTURE)});\n`);
  const { imageDir } = await checkpointFixture(t, token, { PORT: String(port) }, server);
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as { app: { files: { path: string }[] }; host: { kernel: string } };
  t.ok(meta.app.files.some((f) => f.path === server), 'the main script is recorded');
  t.ok(meta.app.files.some((f) => f.path === FIXTURE), 'and the modules it required');
  t.match(meta.host.kernel, /\S/, 'and the kernel');

  appendFileSync(server, '// deployed again\n');
  const restore = await runCrac(t, ['restore', imageDir], {}, 60_000);
  t.equal(restore.code, 1, restore.output);
  t.match(restore.output, `the app file ${server} changed since the checkpoint (`, 'names the file');
  t.match(restore.output, 'Checkpoint again with the app as it is now');
  t.same(await leftOver(token, 1_000), [], 'nothing was restored');
  t.equal(await tryConnect(port), 'ECONNREFUSED');
});
