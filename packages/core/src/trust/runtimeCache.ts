import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userRuntimeDir } from './privateTemp.js';

/**
 * Small JSON caches in the user's private runtime directory (digests of large
 * files, what a CRIU binary answered). A cache that cannot be read or written
 * costs time, never correctness: every entry is keyed by what makes it true.
 */
export function readRuntimeCache(name: string): Record<string, unknown> {
  try {
    const value = JSON.parse(readFileSync(join(userRuntimeDir(), name), 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Replaces the cache `name` at once (a private temp file, then rename), or leaves it as it was. */
export function writeRuntimeCache(name: string, entries: Record<string, unknown>): void {
  let temp: string | undefined;
  try {
    const file = join(userRuntimeDir(), name);
    temp = `${file}.${process.pid}`;
    writeFileSync(temp, JSON.stringify(entries), { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch {
    if (temp) rmSync(temp, { force: true });
  }
}
