import { readFileSync, readlinkSync } from 'node:fs';
import { describeMappedFiles, type MappedFile } from './mappedFiles.js';

export const IMAGE_META_FILE = 'crac.json';

/** What a standard stream of the checkpointed process was (readlink /proc/self/fd/N). */
export interface StdioDescription {
  fd: number;
  kind: 'pipe' | 'file' | 'tty' | 'null' | 'socket' | 'other' | 'closed';
  /** The readlink text, e.g. "pipe:[1234]" or "/var/log/app.log". */
  target: string;
  /** Inode of a pipe or socket; a restorer re-attaches pipes with `--inherit-fd fd[N]:pipe:[inode]`. */
  inode?: number;
}

/** crac.json, written beside CRIU's files: what the restorer needs to know and check (docs/image-format.md). */
export interface ImageMeta {
  format: 'node-crac-image';
  formatVersion: 2;
  /** False until the dump finished and the image was sealed (sizes, modes). */
  complete: boolean;
  createdAt: string;
  node: {
    version: string;
    execPath: string;
    /**
     * Every file mapped executable into the process (the Node binary, the loader,
     * libc and other shared libraries, native addons), with its device, inode,
     * size, mtime, ctime and SHA-256; checked before a restore.
     */
    mappedFiles: MappedFile[];
  };
  criu: { path: string; version: string };
  /** The kernel it was taken on (image/compatibility.ts); absent in images of earlier versions. */
  host?: { kernel: string };
  /** The app's own code files that were loaded (the main script, required modules), with their identity and digest. */
  app?: { files: MappedFile[] };
  cpu: { arch: string; model: string; flags: string[] };
  process: { pid: number; argv: string[]; execArgv: string[]; cwd: string };
  /** The app's effective capabilities (CapEff, hex): its restorer needs every one of them. */
  capabilities?: { effective: string };
  /** The pipe the checkpointed process blocks on; the restorer feeds the payload through it. */
  statusPipe: { fd: number; inode: number };
  stdio: StdioDescription[];
  heap: { shrunk: boolean; rssBeforeBytes: number; rssAfterBytes: number };
  /** The resources notified before the dump (beforeCheckpoint), with their hook times. */
  resources: { name: string; durationMs: number }[];
  /** Sum of CRIU's image files, set once complete. */
  imageSizeBytes?: number;
  /** The manifest: size and SHA-256 of each of CRIU's files, set when sealed (CRIU may loop forever on a truncated one). */
  files?: Record<string, { size: number; sha256: string }>;
  /** SHA-256 of this record without this field, set when sealed: an edited crac.json is refused. */
  manifestDigest?: string;
  /** From the engine's start (after the heap shrink) to the sealed image. */
  checkpointDurationMs?: number;
}

/** The image cannot be restored here; the message says why and what to do. */
export class ImageError extends Error {
  override name = 'ImageError';
}

export function describeStdio(): StdioDescription[] {
  return [0, 1, 2].map((fd) => {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return { fd, kind: 'closed', target: '' };
    }
    const inode = /^(?:pipe|socket):\[(\d+)\]$/.exec(target)?.[1];
    if (target.startsWith('pipe:')) return { fd, kind: 'pipe', target, inode: Number(inode) };
    if (target.startsWith('socket:')) return { fd, kind: 'socket', target, inode: Number(inode) };
    if (target === '/dev/null') return { fd, kind: 'null', target };
    if (/^\/dev\/(pts\/|tty)/.test(target)) return { fd, kind: 'tty', target };
    if (target.startsWith('/')) return { fd, kind: 'file', target };
    return { fd, kind: 'other', target };
  });
}

export function describeCpu(): ImageMeta['cpu'] {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  // x86 says "flags", arm64 says "Features"; the first processor stands for all.
  const flags = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1]?.trim().split(/\s+/) ?? [];
  const model = /^(?:model name|CPU part)\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
  return { arch: process.arch, model, flags };
}

export function describeNode(): ImageMeta['node'] {
  return { version: process.version, execPath: process.execPath, mappedFiles: describeMappedFiles() };
}
