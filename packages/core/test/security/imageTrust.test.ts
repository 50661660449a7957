// Attacks by an unprivileged local user on images written and restored by
// root (see SECURITY.md): each is performed and must be refused.
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { criuUsable, leftOver, newToken, runCrac, tempDir } from '@node-crac/test-kit';
import t from 'tap';
import { checkpointFixture, FIXTURE } from '../e2e/harness.js';
import { createLocalUser, dirOwnedBy } from './fixtures/localUser.js';

t.test('checkpoint refuses an image directory that another user owns, and runs nothing of theirs', async (t) => {
  if (!criuUsable(t)) return;
  const attacker = createLocalUser(t);
  const imageDir = dirOwnedBy(t, attacker, 'image', 0o755);
  const marker = join(dirname(imageDir), 'pwned');
  // What the attacker plants: a seal script of their own and links to root's files.
  t.equal(attacker.sh(`printf '#!/bin/sh\\nid > ${marker}\\n' > ${imageDir}/.node-crac-seal && chmod 755 ${imageDir}/.node-crac-seal && ln -s /etc/shadow ${imageDir}/dump.log`).status, 0);
  const token = newToken(t);
  const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token]);
  t.not(run.code, 0, 'refused');
  t.match(run.output, new RegExp(`${imageDir} \\(owner uid ${attacker.uid} \\(${attacker.name}\\), mode 0755\\) is owned by uid ${attacker.uid} \\(${attacker.name}\\)`), 'names the path and the owner');
  t.match(run.output, /keep images in a directory that you own/, 'and the fix');
  t.notOk(existsSync(marker), 'the planted script never ran');
  t.equal(statSync(imageDir).mode & 0o777, 0o755, 'the directory was not chmodded');
  t.equal(statSync('/etc/shadow').mode & 0o777, 0o640, '/etc/shadow untouched');
  t.same(await leftOver(token), [], 'no app was left running');
});

t.test('checkpoint refuses an image directory under a directory another user can write', async (t) => {
  if (!criuUsable(t)) return;
  const attacker = createLocalUser(t);
  const theirs = dirOwnedBy(t, attacker, 'theirs', 0o755);
  const run = await runCrac(t, ['checkpoint', '--image', join(theirs, 'deep', 'image'), '--', process.execPath, FIXTURE, newToken(t)]);
  t.not(run.code, 0);
  t.match(run.output, new RegExp(`${theirs} \\(owner uid ${attacker.uid} \\(${attacker.name}\\).*\\) is owned by uid ${attacker.uid} \\(${attacker.name}\\): choose an image directory inside directories that only you and root can write to`));
  t.notOk(existsSync(join(theirs, 'deep')), 'nothing was created there');
  const open = join(dirname(theirs), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const worldWritable = await runCrac(t, ['checkpoint', '--image', join(open, 'image'), '--', process.execPath, FIXTURE, newToken(t)]);
  t.not(worldWritable.code, 0);
  t.match(worldWritable.output, /\(owner root, mode 0777\) is writable by every user/);
});

t.test('the seal script is never in the image directory', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  t.notOk(existsSync(join(imageDir, '.node-crac-seal')));
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
  t.match(Object.values(meta.files)[0]?.sha256, /^[0-9a-f]{64}$/, 'the manifest holds a digest per file');
});

t.test('restore refuses an image that another user could change, or did', async (t) => {
  if (!criuUsable(t)) return;
  const attacker = createLocalUser(t);
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const scratch = tempDir(t, 'crac-attack-');
  let n = 0;
  const copy = (spoil: (dir: string) => void): string => {
    const dir = join(scratch, `image-${++n}`);
    cpSync(imageDir, dir, { recursive: true });
    spoil(dir);
    return dir;
  };
  const cases: [string, string, RegExp][] = [
    ['a world-writable image directory', copy((dir) => chmodSync(dir, 0o777)), /\(owner root, mode 0777\) is writable by every user: keep images in a directory that you own/],
    ['pages rewritten by another user', copy((dir) => chownSync(join(dir, 'pages-1.img'), attacker.uid, attacker.gid)), /pages-1\.img \(owner uid \d+ \(cracatk\w+\), mode 0600\) is owned by uid \d+ \(cracatk\w+\): the image may have been tampered with/],
    ['a directory owned by another user', copy((dir) => chownSync(dir, attacker.uid, attacker.gid)), /is owned by uid \d+ \(cracatk\w+\), not by the user running node-crac \(root\)/],
    ['a planted symbolic link', copy((dir) => symlinkSync('/etc/shadow', join(dir, 'evil.img'))), /evil\.img \(.*\) is a symbolic link/],
    ['an edited crac.json', copy((dir) => writeFileSync(join(dir, 'crac.json'), readFileSync(join(dir, 'crac.json'), 'utf8').replace('"complete": true', '"complete": true, "x": 1'))), /crac\.json was changed after the image was sealed/],
    ['a stray image file', copy((dir) => writeFileSync(join(dir, 'pages-9.img'), 'x', { mode: 0o600 })), /pages-9\.img is not part of the image as it was sealed/],
  ];
  for (const [what, dir, message] of cases) {
    const run = await runCrac(t, ['restore', dir]);
    t.not(run.code, 0, `${what}: refused`);
    t.match(run.output, message, `${what}: says why`);
  }
  t.same(await leftOver(token), [], 'nothing was restored');
});

t.test('one flipped byte: crac verify names the file and restore --verify refuses it', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const intact = await runCrac(t, ['verify', imageDir]);
  t.equal(intact.code, 0);
  t.match(intact.output, /intact \(\d+ files/);
  const pages = join(imageDir, 'pages-1.img');
  const bytes = readFileSync(pages);
  bytes[4096] = (bytes[4096] ?? 0) ^ 0x01;
  writeFileSync(pages, bytes);
  const verify = await runCrac(t, ['verify', imageDir]);
  t.equal(verify.code, 1);
  t.match(verify.output, /modified after the checkpoint:\s+- pages-1\.img differs/);
  const restore = await runCrac(t, ['restore', '--verify', imageDir]);
  t.not(restore.code, 0);
  t.match(restore.output, /pages-1\.img differs/);
  t.same(await leftOver(token), []);
});
