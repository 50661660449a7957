import { type Command, UsageError } from './command.js';
import { checkpointCommand } from './checkpoint.js';
import { doctorCommand } from './doctor.js';
import { restoreCommand } from './restore.js';
import { runCommand } from './run.js';

const commands: Command[] = [doctorCommand, runCommand, checkpointCommand, restoreCommand];

const usage = [
  'Usage: crac <command> [options]',
  '',
  'Coordinated Restore at Checkpoint for Node.js: checkpoint a warmed-up app with CRIU, restore it in milliseconds.',
  '',
  'Commands:',
  ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
  '',
  'Run "crac <command> --help" for the options of a command.',
].join('\n');

/** Runs the `crac` command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`crac: unknown command "${name}"\n\n${usage}\n`);
    return 2;
  }
  const beforeDashDash = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (beforeDashDash.includes('--help') || beforeDashDash.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`crac ${name}: ${error.message}\nRun "crac ${name} --help" for usage.\n`);
      return 2;
    }
    process.stderr.write(`crac ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
