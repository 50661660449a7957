import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256OfFd } from '../trust/digestCache.js';
import { checkAncestors, checkOwnDirectory, checkOwnFile } from '../trust/trustedPath.js';
import { ImageError, type ImageMeta } from './imageMeta.js';

/**
 * What makes an image trustworthy: a directory only its owner (or root) can
 * change, and a manifest in crac.json with the size and SHA-256 of every one
 * of CRIU's files, itself covered by a digest. The cheap checks (trust,
 * manifest digest, sizes, no stray files) run before every restore; the
 * digests of the files' content on `crac verify` and `crac restore --verify`.
 */

/** One of CRIU's files, as the manifest records it when the image is sealed. */
export interface ManifestEntry {
  size: number;
  sha256: string;
}

const DIR_FIX = 'keep images in a directory that you own, inside directories that only you and root can write to (such as /var/lib/node-crac)';
const FILE_FIX = 'the image may have been tampered with: checkpoint again into a directory only you can write to';

/** Refuses an image directory that anyone but its owner (us) or root could change, or that holds links or special files. */
export function checkImageDirTrusted(dir: string): void {
  checkAncestors(dir, { allowStickyRoot: true }, DIR_FIX);
  checkOwnDirectory(dir, DIR_FIX);
  for (const name of readdirSync(dir)) checkOwnFile(join(dir, name), FILE_FIX);
}

/** The digest that covers the whole manifest, manifestDigest itself excluded. */
export function manifestDigest(meta: ImageMeta): string {
  const { manifestDigest: _ignored, ...rest } = meta;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * Reads one of CRIU's files without following a link, makes it 0600 (it
 * holds process memory) and returns its manifest entry.
 */
export function sealFile(path: string): ManifestEntry {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new ImageError(`${path} is not a regular file: refusing to seal it into an image`);
    fchmodSync(fd, 0o600);
    return { size: fstatSync(fd).size, sha256: sha256OfFd(fd) };
  } finally {
    closeSync(fd);
  }
}

/** Cheap checks: every file of the manifest is there with its size, and no other image file is. */
export function checkImageFiles(dir: string, meta: ImageMeta): void {
  const problems: string[] = [];
  const files = meta.files ?? {};
  for (const [name, entry] of Object.entries(files)) {
    let size: number;
    try {
      size = lstatSync(join(dir, name)).size;
    } catch {
      problems.push(`${name} is missing`);
      continue;
    }
    if (size !== entry.size) problems.push(`${name} has ${size} bytes, ${entry.size} when written`);
  }
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.img') && !(name in files)) problems.push(`${name} is not part of the image as it was sealed`);
  }
  if (problems.length > 0) throw new ImageError(`The image in ${dir} is damaged:\n  - ${problems.join('\n  - ')}`);
}

/** Full check: the content of every file against its digest; names each file that differs. */
export function verifyImageContent(dir: string, meta: ImageMeta): { files: number; bytes: number } {
  checkImageFiles(dir, meta);
  const changed: string[] = [];
  let bytes = 0;
  for (const [name, entry] of Object.entries(meta.files ?? {})) {
    const fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (sha256OfFd(fd) !== entry.sha256) changed.push(`${name} differs from the image as it was sealed (SHA-256 mismatch)`);
    } finally {
      closeSync(fd);
    }
    bytes += entry.size;
  }
  if (changed.length > 0) throw new ImageError(`The image in ${dir} was modified after the checkpoint:\n  - ${changed.join('\n  - ')}`);
  return { files: Object.keys(meta.files ?? {}).length, bytes };
}
