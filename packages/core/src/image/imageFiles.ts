import { lstatSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_META_FILE } from './imageMeta.js';

/** What CRIU (and node-crac) write into an image directory, besides dump.log. */
export function isImageFile(name: string): boolean {
  return name.endsWith('.img') || name.startsWith('stats-') || name === 'irmap-cache' || name === IMAGE_META_FILE || /^\.(crac\.json|checkpoint-failed\.json)\.\d+$/.test(name);
}

/**
 * Removes an earlier image from `dir` just before CRIU writes a new one: CRIU
 * names its files by PID and numbers its page files by process, so the files
 * of an earlier (or bigger) image would stay beside the new one and be sealed
 * into its manifest. Only entries of `dir` itself are removed, only regular
 * files, and only those with CRIU's or node-crac's names or listed in the
 * earlier crac.json's manifest. The caller has checked that `dir` is trusted
 * (only its owner or root can change it, no links or special files in it).
 */
export function clearPreviousImage(dir: string): void {
  const listed = manifestNames(dir);
  for (const name of readdirSync(dir)) {
    if (!isImageFile(name) && !listed.has(name)) continue;
    const path = join(dir, name);
    if (lstatSync(path).isFile()) unlinkSync(path);
  }
}

/** The file names the manifest of the crac.json in `dir` lists; none when there is no readable one. */
function manifestNames(dir: string): Set<string> {
  try {
    const files = (JSON.parse(readFileSync(join(dir, IMAGE_META_FILE), 'utf8')) as { files?: unknown }).files;
    return new Set(files !== null && typeof files === 'object' ? Object.keys(files) : []);
  } catch {
    return new Set();
  }
}
