import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { expectedDigest, noDigestNote, verifyArchive } from '../image/archive.js';
import { readSealedImage } from '../image/imageDir.js';
import { verifyImageContent } from '../image/imageIntegrity.js';
import { type Command, say, UsageError } from './command.js';

const help = `Usage: crac verify DIR
       crac verify ARCHIVE [--sha256 HEX]

Checks the checkpoint image in DIR against the manifest written when it was
sealed: the directory and its files owned by you or root and writable by nobody
else, no links or special files, crac.json unchanged (its own digest), every
CRIU file present with its size and SHA-256. Names each file that differs and
exits 1; exits 0 when the image is intact. crac restore --verify runs the same
check before restoring.

Given an archive from "crac export", checks it without extracting it: its
SHA-256 against --sha256 (else the ARCHIVE.sha256 file beside it), and every
file in it against the image's manifest.`;

export const verifyCommand: Command = {
  name: 'verify',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { sha256: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one image directory or archive');
    const target = resolve(positionals[0]!);
    const started = performance.now();
    const isArchive = statSync(target, { throwIfNoEntry: false })?.isFile() ?? false;
    if (!isArchive && values.sha256 !== undefined) throw new UsageError('--sha256 goes with an archive, not an image directory');
    if (isArchive) {
      const expected = expectedDigest(target, values.sha256);
      if (!expected) say(noDigestNote(target));
      const check = await verifyArchive(target, expected);
      const ms = (performance.now() - started).toFixed(0);
      process.stdout.write(
        `${target}: intact (${check.files} files, ${(check.bytes / 1024 / 1024).toFixed(1)} MB, SHA-256 checked in ${ms} ms` +
          `${expected ? `; archive sha256 ${check.sha256} matches ${expected.from}` : ''})\n`,
      );
      return 0;
    }
    const { files, bytes } = verifyImageContent(target, readSealedImage(target));
    const ms = (performance.now() - started).toFixed(0);
    process.stdout.write(`${target}: intact (${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MB, SHA-256 checked in ${ms} ms)\n`);
    return 0;
  },
};
