import t from 'tap';
import { CheckpointError, checkpointRestore, Context } from 'node-crac';
import pg from 'pg';
import { createCracPool } from '../src/index.js';
import { TEST_DATABASE_URL, endPoolAtTeardown } from './fixtures/database.js';

// The core's open-resource check runs in every cycle, the simulate engine's
// too: a checkpoint that succeeds had no connection to 5432 open at the dump.

t.test('an idle connection of a plain pool fails the checkpoint (the check is on)', async (t) => {
  const plain = new pg.Pool({ connectionString: TEST_DATABASE_URL });
  endPoolAtTeardown(t, plain);
  await plain.query('SELECT 1');
  const error = await checkpointRestore({ engine: 'simulate', context: new Context() }).catch((e: unknown) => e);
  t.type(error, CheckpointError);
  t.match((error as Error).message, /tcp .* -> 127\.0\.0\.1:5432 ESTABLISHED/);
});

t.test('after beforeCheckpoint no connection to PostgreSQL remains, and the pool works after the restore', async (t) => {
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 4 }, { context });
  endPoolAtTeardown(t, pool);
  const client = await pool.connect();
  await Promise.all([pool.query('SELECT pg_sleep(0.01)'), pool.query('SELECT pg_sleep(0.01)'), pool.query('SELECT 1')]);
  client.release();
  t.equal(pool.totalCount, 4, 'four connections before');

  await checkpointRestore({ engine: 'simulate', context });
  t.equal(pool.totalCount, 0, 'the pool reconnects lazily');
  const { rows } = await pool.query<{ answer: number }>('SELECT 42 AS answer');
  t.equal(rows[0]?.answer, 42);
});
