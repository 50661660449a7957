import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * The directories of the CRIU logs that a failed (or --keep-log) `crac
 * restore` or `crac start` saved and named in its output,
 * `$TMPDIR/node-crac-restore-XXXXXX`: the command keeps them for its user, so
 * a test removes them itself.
 */
export function savedRestoreLogDirs(output: string): string[] {
  const base = tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [...new Set([...output.matchAll(new RegExp(`(${base}/node-crac-restore-[A-Za-z0-9]{6})/restore\\.log`, 'g'))].map((m) => m[1]!))];
}

export function removeDirs(dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
