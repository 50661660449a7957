import t from 'tap';
import { CheckpointError, checkpointRestore, Context, type Engine, createSimulateEngine, ResourceError } from 'node-crac';
import { CheckedOutClientsError, createCracPool } from '../src/index.js';
import { TEST_DATABASE_URL, createScratchTable, endPoolAtTeardown, seqsInInsertionOrder } from './fixtures/database.js';

/** The simulate engine, logging the moment of the dump. */
function loggingEngine(log: string[]): Engine {
  const simulate = createSimulateEngine();
  return { ...simulate, checkpoint: (request) => (log.push('dump'), simulate.checkpoint(request)) };
}

/** Resolves once the cycle has notified resources registered after the pool: the pool's own hook is next. */
function checkpointStarted(context: Context): Promise<void> {
  return new Promise((resolve) => context.register({ name: 'test: checkpoint started', beforeCheckpoint: () => resolve(), afterRestore() {} }));
}

t.test('an open transaction delays the checkpoint until it commits', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL }, { context });
  endPoolAtTeardown(t, pool);
  const started = checkpointStarted(context);
  const log: string[] = [];

  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query(`INSERT INTO ${table} (seq) VALUES (1)`);
  let cycleDone = false;
  // leaveRunning: the held query runs in the original that continues (in a restored copy it would be discarded).
  const cycle = checkpointRestore({ engine: loggingEngine(log), context, leaveRunning: true }).finally(() => (cycleDone = true));
  await started;
  // The transaction goes on on its own client while the checkpoint waits; a pool query now is held.
  await client.query(`INSERT INTO ${table} (seq) VALUES (2)`);
  let heldDone = false;
  const held = pool.query(`INSERT INTO ${table} (seq) VALUES (3)`).finally(() => (heldDone = true));
  t.notOk(cycleDone, 'the checkpoint waits for the checked-out client');
  await client.query('COMMIT');
  log.push('commit');
  t.notOk(heldDone, 'a query issued during the wait is held');
  client.release();

  await cycle;
  await held;
  t.same(log, ['commit', 'dump']);
  t.same(await seqsInInsertionOrder(table), [1, 2, 3]);
});

t.test('a client still checked out after checkoutTimeoutMs fails the checkpoint with a count, and the pool goes on', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL }, { context, checkoutTimeoutMs: 50, name: 'orders pool' });
  endPoolAtTeardown(t, pool);
  const clients = [await pool.connect(), await pool.connect()];
  for (const client of clients) await client.query('BEGIN');
  await clients[0]!.query(`INSERT INTO ${table} (seq) VALUES (1)`);

  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  // The core's open-resource check reports the two connections as well.
  const cause = error.errors.find((e): e is ResourceError => e instanceof ResourceError && e.resource === 'orders pool');
  t.ok(cause, 'a cause names the pool');
  t.type(cause?.cause, CheckedOutClientsError);
  t.equal((cause?.cause as CheckedOutClientsError).checkedOut, 2);
  t.match(error.message, /orders pool beforeCheckpoint: 2 client\(s\) still checked out after 50 ms/);

  // Nothing was torn down: the transactions finish and new queries run at once.
  await clients[0]!.query('COMMIT');
  await clients[1]!.query('ROLLBACK');
  for (const client of clients) client.release();
  await pool.query(`INSERT INTO ${table} (seq) VALUES (2)`);
  t.same(await seqsInInsertionOrder(table), [1, 2]);
});

t.test('when the hook timeout strikes first, the pool is usable again after the failed checkpoint', async (t) => {
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL }, { context, checkoutTimeoutMs: 60_000 });
  endPoolAtTeardown(t, pool);
  const client = await pool.connect();
  const error = (await checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 50 }).catch((e: unknown) => e)) as CheckpointError;
  t.match(error.message, /pg-crac pool beforeCheckpoint: timed out after 50 ms/);
  const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
  t.equal(rows[0]?.one, 1);
  client.release();
});

t.test('a checkout queued inside the pool counts in the failure at checkoutTimeoutMs', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 1 }, { context, checkoutTimeoutMs: 50 });
  endPoolAtTeardown(t, pool);
  const client = await pool.connect();
  const queued = pool.query(`INSERT INTO ${table} (seq) VALUES (1)`);
  t.equal(pool.waitingCount, 1, 'the pool is full, so the query waits inside pg-pool');
  const failed = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.match(failed.message, /1 client\(s\) still checked out and 1 checkout\(s\) queued in the pool after 50 ms/);
  client.release();
  await queued;
  t.same(await seqsInInsertionOrder(table), [1], 'the queued query ran once the client was back');
});

t.test('a checkout already queued inside the pool when the checkpoint starts is served and waited for', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  // The default checkoutTimeoutMs: the work below must finish within it, however slow the machine.
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 1 }, { context });
  endPoolAtTeardown(t, pool);
  const client = await pool.connect();
  const queued = pool.query(`INSERT INTO ${table} (seq) VALUES (2)`);
  t.equal(pool.waitingCount, 1, 'the pool is full, so the query waits inside pg-pool');

  const started = checkpointStarted(context);
  const log: string[] = [];
  const cycle = checkpointRestore({ engine: loggingEngine(log), context });
  await started;
  await client.query(`INSERT INTO ${table} (seq) VALUES (1)`);
  client.release();
  await queued;
  log.push('queued query done');
  await cycle;
  t.same(log, ['queued query done', 'dump']);
  t.same(await seqsInInsertionOrder(table), [1, 2]);
});
