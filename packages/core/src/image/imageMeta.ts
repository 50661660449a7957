import { chmodSync, existsSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** crac.json, written beside CRIU's files (DESIGN.md section 4). */
export interface ImageMeta {
  format: 'node-crac-image';
  formatVersion: 1;
  /** False until the dump finished and the image was sealed (sizes, modes). */
  complete: boolean;
  createdAt: string;
  node: { version: string; execPath: string; binarySize: number; binaryMtimeMs: number };
  criu: { path: string; version: string };
  cpu: { arch: string; model: string; flags: string[] };
  process: { pid: number; argv: string[]; execArgv: string[]; cwd: string };
  /** The pipe the checkpointed process blocks on; the restorer feeds the payload through it. */
  statusPipe: { fd: number; inode: number };
  stdio: StdioDescription[];
  heap: { shrunk: boolean; rssBeforeBytes: number; rssAfterBytes: number };
  /** The resources notified before the dump (beforeCheckpoint), with their hook times. */
  resources: { name: string; durationMs: number }[];
  /** Sum of CRIU's image files, set once complete. */
  imageSizeBytes?: number;
  /** Size of each of CRIU's image files, checked before a restore (CRIU may loop forever on a truncated one). */
  files?: Record<string, number>;
  /** From the start of the engine's work (heap shrink included) to the sealed image. */
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
  const binary = statSync(process.execPath);
  return { version: process.version, execPath: process.execPath, binarySize: binary.size, binaryMtimeMs: binary.mtimeMs };
}

export function writeImageMeta(dir: string, meta: ImageMeta): void {
  // Written aside and renamed, so a reader never sees half a file.
  const temp = join(dir, `.${IMAGE_META_FILE}.${process.pid}`);
  writeFileSync(temp, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, join(dir, IMAGE_META_FILE));
}

/** Reads crac.json; missing, unreadable, corrupt or incomplete metadata is an ImageError. */
export function readImageMeta(dir: string): ImageMeta {
  const file = join(dir, IMAGE_META_FILE);
  if (!existsSync(dir)) throw new ImageError(`No checkpoint image at ${dir}: the directory does not exist`);
  if (!existsSync(file)) {
    throw new ImageError(
      `${dir} is not a complete node-crac image: ${IMAGE_META_FILE} is missing` +
        (existsSync(join(dir, 'dump.log')) ? ` (the checkpoint probably failed: see ${join(dir, 'dump.log')})` : ''),
    );
  }
  let meta: Partial<ImageMeta>;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as Partial<ImageMeta>;
  } catch (error) {
    throw new ImageError(`${file} is corrupt: ${(error as Error).message}`);
  }
  const shapeOk =
    meta !== null && typeof meta === 'object' && meta.format === 'node-crac-image' &&
    typeof meta.node?.execPath === 'string' && typeof meta.statusPipe?.inode === 'number' &&
    Array.isArray(meta.cpu?.flags) && Array.isArray(meta.stdio);
  if (!shapeOk) throw new ImageError(`${file} is corrupt: not node-crac image metadata (format ${meta?.formatVersion ?? '?'})`);
  if (meta.formatVersion !== 1) throw new ImageError(`${file} has format version ${meta.formatVersion}; this node-crac reads version 1`);
  if (!meta.complete) {
    throw new ImageError(`${dir} holds an incomplete image: the checkpoint did not finish (see ${join(dir, 'dump.log')})`);
  }
  return meta as ImageMeta;
}

// V8's JIT emits these instruction-set extensions when the CPU has them.
const ISA_FLAG = /^(sse|ssse|avx|fma|bmi|lzcnt|abm|popcnt|f16c|movbe|aes|pclmul|vpclmul|vaes|gfni|sha|adx|cx16|xsave|amx|rdrand|rdseed|erms|fsrm)/;

/** Throws an ImageError when one of CRIU's files is missing or not the size it had when the image was sealed. */
export function checkImageFiles(dir: string, meta: ImageMeta): void {
  const problems: string[] = [];
  for (const [name, size] of Object.entries(meta.files ?? {})) {
    let actual: number;
    try {
      actual = statSync(join(dir, name)).size;
    } catch {
      problems.push(`${name} is missing`);
      continue;
    }
    if (actual !== size) problems.push(`${name} has ${actual} bytes, ${size} when written`);
  }
  if (problems.length > 0) throw new ImageError(`The image in ${dir} is damaged:\n  - ${problems.join('\n  - ')}`);
}

/** Throws an ImageError when this machine cannot run the image (other node binary, missing CPU features). */
export function checkImageRunsHere(meta: ImageMeta): void {
  const problems: string[] = [];
  const { execPath } = meta.node;
  if (!existsSync(execPath)) {
    problems.push(`the Node binary it was made with (${execPath}, ${meta.node.version}) is not on this machine`);
  } else {
    const binary = statSync(execPath);
    if (binary.size !== meta.node.binarySize || binary.mtimeMs !== meta.node.binaryMtimeMs) {
      problems.push(`the Node binary ${execPath} changed since the checkpoint (which used ${meta.node.version}): checkpoint again with the installed Node`);
    }
  }
  const here = describeCpu();
  if (here.arch !== meta.cpu.arch) problems.push(`the image is for ${meta.cpu.arch}, this machine is ${here.arch}`);
  const available = new Set(here.flags);
  const needed = meta.cpu.arch === 'x64' ? meta.cpu.flags.filter((f) => ISA_FLAG.test(f)) : meta.cpu.flags;
  const missing = needed.filter((f) => !available.has(f));
  if (missing.length > 0) {
    problems.push(`this CPU (${here.model}) lacks features the checkpointed code may use: ${missing.join(' ')} (checkpoint on the oldest CPU you restore on)`);
  }
  if (problems.length > 0) throw new ImageError(`The image cannot be restored on this machine:\n  - ${problems.join('\n  - ')}`);
}

/**
 * Seals a dumped image: the directory 0700 and every file 0600 (it holds all
 * process memory), the size and duration recorded, `complete` set.
 */
export function finalizeImage(dir: string, startedAtMs: number): ImageMeta {
  const meta = JSON.parse(readFileSync(join(dir, IMAGE_META_FILE), 'utf8')) as ImageMeta;
  chmodSync(dir, 0o700);
  let size = 0;
  const files: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    chmodSync(path, 0o600);
    if (!name.endsWith('.img')) continue;
    files[name] = statSync(path).size;
    size += files[name];
  }
  meta.imageSizeBytes = size;
  meta.files = files;
  meta.checkpointDurationMs = Date.now() - startedAtMs;
  meta.complete = true;
  writeImageMeta(dir, meta);
  return meta;
}
