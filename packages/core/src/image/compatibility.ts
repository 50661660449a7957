import { realpathSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { sha256OfFile } from '../trust/digestCache.js';
import { ImageError, type ImageMeta } from './imageMeta.js';
import { mappedFileChange, type MappedFile } from './mappedFiles.js';

/**
 * What an image depends on beyond its binaries and CPU (imageChecks.ts), and
 * whether this host still has it. The app's code is in the image's heap: an
 * image taken before the app's files changed would serve the old code, so a
 * changed app file refuses it. The kernel and CRIU version are told when they
 * differ: CRIU restores across them as long as the features it used are there.
 */

export function describeHost(): NonNullable<ImageMeta['host']> {
  return { kernel: release() };
}

/**
 * The app's code files loaded in this process: the main script and every
 * CommonJS module (node_modules included; native addons are among the mapped
 * files already). Modules loaded as ES modules other than the main script are
 * not listed: Node keeps no public record of them.
 */
export function describeApp(): NonNullable<ImageMeta['app']> {
  const paths = new Set<string>();
  const main = process.argv[1];
  if (main) {
    try {
      paths.add(realpathSync(main));
    } catch {
      // `node -e` or a main script gone since: nothing to record
    }
  }
  for (const path of Object.keys(require.cache)) if (path.startsWith('/') && !path.endsWith('.node')) paths.add(path);
  const files: MappedFile[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue; // removed since it was loaded: nothing on disk to compare with
    }
    if (!stat.isFile()) continue;
    files.push({ path, dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, sha256: sha256OfFile(path) });
  }
  return { files };
}

/** Each of the app's files that is not as it was at the checkpoint, and how. */
export function appChanges(meta: ImageMeta): string[] {
  const changes: string[] = [];
  for (const file of meta.app?.files ?? []) {
    const change = mappedFileChange(file);
    if (change !== undefined) changes.push(`the app file ${file.path} changed since the checkpoint (${change})`);
  }
  return changes;
}

/** Throws an ImageError naming every app file that changed since the checkpoint. */
export function checkAppUnchanged(meta: ImageMeta): void {
  const changes = appChanges(meta);
  if (changes.length > 0) {
    throw new ImageError(`The image holds an older version of the app:\n  - ${changes.join('\n  - ')}\nCheckpoint again with the app as it is now`);
  }
}

/** What differs on this host and may matter if the restore fails: the kernel, the CRIU version. */
export function hostDifferences(meta: ImageMeta, criuVersion: string): string[] {
  const notes: string[] = [];
  const kernel = release();
  if (meta.host && meta.host.kernel !== kernel) notes.push(`the image was taken on kernel ${meta.host.kernel}, this is ${kernel}`);
  if (meta.criu.version !== criuVersion && meta.criu.version !== 'unknown') notes.push(`the image was taken with CRIU ${meta.criu.version}, this is CRIU ${criuVersion}`);
  return notes;
}
