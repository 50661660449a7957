import { dirname, join } from 'node:path';

/** The `crac` command of the node-crac package (packages/core/bin/crac.js), run with `node`. */
export const CRAC_BIN = join(dirname(require.resolve('node-crac/package.json')), 'bin/crac.js');

/** The `crac-restore` command (packages/core/bin/crac-restore, a shell script), run directly. */
export const CRAC_RESTORE_BIN = join(dirname(require.resolve('node-crac/package.json')), 'bin/crac-restore');
