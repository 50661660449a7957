import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { trustedExecutable, untrustedFileIn } from '../../trust/trustedExecutable.js';

/** The package that ships CRIU for this platform: an optional dependency of node-crac (x64 Linux only, for now). */
export const BUNDLED_CRIU_PACKAGE = `@node-crac/criu-${process.platform}-${process.arch}`;
// node-crac's package directory, from src/engines/criu or dist/engines/criu.
const NODE_CRAC_ROOT = resolve(__dirname, '../../..');

/** What node-crac uses of Yarn's Plug'n'Play API, there when the process runs under PnP. */
export interface PnpApi {
  resolveToUnqualified(request: string, issuer: string): string | null;
}

/**
 * Where the bundled CRIU's launcher is, found from node-crac's own location
 * the way Node finds a dependency (the node_modules folders above it, symlinks
 * resolved), or under Yarn's Plug'n'Play, which has no node_modules, the way
 * its dependency map does; or why there is none. NODE_PATH and the global
 * folders are not searched: what root runs comes from the install, not from
 * the environment.
 */
export function bundledCriuLauncher(from = NODE_CRAC_ROOT, pnp = pnpApi()): { path: string } | { missing: string } {
  for (const pkg of packageDirs(realpathOrSelf(from), pnp)) {
    if (existsSync(join(pkg, 'package.json'))) return { path: join(realpathSync(pkg), 'bin', 'criu') };
  }
  return {
    missing: `${BUNDLED_CRIU_PACKAGE} is not installed (an optional dependency of node-crac, for x64 Linux; ` +
      'reinstall without --omit=optional / --no-optional)',
  };
}

function pnpApi(): PnpApi | undefined {
  return process.versions.pnp === undefined ? undefined : (require('pnpapi') as PnpApi);
}

/**
 * Where the package may be, in order: where PnP's map puts it for node-crac
 * (when it has it: not installed, or not a dependency, throws or gives null),
 * then the node_modules folders from node-crac's folder up.
 */
function* packageDirs(from: string, pnp: PnpApi | undefined): Generator<string> {
  let mapped: string | null = null;
  try {
    mapped = pnp ? pnp.resolveToUnqualified(BUNDLED_CRIU_PACKAGE, `${from}/`) : null;
  } catch {
    // not in the map: the node_modules folders still may hold it
  }
  if (mapped !== null) yield mapped;
  for (let dir = from; ; dir = dirname(dir)) {
    yield join(dir, 'node_modules', BUNDLED_CRIU_PACKAGE);
    if (dirname(dir) === dir) return;
  }
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * What the launcher script (bin/criu) execs: the package's loader with its
 * libraries and binary, and the files that command reads, for a caller that
 * runs it without the script (crac-restore's plan: one exec of sh fewer).
 */
export function bundledCriuCommand(launcher: string): { command: string[]; files: string[] } {
  const root = resolve(dirname(launcher), '..');
  const lib = join(root, 'lib');
  const loader = join(lib, 'ld-linux-x86-64.so.2');
  const binary = join(root, 'sbin', 'criu');
  return { command: [loader, '--library-path', lib, binary], files: [binary, ...readdirSync(lib).sort().map((name) => join(lib, name))] };
}

/**
 * The launcher runs the package's own loader, binary and libraries: each must
 * pass the same trust checks as the launcher, or another user could swap one.
 * Returns the first that fails, or undefined.
 */
export function untrustedBundledFile(launcher: string): { problem: string; fix: string } | undefined {
  const root = resolve(dirname(launcher), '..');
  const lib = join(root, 'lib');
  let libraries: string[];
  try {
    libraries = readdirSync(lib);
  } catch (error) {
    return { problem: `${lib} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, fix: `reinstall ${BUNDLED_CRIU_PACKAGE}` };
  }
  const binary = trustedExecutable(join(root, 'sbin', 'criu'));
  if ('problem' in binary) return binary;
  return untrustedFileIn(lib, libraries);
}
