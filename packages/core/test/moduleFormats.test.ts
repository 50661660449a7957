import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';

// Consumers load the built package by name, from ESM and from CommonJS.
const packageRoot = resolve(__dirname, '..');
const names = ['checkpointRestore', 'getGlobalContext', 'Context', 'CheckpointError', 'RestoreError', 'cracEvents', 'uptimeSinceRestore'];

t.test('ESM import', async (t) => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as crac from 'node-crac'; console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof crac[n])))`], { cwd: packageRoot, encoding: 'utf8' });
  t.same(JSON.parse(out), ['function', 'function', 'function', 'function', 'function', 'object', 'function']);
});

t.test('CommonJS require', async (t) => {
  const out = execFileSync(process.execPath, ['-e', `const crac = require('node-crac'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof crac[n])))`], { cwd: packageRoot, encoding: 'utf8' });
  t.same(JSON.parse(out), ['function', 'function', 'function', 'function', 'function', 'object', 'function']);
});

t.test('type declarations are shipped', async (t) => {
  const pkg = require(resolve(packageRoot, 'package.json')) as { exports: Record<string, { types?: string }> };
  t.equal(pkg.exports['.']?.types, './dist/index.d.ts');
});
