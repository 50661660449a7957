import { lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { dirname, parse } from 'node:path';
import { userInfo } from 'node:os';

/**
 * node-crac runs as root and executes, restores or writes through paths that
 * come from the user: a path counts as trusted only when nobody but the
 * running user and root can change what it points to. These checks say, for
 * each refusal, which path, who owns it, and what to do.
 */

/** A path that another user could change; the message names it, its owner and the fix. */
export class UntrustedPathError extends Error {
  override name = 'UntrustedPathError';
  constructor(
    readonly path: string,
    readonly problem: string,
    fix: string,
  ) {
    super(`${path} (${describeEntry(path)}) ${problem}: ${fix}`);
  }
}

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;
const S_ISVTX = 0o1000;

function myUid(): number {
  return process.getuid?.() ?? userInfo().uid;
}

/** "root", or "uid 1001 (alice)" when /etc/passwd names it. */
export function describeOwner(uid: number): string {
  if (uid === 0) return 'root';
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid));
    const name = line?.split(':')[0];
    return name ? `uid ${uid} (${name})` : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

/** "owner uid 1001, mode 0755", what a refusal shows of the path. */
function describeEntry(path: string): string {
  try {
    const stat = lstatSync(path);
    return `owner ${describeOwner(stat.uid)}, mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}`;
  } catch {
    return 'gone';
  }
}

function ownedByUs(stat: Stats): boolean {
  return stat.uid === 0 || stat.uid === myUid();
}

/** Why another user could change `stat`'s entry, or undefined when only we and root can. */
function writableByOthers(stat: Stats): string | undefined {
  if (!ownedByUs(stat)) return `is owned by ${describeOwner(stat.uid)}`;
  if (stat.mode & S_IWOTH) return 'is writable by every user';
  if (stat.mode & S_IWGRP && stat.gid !== 0) return `is writable by group ${stat.gid}`;
  return undefined;
}

export interface AncestorRules {
  /**
   * Accept a root-owned sticky directory (such as /tmp) as an ancestor: there
   * other users cannot rename or replace entries they do not own.
   */
  allowStickyRoot: boolean;
}

/** Refuses when a directory on the real path to `path` (not `path` itself) could be changed by another user. */
export function checkAncestors(path: string, rules: AncestorRules, fix: string): void {
  const real = realpathOfNearestExisting(dirname(path));
  const { root } = parse(real);
  for (let dir = real; ; dir = dirname(dir)) {
    const stat = lstatSync(dir);
    const problem = writableByOthers(stat);
    const stickyRoot = stat.uid === 0 && (stat.mode & S_ISVTX) !== 0;
    if (problem && !(rules.allowStickyRoot && stickyRoot)) throw new UntrustedPathError(dir, problem, fix);
    if (dir === root) return;
  }
}

/** The real path of `path`, or of its nearest ancestor that exists: directories created below it are created by us. */
function realpathOfNearestExisting(path: string): string {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      return realpathSync(dir);
    } catch {
      if (dirname(dir) === dir) throw new UntrustedPathError(path, 'has no existing ancestor', 'give an absolute path');
    }
  }
}

/** Refuses a directory that is a symlink, not a directory, not ours, or writable by others. */
export function checkOwnDirectory(dir: string, fix: string): Stats {
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) throw new UntrustedPathError(dir, 'is a symbolic link', fix);
  if (!stat.isDirectory()) throw new UntrustedPathError(dir, 'is not a directory', fix);
  if (stat.uid !== myUid()) throw new UntrustedPathError(dir, `is owned by ${describeOwner(stat.uid)}, not by the user running node-crac (${describeOwner(myUid())})`, fix);
  const problem = writableByOthers(stat);
  if (problem) throw new UntrustedPathError(dir, problem, fix);
  return stat;
}

/** Refuses a file that is a symlink or special file, owned by someone else, or writable by others. */
export function checkOwnFile(path: string, fix: string): Stats {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw new UntrustedPathError(path, 'is a symbolic link', fix);
  if (!stat.isFile()) throw new UntrustedPathError(path, 'is not a regular file', fix);
  const problem = writableByOthers(stat);
  if (problem) throw new UntrustedPathError(path, problem, fix);
  return stat;
}
