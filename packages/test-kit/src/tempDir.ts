import { chmodSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Teardown } from './teardown.js';

/** A temporary directory removed at the end of the test. */
export function tempDir(t: Teardown, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A 0755 directory in the workspace's tmp/ (git-ignored), removed at the end
 * of the test: node-crac runs CRIU only from directories nobody but root (or
 * the running user) can write, up to /, which os.tmpdir() (mode 1777) is not.
 */
export function trustedTempDir(t: Teardown, prefix: string): string {
  const base = resolve(__dirname, '../../../tmp');
  let dir: string | undefined;
  for (let tries = 1; dir === undefined; tries++) {
    mkdirSync(base, { recursive: true, mode: 0o755 });
    try {
      dir = mkdtempSync(join(base, prefix));
    } catch (error) {
      // another test's teardown may remove the empty base between the two calls
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || tries === 3) throw error;
    }
  }
  chmodSync(dir, 0o755);
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync(base); // only when nothing else is left in it
    } catch {
      // still in use
    }
  });
  return dir;
}

/**
 * A 0755 directory in the home directory, removed at the end of the test: a
 * place for a project outside the workspace (Node resolves nothing from the
 * workspace's node_modules there) that node-crac trusts, as trustedTempDir.
 */
export function homeTempDir(t: Teardown, prefix: string): string {
  const dir = mkdtempSync(join(homedir(), prefix));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
