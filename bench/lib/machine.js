'use strict';
// The machine and software versions a report was measured with.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const os = require('node:os');
const { dirname, join } = require('node:path');

function osName() {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))[1];
  } catch {
    return os.type();
  }
}

/** The version of `name` as `fromDir` resolves it (walking up from its entry: not every package exports package.json). */
function packageVersion(fromDir, name) {
  try {
    let dir = dirname(require.resolve(name, { paths: [fromDir] }));
    for (;;) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (manifest.name === name) return manifest.version;
      } catch {
        // no package.json at this level
      }
      if (dirname(dir) === dir) return 'n/a';
      dir = dirname(dir);
    }
  } catch {
    return 'n/a';
  }
}

function describeMachine({ node, examplesDir, criuVersion }) {
  const cpus = os.cpus();
  const realistic = join(examplesDir, 'realistic');
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} (${cpus.length} cores)`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${osName()}, Linux ${os.release()}`,
    node: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
    criu: criuVersion ?? 'unknown',
    libraries: ['fastify', 'pg', 'ioredis', 'kysely']
      .map((name) => `${name} ${packageVersion(realistic, name)}`)
      .concat([`express ${packageVersion(join(examplesDir, 'express'), 'express')}`, `koa ${packageVersion(join(examplesDir, 'koa'), 'koa')}`])
      .join(', '),
  };
}

module.exports = { describeMachine };
