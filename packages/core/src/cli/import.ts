import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { expectedDigest, noDigestNote, importArchive } from '../image/archive.js';
import { type Command, say, UsageError } from './command.js';

const help = `Usage: crac import ARCHIVE -o DIR [--sha256 HEX]

Extracts an image archive written by "crac export" into DIR, which must not
exist or be empty (it is created 0700, its files 0600). The archive is checked
against its SHA-256 (--sha256, else the ARCHIVE.sha256 file beside it), and every
file in it against the image's manifest; only plain files are taken (no paths,
links, devices or directories). Anything wrong is named and nothing is left.

Options:
  -o, --output DIR  the image directory to create
  --sha256 HEX      the archive's digest, from a channel you trust (such as the
                    pipeline that exported it): a digest file beside the archive
                    can be replaced along with it
  -h, --help        this text`;

export const importCommand: Command = {
  name: 'import',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o' }, sha256: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one archive');
    if (!values.output) throw new UsageError('-o DIR is required');
    const archive = resolve(positionals[0]!);
    const outDir = resolve(values.output);
    const expected = expectedDigest(archive, values.sha256);
    if (!expected) say(noDigestNote(archive));
    const result = await importArchive(archive, outDir, expected);
    process.stdout.write(
      `${outDir}: imported ${result.files} files, ${(result.bytes / 1024 / 1024).toFixed(1)} MB, every file's SHA-256 checked` +
        `${expected ? `; archive sha256 ${result.sha256} matches ${expected.from}` : ''}\nRestore with: crac restore ${outDir}\n`,
    );
    return 0;
  },
};
