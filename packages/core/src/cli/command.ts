/** One `crac` subcommand. */
export interface Command {
  name: string;
  /** Full text for `crac <name> --help`. */
  help: string;
  /** Resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Wrong arguments: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The words after a `--`, and everything before it. */
export function splitAtDashDash(argv: string[]): { options: string[]; command: string[] } {
  const at = argv.indexOf('--');
  return at < 0 ? { options: argv, command: [] } : { options: argv.slice(0, at), command: argv.slice(at + 1) };
}

/** Writes a line for the user on stderr, prefixed so it stands apart from the app's own output. */
export function say(message: string): void {
  process.stderr.write(`crac: ${message}\n`);
}
