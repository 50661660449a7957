import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine } from 'node-crac';
import type { QueryResult } from 'pg';
import { createCracPool, HELD_WORK_DISCARDED, HeldQueryDiscardedError, HeldWorkDiscardedError } from '../src/index.js';
import { TEST_DATABASE_URL, createScratchTable, endPoolAtTeardown, seqsInInsertionOrder } from './fixtures/database.js';
import { duringCheckpoint } from './fixtures/duringCheckpoint.js';

const HELD = 20;

t.test('queries issued during the checkpoint window run in the original that continues (leaveRunning), in order, each exactly once', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const inserts: Promise<QueryResult>[] = [];
  let connectionsAtDump = -1;
  duringCheckpoint(context, () => {
    connectionsAtDump = pool.totalCount;
    for (let seq = 1; seq <= HELD; seq++) inserts.push(pool.query(`INSERT INTO ${table} (seq) VALUES ($1)`, [seq]));
  });
  // One connection: the order the held queries are sent in is the order they run in.
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 1 }, { context });
  endPoolAtTeardown(t, pool);
  await pool.query('SELECT 1');

  const result = await checkpointRestore({ engine: 'simulate', context, leaveRunning: true });
  t.equal(result.outcome, 'continued');
  t.equal(connectionsAtDump, 0, 'no connection open at the dump');
  const settled = await Promise.allSettled(inserts);
  t.same(settled.map((s) => s.status), Array(HELD).fill('fulfilled'), 'no held query failed');
  t.same(await seqsInInsertionOrder(table), Array.from({ length: HELD }, (_, i) => i + 1), 'every row once, in issue order');
});

t.test('checkouts and callback-style queries are held too, and a pool of many connections loses none (leaveRunning)', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const work: Promise<unknown>[] = [];
  duringCheckpoint(context, () => {
    for (let seq = 1; seq <= HELD; seq++) {
      if (seq % 3 === 0) {
        work.push(
          pool.connect().then(async (client) => {
            try {
              await client.query(`INSERT INTO ${table} (seq) VALUES ($1)`, [seq]);
            } finally {
              client.release();
            }
          }),
        );
      } else if (seq % 3 === 1) {
        work.push(new Promise((resolve, reject) => pool.query(`INSERT INTO ${table} (seq) VALUES ($1)`, [seq], (err, res) => (err ? reject(err) : resolve(res)))));
      } else {
        work.push(pool.query(`INSERT INTO ${table} (seq) VALUES ($1)`, [seq]));
      }
    }
  });
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 5 }, { context });
  endPoolAtTeardown(t, pool);
  // Warm the pool up to several idle connections, all of which must go.
  await Promise.all(Array.from({ length: 5 }, () => pool.query('SELECT pg_sleep(0.01)')));
  t.ok(pool.idleCount > 1, 'several idle connections before the checkpoint');

  await checkpointRestore({ engine: 'simulate', context, leaveRunning: true });
  await Promise.all(work);
  const seqs = await seqsInInsertionOrder(table);
  t.same([...seqs].sort((a, b) => a - b), Array.from({ length: HELD }, (_, i) => i + 1), 'every row exactly once');
});

t.test('in a restored copy every held query, callback query and checkout fails with HeldQueryDiscardedError and nothing runs', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const work: Promise<unknown>[] = [];
  duringCheckpoint(context, () => {
    work.push(pool.query(`INSERT INTO ${table} (seq) VALUES (1)`));
    work.push(new Promise((resolve, reject) => pool.query(`INSERT INTO ${table} (seq) VALUES (2)`, [], (err, res) => (err ? reject(err) : resolve(res)))));
    work.push(pool.connect().then((client) => client.query(`INSERT INTO ${table} (seq) VALUES (3)`).finally(() => client.release())));
    // done() is called on the error path too, as code releasing in a finally does: it must be harmless.
    work.push(new Promise((resolve, reject) => pool.connect((err, client, done) => (done(), err ? reject(err) : resolve(client)))));
    // Looked at below, once the cycle is over; they reject inside it.
    for (const promise of work) promise.catch(() => {});
  });
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 2 }, { context, name: 'orders pool' });
  endPoolAtTeardown(t, pool);
  await pool.query('SELECT 1');

  const result = await checkpointRestore({ engine: 'simulate', context });
  t.equal(result.outcome, 'restored');
  const settled = await Promise.allSettled(work);
  t.same(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected', 'rejected']);
  for (const outcome of settled) {
    const error = (outcome as PromiseRejectedResult).reason as HeldQueryDiscardedError;
    t.type(error, HeldQueryDiscardedError);
    t.type(error, HeldWorkDiscardedError, 'one base class for every adapter');
    t.equal(error.code, HELD_WORK_DISCARDED);
    t.equal(error.code, 'ERR_CRAC_HELD_WORK_DISCARDED');
    t.match(error.message, /^orders pool: a query or checkout was issued before the checkpoint and held; it did not run in this restored copy/);
  }
  t.same(await seqsInInsertionOrder(table), [], 'no held query ran');
  t.equal(pool.totalCount - pool.idleCount, 0, 'no client left checked out');
  await pool.query(`INSERT INTO ${table} (seq) VALUES (4)`);
  t.same(await seqsInInsertionOrder(table), [4], 'queries issued by the copy run');
});

t.test('when the checkpoint fails, the held queries run, once, in this process', async (t) => {
  const table = await createScratchTable(t);
  const context = new Context();
  const inserts: Promise<QueryResult>[] = [];
  duringCheckpoint(context, () => {
    for (let seq = 1; seq <= 3; seq++) inserts.push(pool.query(`INSERT INTO ${table} (seq) VALUES ($1)`, [seq]));
  });
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL, max: 1 }, { context });
  endPoolAtTeardown(t, pool);
  await pool.query('SELECT 1');
  await t.rejects(checkpointRestore({ engine: createSimulateEngine({ fail: new Error('dump failed') }), context }), { name: 'CheckpointError' });
  await Promise.all(inserts);
  t.same(await seqsInInsertionOrder(table), [1, 2, 3]);
});
