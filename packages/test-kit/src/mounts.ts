import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Teardown } from './teardown.js';
import { tempDir } from './tempDir.js';

export interface TmpfsOptions {
  /** tmpfs size, as mount(8) takes it: '8m', '64k'. */
  size: string;
  /** At most this many inodes (files and directories) on it. */
  inodes?: number;
  /** Remounted read-only once mounted. */
  readOnly?: boolean;
  /** Mode of its root directory. Default: 0755. */
  mode?: number;
}

/**
 * A fresh tmpfs mounted on a new directory, for filesystems that are full
 * or read-only on purpose; unmounted (then removed) at the end of the test,
 * whether it passed or not. Needs root.
 */
export function tmpfsDir(t: Teardown, options: TmpfsOptions): string {
  const dir = join(tempDir(t, 'crac-tmpfs-'), 'mnt');
  mkdirSync(dir);
  const settings = [`size=${options.size}`, `mode=${(options.mode ?? 0o755).toString(8)}`, ...(options.inodes === undefined ? [] : [`nr_inodes=${options.inodes}`])];
  execFileSync('mount', ['-t', 'tmpfs', '-o', settings.join(','), 'tmpfs', dir]);
  t.teardown(() => {
    // A process of the test may still hold a file on it for a moment: detach it then (it goes once unused).
    if (spawnSync('umount', [dir]).status !== 0) execFileSync('umount', ['-l', dir]);
  });
  if (options.readOnly) execFileSync('mount', ['-o', 'remount,ro', dir]);
  return dir;
}

/** Fills the filesystem of `dir` with one file of zeros until no block is left (the file stays). */
export function fillFilesystem(dir: string): void {
  spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
}
