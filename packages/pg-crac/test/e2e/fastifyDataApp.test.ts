import t from 'tap';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { criuUsable, freePort } from '@node-crac/test-kit';
import { TEST_DATABASE_URL, withClient } from '../fixtures/database.js';

// A Fastify app using pg-crac and redis-crac is checkpointed with real CRIU
// (`crac checkpoint`) while both connections are warm, the data changes, and
// the restored copy (`crac restore`, with a new REDIS_URL) serves the new data.

const ROOT = resolve(__dirname, '../../../..');
const CRAC = join(ROOT, 'packages/core/bin/crac.js');
const APP = join(__dirname, 'fixtures/dataApp.js');
const REDIS_AT_CHECKPOINT = 'redis://127.0.0.1:6379/0';
const REDIS_AT_RESTORE = 'redis://127.0.0.1:6379/3';

/** GETs `url` until it answers, the process ends, or the deadline (a bound on waiting, not a measurement) passes. */
async function firstAnswer(url: string, restorer: ChildProcess, deadlineMs: number): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline && restorer.exitCode === null && restorer.signalCode === null) {
    try {
      const response = await fetch(url);
      return { status: response.status, body: await response.json() };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`no answer from ${url} (restorer ${restorer.exitCode === null && restorer.signalCode === null ? 'still running' : 'ended'})`);
}

t.test('a Fastify app with pg-crac and redis-crac serves live data from PostgreSQL and Redis after a CRIU restore', async (t) => {
  if (!criuUsable(t)) return;
  const run = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const table = `pg_crac_e2e_${run}`;
  const key = `redis-crac:e2e:${run}`;
  const redis0 = new Redis(REDIS_AT_CHECKPOINT);
  const redis3 = new Redis(REDIS_AT_RESTORE);
  t.teardown(async () => {
    await redis0.del(key);
    await redis3.del(key);
    redis0.disconnect();
    redis3.disconnect();
  });
  await withClient((client) => client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`));
  t.teardown(() => withClient((client) => client.query(`DROP TABLE IF EXISTS ${table}`)));
  await withClient((client) => client.query(`INSERT INTO ${table} VALUES (1, 'before the checkpoint')`));
  await redis0.set(key, 'db 0, before the checkpoint');

  const imageDir = mkdtempSync(join(tmpdir(), 'pg-crac-e2e-'));
  t.teardown(() => rmSync(imageDir, { recursive: true, force: true }));
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), E2E_TABLE: table, E2E_KEY: key, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: REDIS_AT_CHECKPOINT };

  // The ready URL reads both stores, so the pool and the client hold open connections at the checkpoint.
  const checkpoint = spawnSync(
    process.execPath,
    [CRAC, 'checkpoint', '--image', imageDir, '--ready-url', `http://127.0.0.1:${port}/data`, '--', process.execPath, APP],
    { env, encoding: 'utf8', timeout: 180_000 },
  );
  t.equal(checkpoint.status, 0, 'crac checkpoint succeeds', { stdout: checkpoint.stdout, stderr: checkpoint.stderr });
  t.match(checkpoint.stdout, /pg-crac pool/, 'the pool took part');
  t.match(checkpoint.stdout, /redis-crac/, 'the Redis client took part');
  if (checkpoint.status !== 0) return;

  await withClient((client) => client.query(`UPDATE ${table} SET note = 'after the checkpoint' WHERE id = 1`));
  await redis3.set(key, 'db 3, after the checkpoint');

  // The restored app writes to its restorer's stdout and stderr, which CRIU re-attaches only
  // when they are pipes or files (Node's stdio 'pipe' gives socketpairs): a file opened for append.
  const outputDir = mkdtempSync(join(tmpdir(), 'pg-crac-e2e-output-'));
  t.teardown(() => rmSync(outputDir, { recursive: true, force: true }));
  const outputFile = join(outputDir, 'restore.log');
  const outputFd = openSync(outputFile, 'a', 0o600);
  const restorer = spawn(process.execPath, [CRAC, 'restore', imageDir, '--env', `REDIS_URL=${REDIS_AT_RESTORE}`], { env, stdio: ['ignore', outputFd, outputFd] });
  closeSync(outputFd);
  const output = (): string => readFileSync(outputFile, 'utf8');
  const exited = new Promise<number | null>((r) => restorer.on('exit', (code) => r(code)));
  t.teardown(async () => {
    if (restorer.exitCode === null && restorer.signalCode === null) {
      process.kill(restorer.pid!, 'SIGTERM');
      await exited;
    }
  });

  const answer = await firstAnswer(`http://127.0.0.1:${port}/data`, restorer, 60_000).catch((error: Error) => {
    t.fail(`${error.message}\n${output()}`);
    return undefined;
  });
  t.same(answer, { status: 200, body: { note: 'after the checkpoint', cached: 'db 3, after the checkpoint' } }, 'live rows and keys, Redis from the restore-time REDIS_URL');

  process.kill(restorer.pid!, 'SIGTERM');
  t.equal(await exited, 128 + 15, 'the restored app ends with the signal it was sent, and the restorer mirrors it');
  t.ok(existsSync(join(imageDir, 'crac.json')), 'the image was written');
});
