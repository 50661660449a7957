import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkAncestors, checkOwnFile } from '../trust/trustedPath.js';
import { UsageError } from './command.js';

const FIX = 'keep secrets in a file that only you (or root) own and can write, such as one of mode 0600';

/**
 * Reads `K=V` lines for `crac restore --env-file`: the values reach the
 * restored app through the payload pipe, never through a command line. The
 * file is trusted like an image: ours or root's, and writable by nobody else.
 */
export function readEnvFile(path: string): Record<string, string> {
  checkAncestors(path, { allowStickyRoot: true }, FIX);
  checkOwnFile(path, FIX);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  let text: string;
  try {
    if (!fstatSync(fd).isFile()) throw new UsageError(`--env-file ${path}: not a regular file`);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new UsageError(`--env-file ${path}, line ${index + 1}: expected NAME=VALUE`);
    env[match[1]!] = unquote(match[2]!);
  });
  return env;
}

/** 'a b' and "a b" stand for a b, as in a shell or a .env file. */
function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) return value.slice(1, -1);
  return value;
}

/**
 * The environment `--env-file FILE`, `--env K=V` and `--env K` (K's value in
 * this command's own environment) give a restored or started app; later ones win.
 */
export function collectEnv(files: string[], pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of files) Object.assign(env, readEnvFile(resolve(file)));
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === 0) throw new UsageError(`--env wants K=V or K, got "${pair}"`);
    if (eq > 0) {
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
      continue;
    }
    const value = process.env[pair];
    if (value === undefined) throw new UsageError(`--env ${pair}: ${pair} is not set in this command's environment (set it, or pass --env ${pair}=VALUE)`);
    env[pair] = value;
  }
  return env;
}
