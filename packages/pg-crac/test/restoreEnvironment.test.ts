import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine, RestoreError, ResourceError } from 'node-crac';
import type { Pool } from 'pg';
import { duringCheckpoint } from './fixtures/duringCheckpoint.js';
import { ConnectionVerificationError, createCracPool, HeldQueryDiscardedError } from '../src/index.js';
import { restoreEnvAtTeardown, setEnv } from '@node-crac/test-kit';
import { POSTGRES_DATABASE_URL, TEST_DATABASE_URL, endPoolAtTeardown } from './fixtures/database.js';

async function currentDatabase(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ db: string }>('SELECT current_database() AS db');
  return rows[0]!.db;
}

t.test('a DATABASE_URL given at the restore moves the pool; a query held at the checkpoint is discarded there, new ones reach the new database', async (t) => {
  setEnv(t, { DATABASE_URL: undefined });
  const context = new Context();
  let held: Promise<string> | undefined;
  duringCheckpoint(context, () => {
    held = currentDatabase(pool);
    held.catch(() => {}); // rejects inside the restore; looked at below
  });
  const pool = createCracPool({ connectionString: POSTGRES_DATABASE_URL }, { context });
  endPoolAtTeardown(t, pool);
  t.equal(await currentDatabase(pool), 'postgres');

  await checkpointRestore({ engine: createSimulateEngine({ env: { DATABASE_URL: TEST_DATABASE_URL } }), context });
  await t.rejects(held!, HeldQueryDiscardedError, 'held work never runs in a restored copy');
  t.equal(await currentDatabase(pool), 'test');
});

t.test('settings given in code stay when the restore does not change DATABASE_URL', async (t) => {
  setEnv(t, { DATABASE_URL: TEST_DATABASE_URL });
  const context = new Context();
  const pool = createCracPool({ connectionString: POSTGRES_DATABASE_URL }, { context });
  endPoolAtTeardown(t, pool);
  await checkpointRestore({ engine: createSimulateEngine({ env: { DATABASE_URL: TEST_DATABASE_URL } }), context });
  t.equal(await currentDatabase(pool), 'postgres');
});

t.test('PG* variables given at the restore are honoured for settings the config leaves out', async (t) => {
  setEnv(t, { PGDATABASE: undefined, DATABASE_URL: undefined });
  const context = new Context();
  const pool = createCracPool({ host: '127.0.0.1', user: 'postgres' }, { context });
  endPoolAtTeardown(t, pool);
  t.equal(await currentDatabase(pool), 'postgres');
  await checkpointRestore({ engine: createSimulateEngine({ env: { PGDATABASE: 'test' } }), context });
  t.equal(await currentDatabase(pool), 'test');
});

t.test('configFromEnv reads settings of its own', async (t) => {
  restoreEnvAtTeardown(t, ['APP_DB']);
  const context = new Context();
  const pool = createCracPool(
    { host: '127.0.0.1', user: 'postgres', database: 'postgres' },
    { context, configFromEnv: (env) => (env.APP_DB ? { database: env.APP_DB } : undefined) },
  );
  endPoolAtTeardown(t, pool);
  await checkpointRestore({ engine: createSimulateEngine({ env: { APP_DB: 'test' } }), context });
  t.equal(await currentDatabase(pool), 'test');
});

t.test('configFromEnv: false keeps the pool as configured', async (t) => {
  restoreEnvAtTeardown(t, ['DATABASE_URL']);
  const context = new Context();
  const pool = createCracPool({ connectionString: POSTGRES_DATABASE_URL }, { context, configFromEnv: false });
  endPoolAtTeardown(t, pool);
  await checkpointRestore({ engine: createSimulateEngine({ env: { DATABASE_URL: TEST_DATABASE_URL } }), context });
  t.equal(await currentDatabase(pool), 'postgres');
});

t.test('verifyOnRestore reports an unreachable database as a RestoreError naming the pool', async (t) => {
  setEnv(t, { DATABASE_URL: undefined });
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL }, { context, verifyOnRestore: true, name: 'main db' });
  endPoolAtTeardown(t, pool);
  await checkpointRestore({ engine: 'simulate', context });
  t.equal(pool.totalCount, 1, 'a verified connection is back in the pool');

  const unreachable = 'postgres://postgres:secret@127.0.0.1:1/test';
  const error = (await checkpointRestore({ engine: createSimulateEngine({ env: { DATABASE_URL: unreachable } }), context }).catch((e: unknown) => e)) as RestoreError;
  t.type(error, RestoreError);
  const cause = error.errors[0] as ResourceError;
  t.equal(cause.resource, 'main db');
  t.type(cause.cause, ConnectionVerificationError);
  t.match(cause.message, /main db afterRestore: could not reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test after the restore: .*ECONNREFUSED/);
  t.notMatch(cause.message, /secret/, 'no password in the message');
});
