import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkAncestors } from '../trust/trustedPath.js';
import { clearPreviousImage, isImageFile } from './imageFiles.js';
import { checkImageDirTrusted, manifestDigest, sealFile } from './imageIntegrity.js';
import { IMAGE_META_FILE, ImageError, type ImageMeta } from './imageMeta.js';

/**
 * The life of an image directory, in order: prepared, described (crac.json
 * with `complete: false`), dumped into by CRIU, then sealed, or discarded and
 * marked failed. Every reader asks readImageState() whether it is sealed.
 */

/** Left by a triggered checkpoint that failed, for the launcher waiting on the directory. */
export const CHECKPOINT_FAILED_FILE = 'checkpoint-failed.json';

/**
 * Creates the directory (0700: an image holds all process memory) and drops a
 * stale failure mark; an earlier image in it is left as it is (a checkpoint
 * refused before its dump keeps it restorable). A directory that another user
 * could change is refused before anything is written into it: root would
 * otherwise write, chmod and run what that user placed there.
 */
export function createImageDir(dir: string): void {
  checkAncestors(dir, { allowStickyRoot: true }, 'choose an image directory inside directories that only you and root can write to (such as /var/lib/node-crac)');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw explainWriteError(error, `create the image directory ${dir}`, dir);
  }
  checkImageDirTrusted(dir);
  try {
    chmodSync(dir, 0o700);
    rmSync(join(dir, CHECKPOINT_FAILED_FILE), { force: true });
  } catch (error) {
    throw explainWriteError(error, `prepare the image directory ${dir}`, dir);
  }
}

/** Just before the dump: createImageDir(), then the earlier image's files removed (clearPreviousImage()). */
export function prepareImageDir(dir: string): void {
  createImageDir(dir);
  try {
    clearPreviousImage(dir);
  } catch (error) {
    throw explainWriteError(error, `clear the earlier image from ${dir}`, dir);
  }
}

/**
 * An error of writing into (or creating) `path`, as an ImageError that names
 * the cause and the fix; mkdir -p reports a read-only parent as ENOENT or
 * EROFS, a full filesystem gives JSON cut short or nothing at all.
 */
export function explainWriteError(error: unknown, what: string, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = (error as Error).message;
  let cause: string | undefined;
  if (code === 'EROFS' || ((code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') && onReadOnlyFs(path))) {
    cause = `${nearestExisting(path)} is on a read-only filesystem: choose an image directory on a writable filesystem`;
  } else if (code === 'ENOSPC' || code === 'EDQUOT') {
    cause = `the filesystem of ${nearestExisting(path)} is full: free space there or choose another image directory`;
  } else if (code === 'EACCES' || code === 'EPERM') {
    cause = `permission denied (running as uid ${process.getuid?.() ?? '?'}): checkpoint as root, or into a directory you may write to`;
  }
  if (!cause) return error as Error;
  return new ImageError(`Could not ${what}: ${cause} (${detail})`, { cause: error });
}

function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

// ST_RDONLY in statfs(2)'s f_flags is not exposed by Node: try the kernel's mount table.
function onReadOnlyFs(path: string): boolean {
  const at = nearestExisting(path);
  try {
    let best: { point: string; ro: boolean } | undefined;
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const fields = line.split(' ');
      const point = fields[4]?.replace(/\\040/g, ' ');
      if (!point || !(at === point || at.startsWith(point === '/' ? '/' : `${point}/`))) continue;
      if (!best || point.length >= best.point.length) best = { point, ro: (fields[5] ?? '').split(',').includes('ro') };
    }
    return best?.ro ?? false;
  } catch {
    return false;
  }
}

/** Free bytes for unprivileged users on the filesystem of `path`, or undefined. */
export function freeBytes(path: string): number | undefined {
  try {
    const stats = statfsSync(nearestExisting(path));
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Writes `name` whole or not at all: aside with O_EXCL (never through a planted link), then renamed. */
function writeAtomically(dir: string, name: string, text: string): void {
  const temp = join(dir, `.${name}.${process.pid}`);
  rmSync(temp, { force: true });
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      // writeSync may write less than asked (a full filesystem): loop, and flush so ENOSPC shows here.
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, name));
  } catch (error) {
    rmSync(temp, { force: true });
    throw explainWriteError(error, `write ${join(dir, name)}`, dir);
  }
}

export function writeImageMeta(dir: string, meta: ImageMeta): void {
  writeAtomically(dir, IMAGE_META_FILE, `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * Seals a dumped image: the directory 0700 and every file 0600, the manifest
 * (size and SHA-256 of each of CRIU's files) and the duration recorded,
 * `complete` set and the whole record covered by its digest.
 */
export function sealImage(dir: string, startedAtMs: number): ImageMeta {
  checkImageDirTrusted(dir);
  const text = readFileSync(join(dir, IMAGE_META_FILE), 'utf8');
  let meta: ImageMeta;
  try {
    meta = JSON.parse(text) as ImageMeta;
  } catch (error) {
    const free = freeBytes(dir);
    throw new ImageError(
      `${join(dir, IMAGE_META_FILE)} is cut short (${text.length} bytes)` +
        (free !== undefined && free < 1024 * 1024 ? `: the filesystem of ${dir} is full (${free} bytes free); free space there or choose another image directory` : `: ${(error as Error).message}`),
    );
  }
  chmodSync(dir, 0o700);
  let size = 0;
  const files: NonNullable<ImageMeta['files']> = {};
  for (const name of readdirSync(dir).sort()) {
    const entry = sealFile(join(dir, name));
    if (!name.endsWith('.img')) continue;
    files[name] = entry;
    size += entry.size;
  }
  meta.imageSizeBytes = size;
  meta.files = files;
  meta.checkpointDurationMs = Date.now() - startedAtMs;
  meta.complete = true;
  meta.manifestDigest = manifestDigest(meta);
  writeImageMeta(dir, meta);
  return meta;
}

/**
 * After a failed dump: no partial image is left, neither the record nor
 * CRIU's files (a full filesystem leaves many MB of them). dump.log stays:
 * the error names it.
 */
export function discardUnsealed(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (isImageFile(name)) rmSync(join(dir, name), { force: true });
}

const NO_REASON =
  'the checkpoint failed, and its reason could not be written into the image directory (is its filesystem full?): see the app\'s messages above';

/** Leaves the failure of a triggered checkpoint for its launcher; if even that cannot be written, an empty mark. */
export function markCheckpointFailed(dir: string, message: string): void {
  try {
    writeAtomically(dir, CHECKPOINT_FAILED_FILE, JSON.stringify({ message }));
  } catch (error) {
    // A full filesystem still has inodes: an empty file tells the launcher that it failed.
    try {
      closeSync(openSync(join(dir, CHECKPOINT_FAILED_FILE), 'w', 0o600));
    } catch {
      throw error;
    }
  }
}

/** The message of a triggered checkpoint that failed, if one was marked; the mark is taken (removed). */
export function readCheckpointFailure(dir: string): string | undefined {
  const file = join(dir, CHECKPOINT_FAILED_FILE);
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return NO_REASON;
  }
  rmSync(file, { force: true });
  try {
    const { message } = JSON.parse(text) as { message?: unknown };
    return typeof message === 'string' ? message : NO_REASON;
  } catch {
    return NO_REASON;
  }
}

export type ImageState =
  | { state: 'sealed'; meta: ImageMeta }
  /** Why the directory holds no image to restore, with what to do. */
  | { state: 'absent' | 'unsealed' | 'corrupt'; reason: string };

/** Whether `dir` holds a sealed image; the one reader of crac.json. */
export function readImageState(dir: string): ImageState {
  const file = join(dir, IMAGE_META_FILE);
  if (!existsSync(dir)) return { state: 'absent', reason: `No checkpoint image at ${dir}: the directory does not exist` };
  if (!existsSync(file)) {
    return {
      state: 'absent',
      reason:
        `${dir} is not a complete node-crac image: ${IMAGE_META_FILE} is missing` +
        (existsSync(join(dir, 'dump.log')) ? ` (the checkpoint probably failed: see ${join(dir, 'dump.log')})` : ''),
    };
  }
  let meta: Partial<ImageMeta>;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as Partial<ImageMeta>;
  } catch (error) {
    return { state: 'corrupt', reason: `${file} is corrupt: ${(error as Error).message}` };
  }
  const shapeOk =
    meta !== null && typeof meta === 'object' && meta.format === 'node-crac-image' &&
    typeof meta.node?.execPath === 'string' && typeof meta.statusPipe?.inode === 'number' &&
    Array.isArray(meta.cpu?.flags) && Array.isArray(meta.stdio);
  if (!shapeOk) return { state: 'corrupt', reason: `${file} is corrupt: not node-crac image metadata (format ${meta?.formatVersion ?? '?'})` };
  if (meta.formatVersion !== 2) {
    return { state: 'corrupt', reason: `${file} has format version ${meta.formatVersion}; this node-crac reads version 2: checkpoint again with this version` };
  }
  if (!meta.complete) {
    return { state: 'unsealed', reason: `${dir} holds an incomplete image: the checkpoint did not finish (see ${join(dir, 'dump.log')})` };
  }
  if (!meta.files || typeof meta.files !== 'object' || Object.keys(meta.files).length === 0) {
    // Without sizes a truncated CRIU file goes unnoticed, and CRIU may loop forever on it.
    return { state: 'corrupt', reason: `${file} has no manifest (the size and digest of each CRIU file): the image cannot be checked, so it is refused; checkpoint again with this version` };
  }
  if (meta.manifestDigest !== manifestDigest(meta as ImageMeta)) {
    return { state: 'corrupt', reason: `${file} was changed after the image was sealed (its digest does not match): checkpoint again` };
  }
  return { state: 'sealed', meta: meta as ImageMeta };
}

/** The sealed image's record; anything else is an ImageError that says why. */
export function readSealedImage(dir: string): ImageMeta {
  if (existsSync(dir)) checkImageDirTrusted(dir);
  const image = readImageState(dir);
  if (image.state !== 'sealed') throw new ImageError(image.reason);
  return image.meta;
}
