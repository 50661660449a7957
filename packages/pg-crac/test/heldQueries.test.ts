import t from 'tap';
import { checkpointRestore, Context } from 'node-crac';
import type { QueryResult } from 'pg';
import { createCracPool } from '../src/index.js';
import { TEST_DATABASE_URL, createScratchTable, endPoolAtTeardown, seqsInInsertionOrder } from './fixtures/database.js';
import { duringCheckpoint } from './fixtures/duringCheckpoint.js';

const HELD = 20;

t.test('queries issued during the checkpoint window run after the restore, in order, each exactly once', async (t) => {
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

  const result = await checkpointRestore({ engine: 'simulate', context });
  t.equal(result.outcome, 'restored');
  t.equal(connectionsAtDump, 0, 'no connection open at the dump');
  const settled = await Promise.allSettled(inserts);
  t.same(settled.map((s) => s.status), Array(HELD).fill('fulfilled'), 'no held query failed');
  t.same(await seqsInInsertionOrder(table), Array.from({ length: HELD }, (_, i) => i + 1), 'every row once, in issue order');
});

t.test('checkouts and callback-style queries are held too, and a pool of many connections loses none', async (t) => {
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

  await checkpointRestore({ engine: 'simulate', context });
  await Promise.all(work);
  const seqs = await seqsInInsertionOrder(table);
  t.same([...seqs].sort((a, b) => a - b), Array.from({ length: HELD }, (_, i) => i + 1), 'every row exactly once');
});
