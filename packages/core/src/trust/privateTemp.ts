import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
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

/**
 * A fresh directory in the user's runtime directory for one process's own use
 * while it runs, `<kind>-<pid namespace>-<pid>-XXXXXX`. A process killed
 * before it removed its directory cannot: the next one of the same kind
 * removes those of processes that are gone. Only those of this PID namespace,
 * where a PID means what it says: a copy in a namespace of its own cannot tell
 * whether another's is alive.
 */
export function createProcessDir(kind: string): { path: string; remove(): void } {
  const runtime = userRuntimeDir();
  const namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  const ours = new RegExp(`^${kind}-${namespace}-(\\d+)-`);
  for (const name of readdirSync(runtime)) {
    const pid = ours.exec(name)?.[1];
    if (pid && !isAlive(Number(pid))) rmSync(join(runtime, name), { recursive: true, force: true });
  }
  const path = mkdtempSync(join(runtime, `${kind}-${namespace}-${process.pid}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
