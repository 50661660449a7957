import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';

// Consumers load the built plugin by name; each form must give the plugin function.
const packageRoot = resolve(__dirname, '..');
const run = (args: string[]): string => execFileSync(process.execPath, args, { cwd: packageRoot, encoding: 'utf8' }).trim();

t.test('require() gives the plugin, also as .default and .fastifyCrac', async (t) => {
  const out = run(['-e', "const p = require('fastify-crac'); console.log(typeof p, p.default === p, p.fastifyCrac === p, p[Symbol.for('fastify.display-name')])"]);
  t.equal(out, 'function true true fastify-crac');
});

t.test('an ES module default import gives the plugin, and Fastify registers it', async (t) => {
  const script = "import fastifyCrac from 'fastify-crac'; import Fastify from 'fastify'; const app = Fastify(); await app.register(fastifyCrac); console.log(typeof app.crac.status); await app.close();";
  t.equal(run(['--input-type=module', '-e', script]), 'string');
});

t.test('an ES module named import gives the plugin, as the types promise', async (t) => {
  const script = "import { fastifyCrac } from 'fastify-crac'; import Fastify from 'fastify'; const app = Fastify(); await app.register(fastifyCrac); console.log(typeof app.crac.status); await app.close();";
  t.equal(run(['--input-type=module', '-e', script]), 'string');
});
