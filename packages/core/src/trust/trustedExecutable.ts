import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { describeOwner } from './trustedPath.js';

/**
 * Whether root may run `path`: every directory walked through to reach it (those
 * holding a symlink included), and the file it finally is, are owned by root or
 * the running user and are not group- or world-writable (the sticky bit does not
 * help: anyone can still create a file there). Returns the path with symlinks
 * resolved, which is what must be run, or what is wrong and how to fix it.
 */
export function trustedExecutable(path: string): { real: string } | { problem: string; fix: string } {
  return trustedPath(path, 'file');
}

/**
 * Whether root may run every file in the directory `dir` (as trustedExecutable
 * checks each): the directory's path is walked once, then each entry is looked
 * at in it, which nobody else can change once the directory passed; an entry
 * that is a symlink is followed as trustedExecutable does. Returns the first
 * problem, or undefined.
 */
export function untrustedFileIn(dir: string, names: string[]): { problem: string; fix: string } | undefined {
  const trust = trustedPath(dir, 'directory');
  if ('problem' in trust) return trust;
  const uid = currentUid();
  for (const name of names) {
    const path = join(trust.real, name);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (error) {
      return { problem: `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, fix: 'reinstall the package that holds it' };
    }
    const problem = st.isSymbolicLink()
      ? ((found) => ('problem' in found ? found : undefined))(trustedExecutable(path))
      : st.isFile()
        ? ownerProblem(path, st, uid, false)
        : { problem: `${path} is not a regular file`, fix: 'reinstall the package that holds it' };
    if (problem) return problem;
  }
  return undefined;
}

function currentUid(): number {
  return process.geteuid?.() ?? process.getuid?.() ?? 0;
}

function trustedPath(path: string, expect: 'file' | 'directory'): { real: string } | { problem: string; fix: string } {
  const uid = currentUid();
  let pending = resolve(path).split(sep).filter(Boolean);
  let dir = '/';
  let hops = 0;
  const rootProblem = ownerProblem('/', lstatSync('/'), uid, true);
  if (rootProblem) return rootProblem;
  while (pending.length > 0) {
    const next = join(dir, pending[0]!);
    pending = pending.slice(1);
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (error) {
      return { problem: `${next} does not exist (${(error as NodeJS.ErrnoException).code ?? 'error'})`, fix: 'point to an existing CRIU binary' };
    }
    if (st.isSymbolicLink()) {
      // The link lives in `dir`, already accepted, so nobody else can re-point it.
      if (++hops > 40) return { problem: `${path}: too many symlinks`, fix: 'point to the CRIU binary itself' };
      const target = readlinkSync(next);
      pending = [...(isAbsolute(target) ? resolve(target) : resolve(dir, target)).split(sep).filter(Boolean), ...pending];
      dir = '/';
      continue;
    }
    const last = pending.length === 0;
    const wantsDirectory = !last || expect === 'directory';
    if (wantsDirectory && !st.isDirectory()) return { problem: `${next} is not a directory`, fix: 'point to an existing CRIU binary' };
    if (!wantsDirectory && !st.isFile()) return { problem: `${next} is not a regular file`, fix: 'point to the CRIU binary itself' };
    const problem = ownerProblem(next, st, uid, wantsDirectory);
    if (problem) return problem;
    if (last) return { real: next };
    dir = next;
  }
  return { problem: `${path} is a directory`, fix: 'point to the CRIU binary itself' };
}

function ownerProblem(path: string, st: Stats, uid: number, isDir: boolean): { problem: string; fix: string } | undefined {
  const what = isDir ? 'directory' : 'binary';
  const sticky = isDir && (st.mode & 0o1000) !== 0;
  if (st.uid !== 0 && st.uid !== uid) {
    return {
      problem: `the ${what} ${path} is owned by ${describeOwner(st.uid)}, not by root${uid === 0 ? '' : ` or you (uid ${uid})`}: that user could ${isDir ? 'swap the binary' : 'rewrite it'}`,
      fix: isDir ? `chown root ${path}, or put CRIU in a directory owned by root` : `chown root ${path}, or use a CRIU installed by root`,
    };
  }
  const writable = st.mode & 0o022;
  if (writable) {
    const who = writable === 0o022 ? 'group- and world-writable' : writable & 0o002 ? 'world-writable' : 'group-writable';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    return {
      problem: `the ${what} ${path} is ${who} (mode ${mode})${sticky ? '; the sticky bit does not help: others can still add a file there' : ''}`,
      fix: !isDir
        ? `chmod go-w ${path}`
        : `put CRIU in a directory only root can write (e.g. /usr/local/sbin)${sticky ? '' : `, or chmod go-w ${path} if nobody else needs to write there`}`,
    };
  }
  return undefined;
}
