/**
 * Run by CRIU's post-dump action (sealScript.ts) once the image is written,
 * while the dumped process is still frozen:
 * `node sealImage.js <imageDir> <startedAtMs>`. Failing fails the dump.
 */
import { finalizeImage } from './imageMeta.js';

const [dir, startedAt] = process.argv.slice(2);
if (!dir || !startedAt) {
  console.error('usage: sealImage.js <imageDir> <startedAtMs>');
  process.exit(2);
}
finalizeImage(dir, Number(startedAt));
