import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_META_FILE, ImageError, type ImageMeta } from './imageMeta.js';
import { SEAL_SCRIPT } from './sealScript.js';

/**
 * The life of an image directory, in order: prepared, described (crac.json
 * with `complete: false`), dumped into by CRIU, then sealed, or discarded and
 * marked failed. Every reader asks readImageState() whether it is sealed.
 */

/** Left by a triggered checkpoint that failed, for the launcher waiting on the directory. */
export const CHECKPOINT_FAILED_FILE = 'checkpoint-failed.json';

/** Creates the directory (0700: an image holds all process memory) and forgets any earlier image's record. */
export function prepareImageDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  rmSync(join(dir, IMAGE_META_FILE), { force: true });
  rmSync(join(dir, CHECKPOINT_FAILED_FILE), { force: true });
}

export function writeImageMeta(dir: string, meta: ImageMeta): void {
  // Written aside and renamed, so a reader never sees half a file.
  const temp = join(dir, `.${IMAGE_META_FILE}.${process.pid}`);
  writeFileSync(temp, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, join(dir, IMAGE_META_FILE));
}

/**
 * Seals a dumped image: the directory 0700 and every file 0600, the size of
 * each of CRIU's files and the duration recorded, `complete` set.
 */
export function sealImage(dir: string, startedAtMs: number): ImageMeta {
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

/** After a failed dump: no record may describe what CRIU left behind. */
export function discardUnsealed(dir: string): void {
  rmSync(join(dir, IMAGE_META_FILE), { force: true });
  rmSync(join(dir, SEAL_SCRIPT), { force: true });
}

export function markCheckpointFailed(dir: string, message: string): void {
  writeFileSync(join(dir, CHECKPOINT_FAILED_FILE), JSON.stringify({ message }), { mode: 0o600 });
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
  if (meta.formatVersion !== 1) return { state: 'corrupt', reason: `${file} has format version ${meta.formatVersion}; this node-crac reads version 1` };
  if (!meta.complete) {
    return { state: 'unsealed', reason: `${dir} holds an incomplete image: the checkpoint did not finish (see ${join(dir, 'dump.log')})` };
  }
  return { state: 'sealed', meta: meta as ImageMeta };
}

/** The sealed image's record; anything else is an ImageError that says why. */
export function readSealedImage(dir: string): ImageMeta {
  const image = readImageState(dir);
  if (image.state !== 'sealed') throw new ImageError(image.reason);
  return image.meta;
}
