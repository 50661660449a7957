import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { tempDir } from '@node-crac/test-kit';
import { installAutoIoredis } from '../../src/auto/ioredisClients.js';
import { installAutoPg } from '../../src/auto/pgPools.js';

// How --auto wraps pg pools and ioredis clients, with stand-ins for the
// libraries and the adapters: who is registered when, and that the adapters'
// own gates sit on the libraries' methods. The real pg, ioredis, pg-crac and
// redis-crac, with PostgreSQL, Redis and CRIU: packages/pg-crac/test/e2e/autoAdapters.test.ts.

const FAKE_PG = `
class Pool { constructor(options = {}) { this.calls = []; this.fail = options.fail; } connect(...args) { this.calls.push('pg'); return args.length; } }
module.exports = { Pool };
`;
const FAKE_PG_CRAC = `
exports.createCracPool = (pool) => {
  if (pool.fail) throw new Error('this pool cannot be gated');
  const own = pool.connect.bind(pool);
  pool.connect = (...args) => { pool.calls.push('gate'); return own(...args); };
  Object.defineProperty(pool, 'crac', { value: {}, configurable: true });
  return pool;
};
`;
const FAKE_IOREDIS = `
class Redis { constructor() { this.log = []; this.connect(); } connect() { this.log.push('connect'); } sendCommand(name) { this.log.push('send ' + name); } }
Redis.Cluster = class Cluster { constructor() { this.connect(); } connect() {} };
module.exports = Redis;
`;
const FAKE_REDIS_CRAC = `
exports.cracRedis = (client) => {
  const own = client.sendCommand.bind(client);
  client.sendCommand = (name) => { client.log.push('gate ' + name); return own(name); };
  Object.defineProperty(client, 'crac', { value: {}, configurable: true });
  return client;
};
`;

/** An app folder with `files` in it, its main script and working directory while the test runs, as for an app started from it. */
function appFolder(t: Test, files: Record<string, string>): string {
  const dir = tempDir(t, 'crac-auto-unit-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const [main, cwd] = [process.argv[1], process.cwd()];
  process.argv[1] = join(dir, 'app.js');
  process.chdir(dir);
  t.teardown(() => {
    process.argv[1] = main;
    process.chdir(cwd);
  });
  return dir;
}

t.test('--auto pg: a pool is registered on its first checkout, once, behind pg-crac gate', async (t) => {
  const dir = appFolder(t, { 'node_modules/pg/lib/index.js': FAKE_PG, 'node_modules/pg-crac/index.js': FAKE_PG_CRAC });
  installAutoPg();
  installAutoPg();
  type Pool = { connect(...args: unknown[]): number; calls: string[] };
  const { Pool } = require(join(dir, 'node_modules/pg/lib/index.js')) as { Pool: new (options?: { fail?: boolean }) => Pool };

  const pool = new Pool();
  t.notOk('crac' in pool, 'nothing happens before the first checkout');
  t.equal(pool.connect('a', 'b'), 2, 'the arguments reach pg');
  t.ok('crac' in pool, 'registered');
  pool.connect();
  t.same(pool.calls, ['gate', 'pg', 'gate', 'pg'], 'every checkout goes through the gate, to pg itself');

  const own = new Pool();
  (require(join(dir, 'node_modules/pg-crac/index.js')) as { createCracPool(pool: Pool): void }).createCracPool(own);
  own.connect();
  t.same(own.calls, ['gate', 'pg'], 'a pool the app registered is left to its registration');

  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const failing = new Pool({ fail: true });
  failing.connect();
  await new Promise((r) => setImmediate(r));
  t.same(failing.calls, ['pg'], 'a pool the adapter refuses still works');
  t.match(warnings, [/node-crac --auto pg: this pool is not registered: this pool cannot be gated/]);
});

t.test('--auto ioredis: a client is registered as it first connects, behind redis-crac gate; a Cluster is refused', async (t) => {
  const dir = appFolder(t, { 'node_modules/ioredis/built/index.js': FAKE_IOREDIS, 'node_modules/redis-crac/index.js': FAKE_REDIS_CRAC });
  installAutoIoredis();
  type Client = { sendCommand(name: string): void; log: string[] };
  const Redis = require(join(dir, 'node_modules/ioredis/built/index.js')) as (new () => Client) & { Cluster: new () => unknown };
  const client = new Redis();
  t.ok('crac' in client, 'registered by the connect in its constructor');
  client.sendCommand('GET');
  t.same(client.log, ['connect', 'gate GET', 'send GET']);
  t.throws(() => new Redis.Cluster(), /node-crac --auto ioredis: an ioredis Cluster cannot take part in checkpoints/);
});

t.test('--auto without the adapter next to the app: loading the library fails, saying what to install', async (t) => {
  // In a process of its own, without the test runner's NODE_PATH (through which Node would find the workspace's redis-crac).
  const dir = appFolder(t, {
    'node_modules/ioredis/built/index.js': FAKE_IOREDIS,
    'node_modules/ioredis/package.json': '{ "main": "built/index.js" }',
    'app.js': `require(${JSON.stringify(join(__dirname, '../../dist/auto/ioredisClients.js'))}).installAutoIoredis(); require('ioredis');`,
  });
  const { NODE_PATH: _nodePath, ...env } = process.env;
  const run = spawnSync(process.execPath, [join(dir, 'app.js')], { cwd: dir, env, encoding: 'utf8' });
  t.equal(run.status, 1);
  t.match(run.stderr, `node-crac --auto ioredis: redis-crac is not installed where the app loads its packages (${dir}): install it (npm install redis-crac), or leave ioredis out of --auto`);
});
