import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, rmSync, statSync, statfsSync } from 'node:fs';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import { fileIdentity } from '../../trust/digestCache.js';
import { userRuntimeDir } from '../../trust/privateTemp.js';
import { currentBootId } from './bootId.js';
import { checkOwnDirectory, checkOwnFile } from '../../trust/trustedPath.js';

/**
 * CRIU's kernel-feature probes (kerndat, ~40 ms of every CRIU start) are kept
 * in /run/criu.kdat only where /run is a tmpfs. Elsewhere the restore helper
 * puts a tmpfs on /run in the restore's own mount namespace (CRIU then runs
 * the helper as its --action-script) and this cache,
 * valid for one boot, kernel and CRIU binary, fills it (native/kdat_cache.c;
 * docs/checkpoint-mechanism.md, "CRIU's kernel probes").
 */
export type KdatCachePlan =
  | {
      use: true;
      /** The cache file of this CRIU binary: the stamp, a newline, then CRIU's criu.kdat. */
      file: string;
      /** Whether `file` holds probes valid for this boot and this CRIU (else the restore makes them). */
      valid: boolean;
      /** For the restore helper, which passes them on to CRIU's action script. */
      env: { CRAC_KDAT_CACHE: string; CRAC_KDAT_STAMP: string };
    }
  | { use: false; reason: string };

/** What makes the probes valid; read from /proc and uname unless a test gives them. */
export interface KdatFacts {
  bootId: string;
  kernelRelease: string;
}

const TMPFS_MAGIC = 0x01021994;
const FORMAT = 'node-crac-kdat 1';

/** CRAC_CRIU_KDAT_CACHE=0 turns the cache off. */
export function planKdatCache(criuPath: string, helperPath: string, usedPaths: string[], facts: KdatFacts = machineFacts()): KdatCachePlan {
  if (process.env.CRAC_CRIU_KDAT_CACHE === '0') return { use: false, reason: 'turned off by CRAC_CRIU_KDAT_CACHE=0' };
  try {
    const run = lstatSync('/run');
    if (!run.isDirectory()) return { use: false, reason: '/run is not a directory' };
    if (statfsSync('/run').type === TMPFS_MAGIC) return { use: false, reason: 'not needed: /run is a tmpfs, where CRIU keeps its own cache' };
  } catch (error) {
    return { use: false, reason: `/run cannot be examined: ${(error as Error).message}` };
  }
  if (/(^|\s|=)\/run(\/|\s|$)/.test(process.env.CRAC_CRIU_RESTORE_ARGS ?? '')) {
    return { use: false, reason: 'CRAC_CRIU_RESTORE_ARGS names a path under /run, which the cache hides while CRIU starts' };
  }
  let dir: string;
  try {
    dir = join(userRuntimeDir(), 'kdat');
    mkdirSync(dir, { mode: 0o700, recursive: true });
    checkOwnDirectory(dir, `remove ${dir} and try again`);
  } catch (error) {
    return { use: false, reason: `no private directory for it: ${(error as Error).message}` };
  }
  for (const path of [criuPath, helperPath, dir, ...usedPaths]) {
    if (underRun(path)) return { use: false, reason: `${path} is under /run, which the cache hides while CRIU starts` };
  }
  const criu = `${criuPath}@${fileIdentity(statSync(criuPath))}`;
  // One file per CRIU binary: restores with two CRIUs on one machine do not replace each other's.
  const file = join(dir, `${createHash('sha256').update(criu).digest('hex').slice(0, 16)}.kdat`);
  let valid = false;
  const stamp = `${FORMAT} boot=${facts.bootId} kernel=${facts.kernelRelease} criu=${criu}`.replace(/\n/g, ' ');
  try {
    checkOwnFile(file, `remove ${file}`);
    valid = readFileSync(file).subarray(0, stamp.length + 1).equals(Buffer.from(`${stamp}\n`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { use: false, reason: (error as Error).message };
  }
  // Only when this restore is about to write its own: the restores that find a valid one pay nothing.
  if (!valid) removeStaleCaches(dir, file, facts);
  return { use: true, file, valid, env: { CRAC_KDAT_CACHE: file, CRAC_KDAT_STAMP: stamp } };
}

/** One line for `crac doctor` and the docs' vocabulary: used or not, and why. */
export function describeKdatCache(plan: KdatCachePlan): string {
  if (!plan.use) return `CRIU's kernel probes are not cached across restores: ${plan.reason}`;
  return plan.valid
    ? `CRIU's kernel probes are cached in ${plan.file} for this boot and this CRIU (each restore saves ~40 ms)`
    : `CRIU's kernel probes will be cached in ${plan.file} by the next restore (none yet for this boot and this CRIU)`;
}

/**
 * Removes the cache files of other boots and of CRIU binaries that are gone or
 * were replaced (an upgrade, a new bundled package): nothing would read them again.
 */
function removeStaleCaches(dir: string, keep: string, facts: KdatFacts): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === keep || !name.endsWith('.kdat')) continue;
    const stamp = firstLine(path);
    const fields = stamp === undefined ? undefined : /^node-crac-kdat \d+ boot=(\S+) kernel=\S+ criu=(.+)@([^@]+)$/.exec(stamp);
    let current = false;
    if (fields && fields[1] === facts.bootId) {
      try {
        current = fileIdentity(statSync(fields[2]!)) === fields[3];
      } catch {
        // that CRIU is gone
      }
    }
    if (!current) rmSync(path, { force: true });
  }
}

function firstLine(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(4096);
    const text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    return text.includes('\n') ? text.slice(0, text.indexOf('\n')) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function machineFacts(): KdatFacts {
  return { bootId: currentBootId(), kernelRelease: release() };
}

function underRun(path: string): boolean {
  let real = resolve(path);
  try {
    real = realpathSync(path);
  } catch {
    // not there yet: its own name decides
  }
  return real === '/run' || real.startsWith('/run/');
}
