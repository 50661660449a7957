import { dirname, join } from 'node:path';

/** The `crac` command of the node-crac package (packages/core/bin/crac.js), run with `node`. */
export const CRAC_BIN = join(dirname(require.resolve('node-crac/package.json')), 'bin/crac.js');
