import { dirname, resolve } from 'node:path';

/**
 * Loads the adapter package `name` (pg-crac, redis-crac) from where the app
 * loads its own packages: next to its main script, then its working
 * directory. `--auto` without the adapter installed is an
 * error the app sees at once, as it loads the library, never a checkpoint
 * refused later for sockets nobody closed.
 */
export function loadAdapterPackage<T>(name: string, library: string): T {
  const main = process.argv[1];
  const paths = [...(main ? [dirname(resolve(main))] : []), process.cwd()];
  let path: string;
  try {
    path = require.resolve(name, { paths });
  } catch {
    throw new Error(
      `node-crac --auto ${library}: ${name} is not installed where the app loads its packages (${paths[0]}): ` +
        `install it (npm install ${name}), or leave ${library} out of --auto`,
    );
  }
  return require(path) as T;
}
