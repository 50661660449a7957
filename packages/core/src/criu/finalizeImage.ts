/**
 * Run by the native bridge right after a successful `criu dump`, from outside
 * the dumped process (which CRIU has just ended, unless leaveRunning):
 * `node finalizeImage.js <imageDir> <startedAtMs>`.
 */
import { finalizeImage } from './imageMeta.js';

const [dir, startedAt] = process.argv.slice(2);
if (!dir || !startedAt) {
  console.error('usage: finalizeImage.js <imageDir> <startedAtMs>');
  process.exit(2);
}
finalizeImage(dir, Number(startedAt));
