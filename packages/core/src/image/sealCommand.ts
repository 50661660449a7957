/**
 * Run by CRIU's post-dump action (sealScript.ts) once the image is written,
 * while the dumped process is still frozen:
 * `node sealCommand.js <imageDir> <startedAtMs>`. Failing fails the dump.
 */
import { sealImage } from './imageDir.js';

const [dir, startedAt] = process.argv.slice(2);
if (!dir || !startedAt) {
  console.error('usage: sealCommand.js <imageDir> <startedAtMs>');
  process.exit(2);
}
sealImage(dir, Number(startedAt));
