#!/usr/bin/env node
'use strict';
// The prepack guard of every published package: refuses to pack what would
// not install. npm pack would ship "workspace:" ranges as they are (only pnpm
// rewrites them to versions), and node-crac needs its prebuilt binaries and
// a built dist/.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.cwd();
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const problems = [];
const byPnpm = (process.env.npm_config_user_agent ?? '').startsWith('pnpm/');
if (!byPnpm) {
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is "${range}", which only pnpm pack rewrites to a version`);
    }
  }
}
for (const file of manifest.files ?? []) {
  if (!/[*!]/.test(file) && !existsSync(join(dir, file))) problems.push(`${file} (listed in "files") is missing`);
}
if (manifest.name === 'node-crac') {
  const prebuilt = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
  for (const file of ['crac_bridge.node', 'crac_restore_helper', 'crac_no_io_uring.so']) {
    if (!existsSync(join(prebuilt, file))) problems.push(`prebuilds/${process.platform}-${process.arch}/${file} is missing: run "pnpm run build:prebuilds" first`);
  }
}
if (manifest.name.startsWith('@node-crac/criu-') && !existsSync(join(dir, 'bin', 'criu'))) {
  problems.push('bin/criu is missing: run "bash scripts/provision-criu.sh" at the repository root first');
}
if (problems.length > 0) {
  process.stderr.write(`${manifest.name}: not packed:\n${problems.map((p) => `  - ${p}`).join('\n')}\nPack with "pnpm pack" from the repository.\n`);
  process.exit(1);
}
