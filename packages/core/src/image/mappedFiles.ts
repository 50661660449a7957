import { readFileSync, statSync } from 'node:fs';
import { cachedSha256, sha256OfFile } from '../trust/digestCache.js';

/**
 * A file whose bytes the checkpointed process executes: the Node binary, the
 * dynamic loader, libc and the other shared libraries, native addons (.node).
 * The image holds only the pages the process wrote to; CRIU maps everything
 * else from these files again at restore, so a copy restored over another
 * file's bytes runs code that does not fit its memory (it dies with SIGTRAP
 * or SIGSEGV, or worse, runs). Size and mtime alone do not tell: both can be
 * put back (truncate, utimes). The inode and the ctime cannot be set by a
 * user: writing the file moves its ctime, replacing it (rename, cp over a
 * deleted file) gives another inode or device. Another machine or container
 * has the same files under other identities: there the content's SHA-256
 * decides.
 */
export interface MappedFile {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  /** SHA-256 of the content, compared when the identity differs. */
  sha256?: string;
}

// start-end perms offset dev inode pathname; the pathname may hold spaces.
const MAPS_LINE = /^[0-9a-f]+-[0-9a-f]+\s+(\S+)\s+\S+\s+\S+\s+\d+\s*(.*)$/;
const DELETED = ' (deleted)';

/**
 * The files mapped executable into this process (from /proc/self/maps), each
 * once, with what identifies their content and its digest (cached per identity).
 */
export function describeMappedFiles(maps: string = readFileSync('/proc/self/maps', 'utf8')): MappedFile[] {
  const files: MappedFile[] = [];
  const seen = new Set<string>();
  for (const line of maps.split('\n')) {
    const match = MAPS_LINE.exec(line);
    if (!match || !match[1]!.includes('x')) continue;
    const path = match[2]!;
    // Anonymous memory (no path) and special mappings ([vdso], [vsyscall],
    // anon_inode:..., JIT code) are not files: their content is in the image.
    if (!path.startsWith('/')) continue;
    // A file deleted (or replaced by rename) while mapped is not opened by its
    // path at restore: CRIU dumps such a file's content into the image as a
    // ghost file (or refuses the dump), so there is nothing on disk to compare.
    // memfd and SysV shared memory show up this way too.
    if (path.endsWith(DELETED)) continue;
    if (seen.has(path)) continue;
    seen.add(path);
    // The identity is taken from stat, not from the dev/inode columns of the
    // maps line: on overlayfs (containers) those name the underlying layer's
    // file, while a restore can only stat the path.
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // gone between the maps read and now: it is not what CRIU would reopen
    }
    if (!stat.isFile()) continue; // a device mapped executable: no content of its own to check
    files.push({ path, dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, sha256: cachedSha256(path, stat) });
  }
  return files;
}

/** Why the file at `recorded.path` is no longer the one recorded, or undefined when it is. */
export function mappedFileChange(recorded: MappedFile): string | undefined {
  let now;
  try {
    now = statSync(recorded.path);
  } catch {
    return 'it is missing';
  }
  if (now.size !== recorded.size) return `${now.size} bytes, ${recorded.size} at the checkpoint`;
  const sameIdentity = now.dev === recorded.dev && now.ino === recorded.ino && now.mtimeMs === recorded.mtimeMs && now.ctimeMs === recorded.ctimeMs;
  if (sameIdentity) return undefined;
  // Elsewhere (another host, another container) the identity always differs: the same content is the same code.
  if (recorded.sha256 !== undefined && sha256OfFile(recorded.path) === recorded.sha256) return undefined;
  const reasons: string[] = recorded.sha256 === undefined ? [] : ['its content differs (SHA-256)'];
  if (now.dev !== recorded.dev || now.ino !== recorded.ino) reasons.push('another file is at that path (device or inode differs)');
  if (now.mtimeMs !== recorded.mtimeMs) reasons.push('its modification time differs');
  if (now.ctimeMs !== recorded.ctimeMs) reasons.push('its status-change time (ctime) differs: it was written, or its mode, owner or links changed');
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** "the Node binary", "the native addon" or "the shared library", for messages. */
export function mappedFileKind(path: string, execPath: string): string {
  if (path === execPath) return 'the Node binary';
  if (path.endsWith('.node')) return 'the native addon';
  return 'the shared library';
}
