#!/usr/bin/env node
'use strict';
// The `crac` command; the code is in dist/cli (built from src/cli).
enableCompileCache();
require('../dist/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));

/**
 * `crac restore` is on the restore path: its modules load from V8's code cache
 * (Node >= 22.1), kept in the user's private runtime directory, where nobody
 * else can plant one. Not under coverage, whose counts a cache would blur;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
function enableCompileCache() {
  const { enableCompileCache: enable } = require('node:module');
  if (typeof enable !== 'function' || process.env.NODE_V8_COVERAGE) return;
  let runtime;
  try {
    runtime = require('../dist/trust/privateTemp.js').userRuntimeDir();
  } catch {
    return; // an untrusted TMPDIR: the command itself says so
  }
  enable(require('node:path').join(runtime, 'compile-cache'));
}
