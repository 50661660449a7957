import { mkdtempSync, openSync, closeSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkImageRunsHere } from '../../src/image/imageChecks.js';
import { describeCpu, describeNode, ImageError, type ImageMeta } from '../../src/image/imageMeta.js';
import { describeMappedFiles, mappedFileChange, type MappedFile } from '../../src/image/mappedFiles.js';
import { sha256OfFile } from '../../src/trust/digestCache.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'crac-mapped-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file with a whole-second mtime, so that utimes can put it back exactly. */
function library(dir: string, name: string, content = 'ELF-ish content of a library\n'): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  utimesSync(path, 1_700_000_000, 1_700_000_000);
  return path;
}

function recorded(path: string): MappedFile {
  const s = statSync(path);
  return { path, dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, sha256: sha256OfFile(path) };
}

/** Waits until a file written now gets another ctime than one written before (the kernel's clock is coarse). */
async function nextCtimeTick(dir: string, before: number): Promise<void> {
  const probe = join(dir, '.tick');
  for (let i = 0; i < 200; i++) {
    writeFileSync(probe, '');
    if (statSync(probe).ctimeMs !== before) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the ctime did not move in a second');
}

t.test('the files mapped executable into this process: the Node binary and its libraries, each once', async (t) => {
  const files = describeMappedFiles();
  const paths = files.map((f) => f.path);
  t.ok(paths.includes(process.execPath), `the Node binary is among ${paths.join(', ')}`);
  t.ok(paths.some((p) => /\/libc[.-]/.test(p)), 'libc is among them');
  t.equal(new Set(paths).size, paths.length, 'each file once');
  for (const file of files) t.equal(mappedFileChange(file), undefined, `${file.path} unchanged`);
  const node = files.find((f) => f.path === process.execPath)!;
  const s = statSync(process.execPath);
  t.same(node, { path: process.execPath, dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, sha256: sha256OfFile(process.execPath) });
});

t.test('anonymous, special, deleted and non-executable mappings are skipped', async (t) => {
  const dir = tempDir(t);
  const lib = library(dir, 'libkept.so');
  const data = library(dir, 'data.bin');
  const addon = library(dir, 'with space.node');
  const maps = [
    `7f0000000000-7f0000001000 r--p 00000000 fe:00 1 ${lib}`,
    `7f0000001000-7f0000002000 r-xp 00001000 fe:00 1 ${lib}`,
    `7f0000002000-7f0000003000 r-xp 00002000 fe:00 1 ${lib}`,
    `7f0000003000-7f0000004000 rw-p 00000000 fe:00 2 ${data}`,
    `7f0000004000-7f0000005000 r-xp 00000000 fe:00 3 ${addon}`,
    `7f0000005000-7f0000006000 r-xp 00000000 fe:00 4 ${join(dir, 'libgone.so')} (deleted)`,
    '7f0000006000-7f0000007000 r-xp 00000000 00:01 5 /memfd:jit (deleted)',
    '7f0000007000-7f0000008000 rwxp 00000000 00:00 0 ',
    '7f0000008000-7f0000009000 r-xp 00000000 00:00 0 [vdso]',
    '7f0000009000-7f000000a000 r-xp 00000000 00:0e 6 anon_inode:[perf_event]',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]',
    `7f000000a000-7f000000b000 r-xp 00000000 00:05 7 /dev/zero`,
    '',
  ].join('\n');
  t.same(describeMappedFiles(maps), [recorded(lib), recorded(addon)]);
});

t.test('a file written with its size kept and its mtime put back is told by its ctime', async (t) => {
  const dir = tempDir(t);
  const lib = library(dir, 'libpatched.so');
  const before = recorded(lib);
  t.equal(mappedFileChange(before), undefined, 'unchanged at first');
  await nextCtimeTick(dir, before.ctimeMs);

  const fd = openSync(lib, 'r+');
  writeSync(fd, 'X', 3);
  closeSync(fd);
  utimesSync(lib, 1_700_000_000, 1_700_000_000);
  const after = statSync(lib);
  t.equal(after.size, before.size, 'same size');
  t.equal(after.mtimeMs, before.mtimeMs, 'same mtime');
  t.equal(after.ino, before.ino, 'same inode');

  const change = mappedFileChange(before);
  t.match(change, /^its content differs \(SHA-256\); its status-change time \(ctime\) differs/, 'told by the content and the ctime');
  t.notMatch(change, /inode|bytes|modification/, 'and by nothing else');
});

t.test('a file replaced by rename, size and mtime the same, is told by its inode', async (t) => {
  const dir = tempDir(t);
  const lib = library(dir, 'libreplaced.so', 'AAAA');
  const before = recorded(lib);
  const other = library(dir, 'libreplaced.so.new', 'BBBB');
  renameSync(other, lib);
  const change = mappedFileChange(before);
  t.match(change, /another file is at that path \(device or inode differs\)/);
  t.notMatch(change, /bytes|modification/, 'size and mtime agree');
});

t.test('the same content under another identity (another host or container) is the same code', async (t) => {
  const dir = tempDir(t);
  const lib = library(dir, 'libcopied.so');
  const before = recorded(lib);
  renameSync(library(dir, 'libcopied.so.copy'), lib);
  t.not(statSync(lib).ino, before.ino, 'another inode');
  t.equal(mappedFileChange(before), undefined);
});

t.test('a missing file', async (t) => {
  const dir = tempDir(t);
  const lib = library(dir, 'libremoved.so');
  const before = recorded(lib);
  rmSync(lib);
  t.equal(mappedFileChange(before), 'it is missing');
});

t.test('checkImageRunsHere names each changed file and the fix; it passes when nothing changed', async (t) => {
  const dir = tempDir(t);
  const lib = library(dir, 'libfoo.so');
  const addon = library(dir, 'addon.node');
  const gone = library(dir, 'libgone.so');
  const node = describeNode();
  const meta = { node: { ...node, mappedFiles: [...node.mappedFiles, recorded(lib), recorded(addon), recorded(gone)] }, cpu: describeCpu() } as ImageMeta;
  t.doesNotThrow(() => checkImageRunsHere(meta), 'unchanged files pass');

  await nextCtimeTick(dir, statSync(lib).ctimeMs);
  writeFileSync(lib, 'ELF-ish content of a librarY\n');
  utimesSync(lib, 1_700_000_000, 1_700_000_000);
  renameSync(library(dir, 'addon.node.new', 'ELF-ish content of a librarZ\n'), addon);
  rmSync(gone);
  let error: unknown;
  try {
    checkImageRunsHere(meta);
  } catch (e) {
    error = e;
  }
  t.type(error, ImageError);
  const message = (error as Error).message;
  t.match(message, `the shared library ${lib} changed since the checkpoint (its content differs (SHA-256); its status-change time (ctime) differs`);
  t.match(message, `the native addon ${addon} changed since the checkpoint (its content differs (SHA-256); another file is at that path`);
  t.match(message, `the shared library ${gone} changed since the checkpoint (it is missing)`);
  t.equal(message.match(/checkpoint again with the installed binaries/g)?.length, 3, 'the fix, for each');
  t.notMatch(message, process.execPath, 'the unchanged Node binary is not named');
});
