import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { setEnv, type Teardown, trustedTempDir } from '@node-crac/test-kit';
import { CriuNotFoundError, locateCriu } from '../../../src/engines/criu/locate.js';
import { trustedExecutable } from '../../../src/trust/trustedExecutable.js';


const trustedDir = (t: Teardown): string => trustedTempDir(t, 'criu-locate-');

/** A stand-in criu that prints `version` and passes or fails `criu check`. */
function fakeCriu(t: Teardown, version: string, checkPasses = true, dir = trustedDir(t)): string {
  const path = join(dir, 'criu');
  writeFileSync(path, `#!/bin/sh\ncase "$1" in --version) echo "Version: ${version}";; check) ${checkPasses ? 'echo "Looks good."' : 'echo "Error: no timens" >&2; exit 1'};; esac\n`);
  chmodSync(path, 0o755);
  return path;
}

const isRoot = process.getuid?.() === 0;

t.test('trustedExecutable', async (t) => {
  t.test('accepts a binary that only root (or you) can change, up to /', async (t) => {
    const criu = fakeCriu(t, '4.1.1');
    t.same(trustedExecutable(criu), { real: criu });
  });

  t.test('refuses a group- or world-writable binary', async (t) => {
    const criu = fakeCriu(t, '4.1.1');
    chmodSync(criu, 0o775);
    t.match(trustedExecutable(criu), { problem: `the binary ${criu} is group-writable (mode 0775)`, fix: `chmod go-w ${criu}` });
    chmodSync(criu, 0o757);
    t.match(trustedExecutable(criu), { problem: `the binary ${criu} is world-writable (mode 0757)` });
  });

  t.test('refuses a binary in a group-writable directory, naming the directory', async (t) => {
    const dir = join(trustedDir(t), 'bin');
    mkdirSync(dir);
    chmodSync(dir, 0o775);
    const criu = fakeCriu(t, '4.1.1', true, dir);
    t.match(trustedExecutable(criu), { problem: `the directory ${dir} is group-writable (mode 0775)`, fix: /chmod go-w/ });
  });

  t.test('refuses a root-owned sticky world-writable directory such as /tmp', async (t) => {
    const dir = join(trustedDir(t), 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    const criu = fakeCriu(t, '4.1.1', true, dir);
    const result = trustedExecutable(criu);
    t.match(result, { problem: `the directory ${dir} is group- and world-writable (mode 1777); the sticky bit does not help` });
    t.notMatch(result, { fix: /chmod/ }, 'no advice to chmod a shared directory');
    const inTmp = mkdtempSync(join(tmpdir(), 'criu-untrusted-'));
    t.teardown(() => rmSync(inTmp, { recursive: true, force: true }));
    t.match(trustedExecutable(fakeCriu(t, '4.1.1', true, inTmp)), { problem: /^the directory \/tmp is group- and world-writable \(mode 1777\)/ });
  });

  t.test('refuses a binary or directory owned by another user', { skip: !isRoot && 'needs root to chown' }, async (t) => {
    const dir = join(trustedDir(t), 'bin');
    mkdirSync(dir);
    const criu = fakeCriu(t, '4.1.1', true, dir);
    chownSync(criu, 65534, 65534);
    t.match(trustedExecutable(criu), { problem: new RegExp(`^the binary ${criu} is owned by uid 65534.*, not by root: that user could rewrite it`), fix: /chown root/ });
    chownSync(criu, 0, 0);
    chownSync(dir, 65534, 65534);
    t.match(trustedExecutable(criu), { problem: new RegExp(`^the directory ${dir} is owned by uid 65534.*, not by root: that user could swap the binary`) });
  });

  t.test('follows symlinks: the target and every directory on the way must be trusted', async (t) => {
    const root = trustedDir(t);
    const good = fakeCriu(t, '4.1.1', true, join(root));
    const links = join(root, 'links');
    mkdirSync(links);
    symlinkSync(good, join(links, 'criu'));
    t.same(trustedExecutable(join(links, 'criu')), { real: good }, 'resolved to the binary itself');
    symlinkSync('..', join(links, 'up'));
    t.same(trustedExecutable(join(links, 'up', 'criu')), { real: good }, 'relative and directory symlinks');

    const bad = join(root, 'bad');
    mkdirSync(bad);
    chmodSync(bad, 0o777);
    const badCriu = fakeCriu(t, '4.1.1', true, bad);
    const toBad = join(root, 'to-bad');
    mkdirSync(toBad);
    symlinkSync(badCriu, join(toBad, 'criu'));
    t.match(trustedExecutable(join(toBad, 'criu')), { problem: `the directory ${bad} is group- and world-writable (mode 0777)` }, 'a trusted link to a bad place');

    const linkInBad = join(bad, 'link');
    symlinkSync(good, linkInBad);
    t.match(trustedExecutable(linkInBad), { problem: `the directory ${bad} is group- and world-writable (mode 0777)` }, 'a link others could re-point');

    symlinkSync('loop', join(links, 'loop'));
    t.match(trustedExecutable(join(links, 'loop')), { problem: /too many symlinks/ });
  });

  t.test('says when a path does not exist or is not a file', async (t) => {
    const dir = trustedDir(t);
    t.match(trustedExecutable(join(dir, 'criu')), { problem: `${join(dir, 'criu')} does not exist (ENOENT)` });
    t.match(trustedExecutable(dir), { problem: `${dir} is not a regular file` });
  });
});

t.test('CRAC_CRIU_PATH is used when it is CRIU >= 4', async (t) => {
  const criu = fakeCriu(t, '4.1.1');
  setEnv(t, { CRAC_CRIU_PATH: criu });
  t.same(locateCriu(), { path: criu, version: '4.1.1', source: 'CRAC_CRIU_PATH', skipped: [] });
});

t.test('a CRAC_CRIU_PATH that is too old, missing or untrusted is an error, not skipped', async (t) => {
  setEnv(t, { CRAC_CRIU_PATH: fakeCriu(t, '3.17.1') });
  t.throws(() => locateCriu(), { name: 'CriuNotFoundError', message: /version 3\.17\.1 is too old/ });
  setEnv(t, { CRAC_CRIU_PATH: '/nonexistent/criu' });
  t.throws(() => locateCriu(), { message: /CRAC_CRIU_PATH=\/nonexistent\/criu: \/nonexistent does not exist/ });

  const marker = join(trustedDir(t), 'ran');
  const dir = join(trustedDir(t), 'open');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const planted = join(dir, 'criu');
  writeFileSync(planted, `#!/bin/sh\ntouch ${marker}\necho "Version: 4.1.1"\n`, { mode: 0o755 });
  setEnv(t, { CRAC_CRIU_PATH: planted });
  try {
    locateCriu();
    t.fail('an untrusted CRAC_CRIU_PATH must be refused');
  } catch (error) {
    t.type(error, CriuNotFoundError);
    t.match((error as CriuNotFoundError).message, `CRAC_CRIU_PATH=${planted}: the directory ${dir} is group- and world-writable (mode 0777); fix: put CRIU in a directory only root can write`);
    t.match((error as CriuNotFoundError).skipped, [{ path: planted, source: 'CRAC_CRIU_PATH', problem: /world-writable/ }]);
  }
  t.notOk(existsSync(marker), 'not even `criu --version` was run');
});

t.test('a criu on PATH must be >= 4 and pass `criu check`', async (t) => {
  setEnv(t, { CRAC_CRIU_PATH: undefined });
  const good = fakeCriu(t, '4.0');
  setEnv(t, { PATH: join(good, '..') });
  t.same(locateCriu(), { path: good, version: '4.0', source: 'PATH', skipped: [] });

  const failing = fakeCriu(t, '4.0', false);
  setEnv(t, { PATH: join(failing, '..') });
  // Next come the sbin directories and the bundled CRIU.
  try {
    const found = locateCriu();
    t.not(found.path, failing, 'the failing criu is passed over');
    t.match(found.skipped, [{ path: failing, source: 'PATH', problem: /`criu check` failed: Error: no timens/ }]);
  } catch (error) {
    t.type(error, CriuNotFoundError);
    t.match((error as CriuNotFoundError).reasons.join('\n'), /`criu check` failed: Error: no timens/);
  }
});

t.test('an untrusted criu on PATH is skipped, with the reason kept, and the next one used', async (t) => {
  setEnv(t, { CRAC_CRIU_PATH: undefined });
  const open = join(trustedDir(t), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const untrusted = fakeCriu(t, '4.1.1', true, open);
  const good = fakeCriu(t, '4.1.1');
  setEnv(t, { PATH: [open, join(good, '..')].join(':') });
  const found = locateCriu();
  t.match(found, { path: good, source: 'PATH' });
  t.match(found.skipped, [{ path: untrusted, source: 'PATH', problem: `the directory ${open} is group- and world-writable (mode 0777)`, fix: /only root can write/ }]);
  t.equal(locateCriu(), found, 'cached while CRAC_CRIU_PATH and PATH stay the same');
});

t.test('with no CRIU >= 4 on PATH or in sbin, the one @node-crac/criu-linux-x64 bundles is used, without `criu check`', async (t) => {
  setEnv(t, { CRAC_CRIU_PATH: undefined, PATH: trustedDir(t) });
  const found = locateCriu();
  t.match(found, { path: resolve(__dirname, '../../../../criu-linux-x64/bin/criu'), source: 'bundled', version: /^[4-9]\./ });
});
