import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What `ls -la` shows of a directory and of each entry in it (name, type and
 * mode, size, mtime), one line each, sorted: two listings are equal when
 * nothing in the directory was created, removed, written or chmod-ed.
 */
export function dirListing(dir: string): string[] {
  const line = (name: string, path: string): string => {
    const stat = lstatSync(path);
    return `${name} ${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs}`;
  };
  return [line('.', dir), ...readdirSync(dir).sort().map((name) => line(name, join(dir, name)))];
}

/**
 * The entries of a $TMPDIR that a command left behind, but for the user's
 * runtime directory (node-crac-UID), whose caches are meant to outlive it.
 */
export function tmpdirLeftovers(dir: string): string[] {
  const runtimeDir = `node-crac-${process.getuid?.() ?? 0}`;
  return readdirSync(dir).filter((name) => name !== runtimeDir).sort();
}
