import { execFileSync } from 'node:child_process';
import { accessSync, constants, lstatSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { trustedExecutable } from '../../trust/trustedExecutable.js';
import { currentBootId } from './bootId.js';
import { knownCriu, rememberCriu } from './probeCache.js';
import { criuCheck } from './criuCheck.js';

/** Where a CRIU candidate comes from, in the order they are tried. */
export type CriuSource = 'CRAC_CRIU_PATH' | 'PATH' | 'sbin' | 'provisioned';

/** A CRIU candidate that was passed over, and why. */
export interface SkippedCriu {
  path: string;
  source: CriuSource;
  /** e.g. "the directory /home/u/bin is owned by uid 1001 (u), not by root: that user could swap the binary" */
  problem: string;
  /** How to make it usable, when there is something to do. */
  fix?: string;
}

/** A CRIU binary that node-crac can use, where it was found, and the candidates passed over before it. */
export interface CriuLocation {
  /** The binary with every symlink resolved: what node-crac runs. */
  path: string;
  /** e.g. "4.1.1" */
  version: string;
  source: CriuSource;
  skipped: SkippedCriu[];
}

/** No usable CRIU; `reasons` says what was tried and why each candidate was refused. */
export class CriuNotFoundError extends Error {
  override name = 'CriuNotFoundError';
  constructor(
    readonly reasons: string[],
    readonly skipped: SkippedCriu[] = [],
  ) {
    super(
      ['No usable CRIU >= 4 found:', ...reasons.map((r) => `  - ${r}`),
        'Fix: set CRAC_CRIU_PATH to a CRIU >= 4 binary, install one on PATH, or run scripts/provision-criu.sh in the node-crac workspace.'].join('\n'),
    );
  }
}

const MIN_CRIU_MAJOR = 4;
// Root's PATH sometimes lacks the sbin directories where distributions put criu.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
// node-crac's package directory (packages/core), from src/engines/criu or dist/engines/criu.
const PACKAGE_ROOT = resolve(__dirname, '../../..');
/** What scripts/provision-criu.sh leaves in the node-crac workspace (the monorepo root), and nowhere else. */
export const PROVISIONED_CRIU = join(resolve(PACKAGE_ROOT, '../..'), '.cache', 'criu', 'bin', 'criu');
// Looking costs a `criu check`; the answer holds while CRAC_CRIU_PATH and PATH do.
const cache = new Map<string, CriuLocation>();

/**
 * CRAC_CRIU_PATH if set (an explicit choice: refused with a clear error, never
 * skipped), else a criu >= 4 on PATH or in the sbin directories that passes
 * `criu check`, else the one scripts/provision-criu.sh leaves in the workspace's
 * .cache/criu. Nothing is run, not even `criu --version`, before trustedExecutable()
 * accepts it: only root (or you) can have put it there.
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
  const explicit = process.env.CRAC_CRIU_PATH;
  if (explicit) {
    const trust = trustedExecutable(explicit);
    if ('problem' in trust) {
      const skipped = { path: explicit, source: 'CRAC_CRIU_PATH' as const, ...trust };
      throw new CriuNotFoundError([`CRAC_CRIU_PATH=${explicit}: ${trust.problem}; fix: ${trust.fix}`], [skipped]);
    }
    const probe = probeCriu(trust.real, false);
    if ('problem' in probe) {
      throw new CriuNotFoundError([`CRAC_CRIU_PATH=${explicit}: ${probe.problem}`], [{ path: explicit, source: 'CRAC_CRIU_PATH', problem: probe.problem }]);
    }
    return { path: trust.real, version: probe.version, source: 'CRAC_CRIU_PATH', skipped: [] };
  }

  const skipped: SkippedCriu[] = [];
  const seen = new Set<string>();
  const candidates: { path: string; source: CriuSource }[] = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => ({ path: join(dir, 'criu'), source: 'PATH' as const })),
    ...SBIN_DIRS.map((dir) => ({ path: join(dir, 'criu'), source: 'sbin' as const })),
    { path: PROVISIONED_CRIU, source: 'provisioned' },
  ];
  const tried = new Set<string>();
  for (const { path, source } of candidates) {
    if (tried.has(resolve(path)) || !exists(path)) continue; // a directory twice on PATH, or PATH holding /usr/sbin
    tried.add(resolve(path));
    const trust = trustedExecutable(path);
    if ('problem' in trust) {
      skipped.push({ path, source, ...trust });
      continue;
    }
    if (seen.has(trust.real)) continue; // e.g. /sbin/criu when /sbin -> usr/sbin
    seen.add(trust.real);
    const probe = probeCriu(trust.real, source !== 'provisioned');
    if ('version' in probe) return { path: trust.real, version: probe.version, source, skipped };
    skipped.push({ path, source, problem: probe.problem });
  }
  const reasons = skipped.map(describeSkipped);
  if (!candidates.some((c) => c.source !== 'provisioned' && exists(c.path))) reasons.push(`no criu on PATH or in ${SBIN_DIRS.join(', ')}`);
  if (!exists(PROVISIONED_CRIU)) reasons.push(`no provisioned CRIU at ${PROVISIONED_CRIU} (scripts/provision-criu.sh makes one)`);
  throw new CriuNotFoundError(reasons, skipped);
}

/** One line: "path (source): problem; fix: ...". */
export function describeSkipped(s: SkippedCriu): string {
  return `${s.path} (${s.source}): ${s.problem}${s.fix ? `; fix: ${s.fix}` : ''}`;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
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

/**
 * Whether `path` (already accepted by trustedExecutable) is a CRIU >= 4 (and passes `criu check`, when asked).
 * The answers are remembered per binary identity (probeCache.ts): a binary seen before runs nothing.
 */
function probeCriu(path: string, runCheck: boolean): { version: string } | { problem: string } {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { problem: 'not an executable file' };
  }
  const known = knownCriu(path);
  const version = known?.version ?? criuVersion(path);
  if (!version) return { problem: '`criu --version` failed' };
  if (Number(version.split('.')[0]) < MIN_CRIU_MAJOR) {
    rememberCriu(path, { version });
    return { problem: `version ${version} is too old (>= ${MIN_CRIU_MAJOR}.0 needed)` };
  }
  const boot = currentBootId();
  if (runCheck && known?.checkedBoot !== boot) {
    const { problems } = criuCheck(path);
    rememberCriu(path, problems.length > 0 ? { version } : { version, checkedBoot: boot });
    if (problems.length > 0) return { problem: `\`criu check\` failed: ${problems.join('; ')}` };
  } else {
    rememberCriu(path, known ?? { version });
  }
  return { version };
}
