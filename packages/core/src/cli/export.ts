import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { zstdAvailable } from '../image/archiveCodec.js';
import { digestFileOf, exportImage } from '../image/archive.js';
import { type Command, UsageError } from './command.js';

const help = `Usage: crac export DIR -o ARCHIVE

Writes the checkpoint image in DIR to one file that can move to another host
or a registry: ARCHIVE.tar.zst (zstd) or ARCHIVE.tar.gz (gzip), by its name.
The image is checked in full first (as crac verify does): a damaged image is
not exported. Prints the archive's SHA-256 and writes it to ARCHIVE.sha256;
"crac import" and "crac verify" check the archive against it, and each file in
it against the image's manifest. The archive holds all of the process's memory:
ship it like a private key.

Options:
  -o, --output ARCHIVE  the archive to write (replaced if it exists)
  -h, --help            this text`;

export const exportCommand: Command = {
  name: 'export',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one image directory');
    if (!values.output) throw new UsageError(`-o ARCHIVE is required (NAME.tar.zst${zstdAvailable() ? '' : ', which needs zstd,'} or NAME.tar.gz)`);
    const result = await exportImage(resolve(positionals[0]!), resolve(values.output));
    process.stdout.write(
      `${result.archive}: ${result.files} image files and crac.json, ${(result.bytes / 1024 / 1024).toFixed(1)} MB\n` +
        `sha256 ${result.sha256} (written to ${digestFileOf(result.archive)})\n` +
        `Import with: crac import ${result.archive} -o DIR --sha256 ${result.sha256}\n`,
    );
    return 0;
  },
};
