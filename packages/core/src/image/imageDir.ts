import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkAncestors } from '../trust/trustedPath.js';
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
 * Creates the directory (0700: an image holds all process memory) and forgets
 * any earlier image's record. A directory that another user could change is
 * refused before anything is written into it: root would otherwise write,
 * chmod and run what that user placed there.
 */
export function prepareImageDir(dir: string): void {
  checkAncestors(dir, { allowStickyRoot: true }, 'choose an image directory inside directories that only you and root can write to (such as /var/lib/node-crac)');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkImageDirTrusted(dir);
  chmodSync(dir, 0o700);
  rmSync(join(dir, IMAGE_META_FILE), { force: true });
  rmSync(join(dir, CHECKPOINT_FAILED_FILE), { force: true });
}

/** Writes `name` whole or not at all: aside with O_EXCL (never through a planted link), then renamed. */
function writeAtomically(dir: string, name: string, text: string): void {
  const temp = join(dir, `.${name}.${process.pid}`);
  rmSync(temp, { force: true });
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, join(dir, name));
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
  const meta = JSON.parse(readFileSync(join(dir, IMAGE_META_FILE), 'utf8')) as ImageMeta;
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

/** After a failed dump: no record may describe what CRIU left behind. */
export function discardUnsealed(dir: string): void {
  rmSync(join(dir, IMAGE_META_FILE), { force: true });
}

export function markCheckpointFailed(dir: string, message: string): void {
  writeAtomically(dir, CHECKPOINT_FAILED_FILE, JSON.stringify({ message }));
}

/** The message of a triggered checkpoint that failed, if one was marked. */
export function readCheckpointFailure(dir: string): string | undefined {
  const file = join(dir, CHECKPOINT_FAILED_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const { message } = JSON.parse(readFileSync(file, 'utf8')) as { message?: unknown };
    return typeof message === 'string' ? message : 'the checkpoint failed (no reason recorded)';
  } catch {
    return 'the checkpoint failed (no reason recorded)';
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
