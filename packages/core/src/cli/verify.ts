import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readSealedImage } from '../image/imageDir.js';
import { verifyImageContent } from '../image/imageIntegrity.js';
import { type Command, UsageError } from './command.js';

const help = `Usage: crac verify DIR

Checks the checkpoint image in DIR against the manifest written when it was
sealed: the directory and its files owned by you or root and writable by nobody
else, no links or special files, crac.json unchanged (its own digest), every
CRIU file present with its size and SHA-256. Names each file that differs and
exits 1; exits 0 when the image is intact. crac restore --verify runs the same
check before restoring.`;

export const verifyCommand: Command = {
  name: 'verify',
  help,
  async run(argv) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError('give exactly one image directory');
    const imageDir = resolve(positionals[0]!);
    const started = performance.now();
    const { files, bytes } = verifyImageContent(imageDir, readSealedImage(imageDir));
    const ms = (performance.now() - started).toFixed(0);
    process.stdout.write(`${imageDir}: intact (${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MB, SHA-256 checked in ${ms} ms)\n`);
    return 0;
  },
};
