import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { trustedExecutable, untrustedFileIn } from '../../trust/trustedExecutable.js';

/** The package that ships CRIU for this platform: an optional dependency of node-crac (x64 Linux only, for now). */
export const BUNDLED_CRIU_PACKAGE = `@node-crac/criu-${process.platform}-${process.arch}`;
// node-crac's package directory, from src/engines/criu or dist/engines/criu.
const NODE_CRAC_ROOT = resolve(__dirname, '../../..');

/**
 * Where the bundled CRIU's launcher is, found from node-crac's own location
 * the way Node finds a dependency (the node_modules folders above it, symlinks
 * resolved), or why there is none. NODE_PATH and the global folders are not
 * searched: what root runs comes from the install, not from the environment.
 */
export function bundledCriuLauncher(from = NODE_CRAC_ROOT): { path: string } | { missing: string } {
  for (let dir = realpathOrSelf(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'node_modules', BUNDLED_CRIU_PACKAGE);
    if (existsSync(join(pkg, 'package.json'))) return { path: join(realpathSync(pkg), 'bin', 'criu') };
    if (dirname(dir) === dir) break;
  }
  return {
    missing: `${BUNDLED_CRIU_PACKAGE} is not installed (an optional dependency of node-crac, for x64 Linux; ` +
      'reinstall without --omit=optional / --no-optional)',
  };
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
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
