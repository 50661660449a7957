import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { trustedTempDir } from '@node-crac/test-kit';
import t from 'tap';
import { exportImage, expectedDigest, importArchive, verifyArchive } from '../../src/image/archive.js';
import { zstdAvailable } from '../../src/image/archiveCodec.js';
import { sealImage, writeImageMeta } from '../../src/image/imageDir.js';
import { describeCpu, describeNode, ImageError, type ImageMeta } from '../../src/image/imageMeta.js';

// Archives of a sealed image made without CRIU (a few files standing for
// CRIU's), and archives crafted with GNU tar as an attacker would.

function sealedImage(root: string): { dir: string; meta: ImageMeta } {
  const dir = join(root, 'image');
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'pages-1.img'), Buffer.alloc(700_000, 7), { mode: 0o600 });
  writeFileSync(join(dir, 'core-1.img'), 'core of the process', { mode: 0o600 });
  writeFileSync(join(dir, 'empty.img'), '', { mode: 0o600 });
  writeImageMeta(dir, {
    format: 'node-crac-image',
    formatVersion: 2,
    complete: false,
    createdAt: new Date().toISOString(),
    node: { ...describeNode(), mappedFiles: [] },
    criu: { path: '/usr/sbin/criu', version: '4.1.1' },
    cpu: describeCpu(),
    process: { pid: 1, argv: [], execArgv: [], cwd: '/' },
    statusPipe: { fd: 20, inode: 1 },
    stdio: [],
    heap: { shrunk: false, rssBeforeBytes: 0, rssAfterBytes: 0 },
    resources: [],
  });
  return { dir, meta: sealImage(dir, Date.now()) };
}

/** The tar inside a .tar.gz, changed by `edit`, compressed again. */
function rewrite(archive: string, to: string, edit: (tar: Buffer) => void): string {
  const tar = gunzipSync(readFileSync(archive));
  edit(tar);
  writeFileSync(to, gzipSync(tar));
  return to;
}

/** An archive made by GNU tar from `dir`, of `names` in that order, with more `options`. */
function gnuTar(dir: string, archive: string, names: string[], options: string[] = []): string {
  execFileSync('tar', ['-C', dir, ...options, '-czf', archive, ...names]);
  return archive;
}

t.test('export, verify and import: the same files, private, with the digest written beside the archive', async (t) => {
  const root = trustedTempDir(t, 'crac-archive-');
  const { dir, meta } = sealedImage(root);
  for (const name of ['image.tar.gz', ...(zstdAvailable() ? ['image.tar.zst'] : [])]) {
    await t.test(name, async (t) => {
      const archive = join(root, name);
      const exported = await exportImage(dir, archive);
      t.match(exported.sha256, /^[0-9a-f]{64}$/);
      t.equal(readFileSync(`${archive}.sha256`, 'utf8'), `${exported.sha256}  ${name}\n`, 'sha256sum format');
      t.equal(statSync(archive).mode & 0o777, 0o600, 'the archive holds process memory: 0600');
      execFileSync('sha256sum', ['-c', `${name}.sha256`], { cwd: root });
      const listing = execFileSync('tar', ['-tf', archive, ...(name.endsWith('zst') ? ['--zstd'] : [])], { encoding: 'utf8' });
      t.same(listing.trim().split('\n'), ['crac.json', 'core-1.img', 'empty.img', 'pages-1.img'], 'crac.json first, then the manifest files; no dump.log');

      const check = await verifyArchive(archive, expectedDigest(archive, undefined));
      t.equal(check.sha256, exported.sha256);
      t.equal(check.checkedAgainst?.from, `${archive}.sha256`);

      const out = join(root, `imported-${name}`, 'deep', 'image');
      const imported = await importArchive(archive, out, expectedDigest(archive, exported.sha256));
      t.equal(imported.checkedAgainst?.from, '--sha256');
      t.same(readdirSync(out).sort(), ['core-1.img', 'crac.json', 'empty.img', 'pages-1.img']);
      t.equal(statSync(out).mode & 0o777, 0o700);
      for (const file of readdirSync(out)) {
        t.equal(statSync(join(out, file)).mode & 0o777, 0o600, `${file} 0600`);
        t.same(readFileSync(join(out, file)), readFileSync(join(dir, file)), `${file} as exported`);
      }
      t.same(readdirSync(join(root, `imported-${name}`, 'deep')), ['image'], 'no staging directory is left');
      t.equal(meta.files!['pages-1.img']!.size, 700_000);
    });
  }
  await t.rejects(exportImage(dir, join(root, 'image.zip')), /name the archive NAME\.tar\.zst \(zstd\) or NAME\.tar\.gz/);
});

t.test('a tampered archive is refused, naming the file; nothing is left', async (t) => {
  const root = trustedTempDir(t, 'crac-archive-');
  const { dir } = sealedImage(root);
  const archive = join(root, 'image.tar.gz');
  const { sha256 } = await exportImage(dir, archive);
  const tar = gunzipSync(readFileSync(archive));
  const pagesAt = tar.indexOf(Buffer.alloc(64, 7));

  const flipped = rewrite(archive, join(root, 'flipped.tar.gz'), (tar) => (tar[pagesAt + 1000] ^= 0xff));
  const out = join(root, 'out');
  await t.rejects(importArchive(flipped, out, undefined), /flipped\.tar\.gz: pages-1\.img differs from the image's manifest \(SHA-256 mismatch\)/, 'the changed file is named');
  t.notOk(existsSync(out), 'no image directory');
  t.same(readdirSync(root).filter((n) => n.startsWith('.')), [], 'no staging directory');
  await t.rejects(verifyArchive(flipped, undefined), /pages-1\.img differs from the image's manifest/, 'crac verify says the same');
  await t.rejects(importArchive(flipped, out, { sha256, from: '--sha256' }), /flipped\.tar\.gz is not the archive that was exported: its SHA-256 is [0-9a-f]{64}, --sha256 says/, 'with a digest, the archive itself is named');

  // The record rewritten too, consistently: only the archive's digest tells.
  writeFileSync(`${flipped}.sha256`, `${sha256}  flipped.tar.gz\n`);
  await t.rejects(verifyArchive(flipped, expectedDigest(flipped, undefined)), /flipped\.tar\.gz is not the archive that was exported.*flipped\.tar\.gz\.sha256 says/);

  const record = rewrite(archive, join(root, 'record.tar.gz'), (tar) => tar.write('"complete": true, "x": 1', tar.indexOf('"complete": true'), 'utf8'));
  await t.rejects(importArchive(record, out, undefined), /record\.tar\.gz: its crac\.json/, 'an edited crac.json is refused');

  const truncated = join(root, 'truncated.tar.gz');
  writeFileSync(truncated, gzipSync(tar.subarray(0, pagesAt + 5000)));
  await t.rejects(importArchive(truncated, out, undefined), /truncated\.tar\.gz ends early: pages-1\.img is cut short/);
  writeFileSync(join(root, 'garbage.tar.gz'), 'not an archive');
  await t.rejects(importArchive(join(root, 'garbage.tar.gz'), out, undefined), /is not an image archive: neither zstd nor gzip/);
  writeFileSync(join(root, 'cut.tar.gz'), readFileSync(archive).subarray(0, 200));
  await t.rejects(importArchive(join(root, 'cut.tar.gz'), out, undefined), /cut\.tar\.gz could not be read as an image archive \(gzip\)|ends early/);
  t.notOk(existsSync(out));
  t.same(readdirSync(root).filter((n) => n.startsWith('.')), [], 'no staging directory after any of them');
  await t.rejects(Promise.resolve().then(() => expectedDigest(archive, 'abc')), /--sha256 wants the 64 hex digits/, 'a malformed --sha256');
});

t.test('import takes only flat regular files that the manifest lists', async (t) => {
  const root = trustedTempDir(t, 'crac-archive-');
  const { dir } = sealedImage(root);
  const out = join(root, 'out');
  const attacks: [string, () => string, RegExp][] = [
    ['a symbolic link', () => {
      symlinkSync('/etc/shadow', join(dir, 'link.img'));
      return gnuTar(dir, join(root, 'link.tar.gz'), ['crac.json', 'link.img']);
    }, /"link\.img" is a symbolic link; an image archive holds only regular files/],
    ['a hard link', () => gnuTar(dir, join(root, 'hard.tar.gz'), ['crac.json', 'core-1.img', 'core-1.img'], ['--hard-dereference', '--format=ustar']), /core-1\.img is in it twice|"core-1\.img" is a hard link/],
    ['a directory', () => {
      mkdirSync(join(dir, 'sub.img'));
      return gnuTar(dir, join(root, 'dir.tar.gz'), ['crac.json', 'sub.img']);
    }, /"sub\.img\/" is a directory/],
    ['a FIFO', () => {
      execFileSync('mkfifo', [join(dir, 'fifo.img')]);
      return gnuTar(dir, join(root, 'fifo.tar.gz'), ['crac.json', 'fifo.img']);
    }, /"fifo\.img" is a FIFO/],
    ['a path that climbs out', () => gnuTar(dir, join(root, 'climb.tar.gz'), ['crac.json', 'core-1.img'], ['--format=ustar', '--transform', 's,^core,../core,']), /the entry "\.\.\/core-1\.img" is not a plain file name/],
    ['an absolute path', () => gnuTar(dir, join(root, 'absolute.tar.gz'), ['crac.json', join(dir, 'core-1.img')], ['--format=ustar', '-P']), /the entry "\/.*core-1\.img" is not a plain file name/],
    ['a file the manifest does not list', () => {
      writeFileSync(join(dir, 'extra.img'), 'x');
      return gnuTar(dir, join(root, 'extra.tar.gz'), ['crac.json', 'extra.img'], ['--format=ustar']);
    }, /extra\.img is not part of the image as it was sealed/],
    ['a file before the record', () => gnuTar(dir, join(root, 'order.tar.gz'), ['core-1.img', 'crac.json']), /core-1\.img comes before crac\.json/],
    ['a record only', () => gnuTar(dir, join(root, 'lacking.tar.gz'), ['crac.json']), /lacking\.tar\.gz lacks files of the image's manifest: core-1\.img, empty\.img, pages-1\.img/],
    ['a long name (GNU extension)', () => {
      writeFileSync(join(dir, `${'x'.repeat(120)}.img`), 'x');
      return gnuTar(dir, join(root, 'long.tar.gz'), ['crac.json', `${'x'.repeat(120)}.img`]);
    }, /is a GNU long name/],
  ];
  for (const [what, make, refusal] of attacks) {
    await t.test(what, async (t) => {
      await t.rejects(importArchive(make(), out, undefined), refusal, 'refused, naming the entry');
      t.notOk(existsSync(out), 'nothing extracted');
      t.same(readdirSync(root).filter((n) => n.startsWith('.')), [], 'no staging directory left');
    });
  }
  t.notOk(existsSync('/core-1.img') || existsSync(join(root, 'core-1.img')), 'nothing was written outside');
});

t.test('the output directory must be new or empty, and ours', async (t) => {
  const root = trustedTempDir(t, 'crac-archive-');
  const { dir } = sealedImage(root);
  const archive = join(root, 'image.tar.gz');
  await exportImage(dir, archive);
  await t.rejects(importArchive(archive, dir, undefined), /image is not empty: import into a new directory/, 'a full directory is refused');
  const empty = join(root, 'empty');
  mkdirSync(empty, { mode: 0o700 });
  await importArchive(archive, empty, undefined);
  t.ok(existsSync(join(empty, 'crac.json')), 'an empty one is filled');
  const link = join(root, 'link');
  mkdirSync(join(root, 'target'));
  symlinkSync(join(root, 'target'), link);
  await t.rejects(importArchive(archive, link, undefined), /link \(.*\) is a symbolic link/, 'a symlink is refused');
  const open = join(root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  await t.rejects(importArchive(archive, join(open, 'image'), undefined), /open \(owner root, mode 0777\) is writable by every user/, 'a directory others can write is refused');
  t.same(readdirSync(open), [], 'and nothing was written there');
  await t.rejects(exportImage(join(root, 'missing'), join(root, 'x.tar.gz')), ImageError, 'no image to export');
  const pages = join(dir, 'pages-1.img');
  const bytes = readFileSync(pages);
  bytes[10] ^= 0xff;
  writeFileSync(pages, bytes);
  await t.rejects(exportImage(dir, join(root, 'damaged.tar.gz')), /pages-1\.img differs from the image as it was sealed/, 'a damaged image is not exported');
  t.notOk(existsSync(join(root, 'damaged.tar.gz')), 'and no archive is written');
});
