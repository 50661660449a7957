import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

/** A CRIU binary that node-crac can use, and where it was found. */
export interface CriuLocation {
  path: string;
  /** e.g. "4.1.1" */
  version: string;
  source: 'CRAC_CRIU_PATH' | 'PATH' | 'workspace cache';
}

/** No usable CRIU; `reasons` says what was tried and why each candidate was refused. */
export class CriuNotFoundError extends Error {
  override name = 'CriuNotFoundError';
  constructor(readonly reasons: string[]) {
    super(
      ['No usable CRIU >= 4 found:', ...reasons.map((r) => `  - ${r}`),
        'Fix: set CRAC_CRIU_PATH to a CRIU >= 4 binary, install one on PATH, or run scripts/provision-criu.sh in the node-crac workspace.'].join('\n'),
    );
  }
}

const MIN_CRIU_MAJOR = 4;
// Root's PATH sometimes lacks the sbin directories where distributions put criu.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
// Looking costs a `criu check`; the answer holds while CRAC_CRIU_PATH and PATH do.
const cache = new Map<string, CriuLocation>();

/**
 * CRAC_CRIU_PATH if set (an explicit choice: refused with a clear error, never
 * skipped), else a criu >= 4 on PATH that passes `criu check`, else the one that
 * scripts/provision-criu.sh leaves in the workspace's .cache/criu.
 */
export function locateCriu(): CriuLocation {
  const key = `${process.env.CRAC_CRIU_PATH ?? ''}\0${process.env.PATH ?? ''}`;
  let found = cache.get(key);
  if (!found) {
    found = findCriu();
    cache.set(key, found);
  }
  return found;
}

function findCriu(): CriuLocation {
  const reasons: string[] = [];
  const explicit = process.env.CRAC_CRIU_PATH;
  if (explicit) {
    const probe = probeCriu(explicit, false);
    if ('problem' in probe) throw new CriuNotFoundError([`CRAC_CRIU_PATH=${explicit}: ${probe.problem}`]);
    return { path: explicit, version: probe.version, source: 'CRAC_CRIU_PATH' };
  }
  const onPath = findOnPath('criu');
  if (onPath) {
    const probe = probeCriu(onPath, true);
    if ('version' in probe) return { path: onPath, version: probe.version, source: 'PATH' };
    reasons.push(`${onPath} (on PATH): ${probe.problem}`);
  } else {
    reasons.push('no criu on PATH');
  }
  const provisioned = findWorkspaceCriu();
  if (provisioned) {
    const probe = probeCriu(provisioned, false);
    if ('version' in probe) return { path: provisioned, version: probe.version, source: 'workspace cache' };
    reasons.push(`${provisioned} (workspace cache): ${probe.problem}`);
  } else {
    reasons.push('no .cache/criu/bin/criu in any directory above node-crac (scripts/provision-criu.sh makes one)');
  }
  throw new CriuNotFoundError(reasons);
}

/** "4.1.1" from `criu --version`, or undefined when it cannot be run. */
function criuVersion(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /Version:\s*(\d+(?:\.\d+)*)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** Runs `criu check`; returns undefined when it passes, else its complaint. */
export function criuCheck(path: string): string | undefined {
  try {
    execFileSync(path, ['check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return undefined;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    const text = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim();
    return text.split('\n').filter((l) => /error|fail|unsupported|not/i.test(l)).slice(0, 5).join('; ') || text || e.message;
  }
}

/** Whether `path` is a CRIU >= 4 (and passes `criu check`, when asked). */
function probeCriu(path: string, runCheck: boolean): { version: string } | { problem: string } {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { problem: 'not an executable file' };
  }
  const version = criuVersion(path);
  if (!version) return { problem: '`criu --version` failed' };
  if (Number(version.split('.')[0]) < MIN_CRIU_MAJOR) return { problem: `version ${version} is too old (>= ${MIN_CRIU_MAJOR}.0 needed)` };
  if (runCheck) {
    const complaint = criuCheck(path);
    if (complaint) return { problem: `\`criu check\` failed: ${complaint}` };
  }
  return { version };
}

function findOnPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** .cache/criu/bin/criu in node-crac's package directory or any directory above it (the workspace root). */
function findWorkspaceCriu(): string | undefined {
  for (let dir = resolve(__dirname, '../../..'); ; dir = dirname(dir)) {
    const candidate = join(dir, '.cache', 'criu', 'bin', 'criu');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}
