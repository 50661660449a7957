import { UsageError } from './command.js';

/**
 * What is wrong with the command line, when `error` says so: a UsageError, or
 * one of util.parseArgs' errors (unknown option, missing value, stray
 * argument), reworded without its advice about `--`, which misleads here.
 * Undefined for any other error.
 */
export function usageProblem(error: unknown): string | undefined {
  if (error instanceof UsageError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  const message = (error as Error).message;
  const option = /^Unknown option '([^']+)'/.exec(message)?.[1];
  if (option !== undefined) return `unknown option ${option}`;
  const missing = /^Option '(-\S+)(?:, -\S+)?[^']*' argument missing/.exec(message)?.[1];
  if (missing !== undefined) return `${missing} needs a value`;
  const positional = /^Unexpected argument '([^']+)'/.exec(message)?.[1];
  if (positional !== undefined) return `unexpected argument "${positional}" (the app's command goes after --)`;
  return message.split('. ')[0] ?? message;
}
