import { mkdirSync, mkdtempSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkAncestors } from '../trust/trustedPath.js';
import { explainWriteError } from './imageDir.js';

/** What to do when an image directory's parents could be changed by another user. */
export const IMAGE_DIR_FIX = 'choose an image directory inside directories that only you and root can write to (such as /var/lib/node-crac)';

/**
 * A fresh private directory (mkdtemp, 0700) beside the image directory
 * `target`, in which an image is put together (imported, or checkpointed)
 * before it is renamed to `target`: a reader of `target` never sees half an
 * image, and a failure removes only this directory. Refused when a parent of
 * `target` could be changed by another user.
 */
export function createStagingDir(target: string, purpose: string): string {
  checkAncestors(target, { allowStickyRoot: true }, IMAGE_DIR_FIX);
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    return mkdtempSync(join(dirname(target), `.${basename(target)}.${purpose}-`));
  } catch (error) {
    throw explainWriteError(error, `create a directory beside ${target}`, target);
  }
}
