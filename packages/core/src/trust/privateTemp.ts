import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAncestors, checkOwnDirectory } from './trustedPath.js';

const TMPDIR_FIX = 'set TMPDIR to a directory that only you and root can write to (or a root-owned sticky one such as /tmp)';

/** A fresh directory only we can enter (mkdtemp, 0700), for logs and scripts that hold process state. */
export function createPrivateTempDir(prefix: string): { path: string; remove(): void } {
  const base = tmpdir();
  checkAncestors(join(base, 'x'), { allowStickyRoot: true }, TMPDIR_FIX);
  const path = mkdtempSync(join(base, `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The one directory per user that a launcher and the apps it signals share
 * (like tmux's /tmp/tmux-UID): names in it are predictable, so it must be ours,
 * 0700 and not a symlink, else nothing in it is read or written.
 */
export function userRuntimeDir(): string {
  const base = tmpdir();
  checkAncestors(join(base, 'x'), { allowStickyRoot: true }, TMPDIR_FIX);
  const dir = join(base, `node-crac-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { mode: 0o700, recursive: true });
  checkOwnDirectory(dir, `remove ${dir} (another user may have created it) and try again`);
  return dir;
}
