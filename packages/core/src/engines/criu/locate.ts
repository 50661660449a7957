import { execFileSync } from 'node:child_process';
import { accessSync, constants, lstatSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { trustedExecutable } from '../../trust/trustedExecutable.js';
import { currentBootId } from './bootId.js';
import { knownCriu, rememberCriu } from './probeCache.js';
import { criuCheck } from './criuCheck.js';
import { BUNDLED_CRIU_PACKAGE, bundledCriuLauncher, untrustedBundledFile } from './bundled.js';

/** Where a CRIU candidate comes from, in the order they are tried. */
export type CriuSource = 'CRAC_CRIU_PATH' | 'PATH' | 'sbin' | 'bundled';

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
        `Fix: reinstall node-crac so that its optional dependency ${BUNDLED_CRIU_PACKAGE} is installed, install CRIU >= 4 on PATH, or set CRAC_CRIU_PATH to a CRIU >= 4 binary.`].join('\n'),
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
 * skipped), else a criu >= 4 on PATH or in the sbin directories that passes
 * `criu check`, else the one node-crac's optional dependency
 * @node-crac/criu-linux-x64 ships. Nothing is run, not even `criu --version`,
 * before trustedExecutable() accepts it (and, for the bundled one, every file
 * it loads): only root (or you) can have put it there.
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
  ];
  const bundled = bundledCriuLauncher();
  if ('path' in bundled) candidates.push({ path: bundled.path, source: 'bundled' });
  const tried = new Set<string>();
  for (const { path, source } of candidates) {
    if (tried.has(resolve(path)) || !exists(path)) continue; // a directory twice on PATH, or PATH holding /usr/sbin
    tried.add(resolve(path));
    const trust = trustedExecutable(path);
    if ('problem' in trust) {
      skipped.push({ path, source, ...trust });
      continue;
    }
    const untrustedFile = source === 'bundled' ? untrustedBundledFile(trust.real) : undefined;
    if (untrustedFile) {
      skipped.push({ path, source, ...untrustedFile });
      continue;
    }
    if (seen.has(trust.real)) continue; // e.g. /sbin/criu when /sbin -> usr/sbin
    seen.add(trust.real);
    const probe = probeCriu(trust.real, source !== 'bundled');
    if ('version' in probe) return { path: trust.real, version: probe.version, source, skipped };
    skipped.push({ path, source, problem: probe.problem });
  }
  const reasons = skipped.map(describeSkipped);
  if (!candidates.some((c) => c.source !== 'bundled' && exists(c.path))) reasons.push(`no criu on PATH or in ${SBIN_DIRS.join(', ')}`);
  if ('missing' in bundled) reasons.push(bundled.missing);
  else if (!exists(bundled.path)) reasons.push(`${BUNDLED_CRIU_PACKAGE} holds no CRIU (${bundled.path} is missing): in the node-crac repository, bash scripts/provision-criu.sh assembles it`);
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
