#!/usr/bin/env node
'use strict';
// The `crac` command; the code is in dist/cli (built from src/cli).
require('../dist/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
