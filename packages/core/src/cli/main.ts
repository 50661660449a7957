import type { Command } from './command.js';
import { usageProblem } from './usageProblem.js';

// Each command is loaded only when run: `crac restore` is on the restore path,
// and checkpoint/run would pull in the whole checkpoint machinery.
const commands: { name: string; summary: string; load(): Command }[] = [
  {
    name: 'doctor',
    summary: 'check whether checkpoints can work here, and how to fix what is missing',
    load: () => (require('./doctor.js') as typeof import('./doctor.js')).doctorCommand,
  },
  {
    name: 'run',
    summary: 'start an app ready to be checkpointed later (trigger enabled, io_uring blocked)',
    load: () => (require('./run.js') as typeof import('./run.js')).runCommand,
  },
  {
    name: 'checkpoint',
    summary: 'start an app (or take a running one), warm it up and write a checkpoint image',
    load: () => (require('./checkpoint.js') as typeof import('./checkpoint.js')).checkpointCommand,
  },
  {
    name: 'restore',
    summary: 'restore a checkpoint image in the foreground (signals forwarded, exit code mirrored)',
    load: () => (require('./restore.js') as typeof import('./restore.js')).restoreCommand,
  },
  {
    name: 'start',
    summary: 'restore an image when it can run here, else start the app cold and say why (for containers)',
    load: () => (require('./start.js') as typeof import('./start.js')).startCommand,
  },
  {
    name: 'verify',
    summary: 'check an image against its manifest (ownership, modes, sizes, SHA-256 of every file)',
    load: () => (require('./verify.js') as typeof import('./verify.js')).verifyCommand,
  },
  {
    name: 'export',
    summary: 'write an image to one archive (.tar.zst or .tar.gz) with its SHA-256, to move it to another host',
    load: () => (require('./export.js') as typeof import('./export.js')).exportCommand,
  },
  {
    name: 'import',
    summary: 'extract an archive from crac export into a new image directory, checking every digest',
    load: () => (require('./import.js') as typeof import('./import.js')).importCommand,
  },
];

const usage = [
  'Usage: crac <command> [options]',
  '',
  'Coordinated Restore at Checkpoint for Node.js: checkpoint a warmed-up app with CRIU, restore it in milliseconds.',
  '',
  'Commands:',
  ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
  '',
  'Run "crac <command> --help" for the options of a command; "crac --version" prints the version.',
].join('\n');

/** The exit code of a command line that is wrong (unknown command or option, bad value). */
export const EXIT_USAGE = 2;

/** Runs the `crac` command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`${usage}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`${(require('../../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`crac: unknown command "${name}"\nRun "crac --help" for the commands.\n`);
    return EXIT_USAGE;
  }
  const command = entry.load();
  const beforeDashDash = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (beforeDashDash.includes('--help') || beforeDashDash.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const problem = usageProblem(error);
    if (problem !== undefined) {
      process.stderr.write(`crac ${name}: ${problem}\nRun "crac ${name} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`crac ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
