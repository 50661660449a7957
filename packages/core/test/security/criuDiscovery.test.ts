// Security item 6, CRIU discovery: root must never run a `criu` that another
// user could have put or changed on the way to it. Here a throwaway user plants
// a `criu` that would create a marker file; node-crac must refuse it (an error for
// CRAC_CRIU_PATH, skipped with the reason for PATH) without ever running it.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { setEnv, type Teardown, trustedTempDir } from '@node-crac/test-kit';
import { CriuNotFoundError, locateCriu } from '../../src/engines/criu/locate.js';
import { createLocalUser, type LocalUser } from './fixtures/localUser.js';


const skip = process.getuid?.() !== 0 && 'the security tests create a local user: run them as root';

const trustedDir = (t: Teardown): string => trustedTempDir(t, 'criu-discovery-');

/** The user writes an executable `criu` into `dir` that, once run, creates `marker`. */
function plant(t: Test, user: LocalUser, dir: string, marker: string): string {
  const criu = join(dir, 'criu');
  const r = user.sh(`printf '#!/bin/sh\\ntouch ${marker}\\necho "Version: 4.1.1"\\necho "Looks good."\\n' > ${criu} && chmod 755 ${criu}`);
  t.equal(r.status, 0, `the user planted ${criu}: ${r.stderr}`);
  t.equal(statSync(criu).uid, user.uid, 'the planted criu is the user\'s');
  return criu;
}

t.test('a criu planted by another user is never run', { skip }, async (t) => {
  const user = createLocalUser(t);
  const root = trustedDir(t);
  const marker = join(root, 'ran-as-root'); // in a root-only directory: only a process of root can create it
  const userDir = join(root, user.name);
  mkdirSync(userDir, { mode: 0o755 });
  chownSync(userDir, user.uid, user.gid);
  const planted = plant(t, user, userDir, marker);
  const owner = new RegExp(`the directory ${userDir} is owned by uid ${user.uid} \\(${user.name}\\), not by root`);
  const realPath = process.env.PATH ?? '';

  t.test('CRAC_CRIU_PATH pointing into the user\'s directory is refused with a message', async (t) => {
    setEnv(t, { CRAC_CRIU_PATH: planted });
    try {
      locateCriu();
      t.fail('it must be refused');
    } catch (error) {
      t.type(error, CriuNotFoundError);
      t.match((error as Error).message, new RegExp(`CRAC_CRIU_PATH=${planted}: ${owner.source}.*; fix: chown root ${userDir}`));
    }
  });

  t.test('the user\'s directory first on PATH is skipped, with the reason, and the real CRIU used', async (t) => {
    setEnv(t, { CRAC_CRIU_PATH: undefined });
    setEnv(t, { PATH: `${userDir}:${realPath}` });
    let skipped;
    try {
      const found = locateCriu();
      t.not(found.path, planted, `the real one is used: ${found.path} (${found.source})`);
      skipped = found.skipped;
    } catch (error) {
      // No real CRIU on this machine: the planted one is still among the skipped.
      t.type(error, CriuNotFoundError);
      skipped = (error as CriuNotFoundError).skipped;
    }
    t.match(skipped, [{ path: planted, source: 'PATH', problem: owner, fix: /chown root/ }]);
  });

  t.test('a trusted symlink to the planted criu is skipped too', async (t) => {
    const links = join(root, 'links');
    mkdirSync(links, { mode: 0o755 });
    symlinkSync(planted, join(links, 'criu'));
    setEnv(t, { CRAC_CRIU_PATH: join(links, 'criu') });
    t.throws(() => locateCriu(), { name: 'CriuNotFoundError', message: owner });
  });

  t.test('a criu the user drops in a root-owned sticky directory (like /tmp) is skipped', async (t) => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const inShared = plant(t, user, shared, marker);
    setEnv(t, { CRAC_CRIU_PATH: undefined });
    setEnv(t, { PATH: `${shared}:${realPath}` });
    let skipped;
    try {
      skipped = locateCriu().skipped;
    } catch (error) {
      skipped = (error as CriuNotFoundError).skipped;
    }
    t.match(skipped, [{ path: inShared, source: 'PATH', problem: /world-writable \(mode 1777\); the sticky bit does not help/ }]);
  });

  t.test('crac doctor shows the CRIU used and the planted one skipped, with why', async (t) => {
    const r = spawnSync(process.execPath, [resolve(__dirname, '../../bin/crac.js'), 'doctor'], {
      encoding: 'utf8',
      env: { ...process.env, CRAC_CRIU_PATH: '', PATH: `${userDir}:${realPath}` },
      timeout: 120_000,
    });
    t.match(r.stdout, /\[(ok {2}|FAIL)\] (CRIU \S+ at \S+ \(from \S+\)|no usable CRIU)/);
    t.notMatch(r.stdout, `CRIU 4.1.1 at ${planted}`);
    t.match(r.stdout, `[warn] CRIU skipped: ${planted} (PATH): the directory ${userDir} is owned by uid ${user.uid} (${user.name}), not by root`);
    t.match(r.stdout, `fix: chown root ${userDir}`);
  });

  t.test('the planted criu never ran, not even for --version', async (t) => {
    t.notOk(existsSync(marker), `no ${marker}`);
  });

  t.test('control: run by root, the planted criu does create the marker', async (t) => {
    t.equal(spawnSync(planted, ['--version']).status, 0);
    t.ok(existsSync(marker), 'so its absence above means it was never run');
  });
});
