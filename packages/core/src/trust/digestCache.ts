import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { readRuntimeCache, writeRuntimeCache } from './runtimeCache.js';

const DIGESTS = 'digests.json';

/**
 * One read buffer for every digest. The checkpoint hashes each of the app's
 * files after the heap shrink, just before the dump: a fresh buffer per file
 * (a Fastify app loads ~1000) left that much garbage, resident until the next
 * GC, in the image (realistic example, Node 24: 244 MB instead of ~65 MB).
 */
let readBuffer: Buffer | undefined;

/** SHA-256 of a file's content, read through the descriptor given. */
export function sha256OfFd(fd: number): string {
  const hash = createHash('sha256');
  const buffer = (readBuffer ??= Buffer.allocUnsafe(1 << 18));
  for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  return hash.digest('hex');
}

/** SHA-256 of the file at `path` (links followed, as the loader follows them). */
export function sha256OfFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    return sha256OfFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** A file's identity: a user can put back size and mtime, never the inode or ctime. */
export const fileIdentity = (stat: Stats): string => `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;

/**
 * Digests of large files (the Node binary is ~100 MB, ~150 ms to hash) are
 * kept per file identity in the user's private runtime directory, so only
 * the first checkpoint after a file changes pays for hashing it.
 */
export function cachedSha256(path: string, stat: Stats): string {
  const key = `${path}\0${fileIdentity(stat)}`;
  const cache = readRuntimeCache(DIGESTS);
  const cached = cache[key];
  if (typeof cached === 'string') return cached;
  const fd = openSync(path, constants.O_RDONLY);
  let digest: string;
  try {
    if (fileIdentity(fstatSync(fd)) !== fileIdentity(stat)) throw new Error(`${path} changed while it was being described`);
    digest = sha256OfFd(fd);
  } finally {
    closeSync(fd);
  }
  writeRuntimeCache(DIGESTS, { ...cache, [key]: digest });
  return digest;
}
