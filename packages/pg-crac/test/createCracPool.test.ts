import t from 'tap';
import { Context } from 'node-crac';
import pg from 'pg';
import { createCracPool } from '../src/index.js';
import { endPoolAtTeardown, TEST_DATABASE_URL } from './fixtures/database.js';

t.test('an existing pool is registered in place and returned', async (t) => {
  const context = new Context();
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL });
  endPoolAtTeardown(t, pool);
  const registered = createCracPool(pool, { context });
  t.equal(registered, pool);
  t.equal(context.size, 1);
  t.throws(() => createCracPool(pool, { context }), { name: 'TypeError', message: /already registered/ });
});

t.test('crac.unregister() takes the pool out of checkpoints and gives it its own connect back', async (t) => {
  const context = new Context();
  const pool = createCracPool({ connectionString: TEST_DATABASE_URL }, { context });
  endPoolAtTeardown(t, pool);
  t.ok(Object.hasOwn(pool, 'connect'));
  pool.crac.unregister();
  t.equal(context.size, 0);
  t.notOk(Object.hasOwn(pool, 'connect'));
  t.equal(pool.connect, pg.Pool.prototype.connect);
  const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
  t.equal(rows[0]?.one, 1);
});

t.test('an ended pool and a bad timeout are refused', async (t) => {
  const ended = new pg.Pool();
  await ended.end();
  t.throws(() => createCracPool(ended, { context: new Context() }), { message: /pool\.end\(\) is final/ });
  t.throws(() => createCracPool({}, { context: new Context(), checkoutTimeoutMs: 0 }), { name: 'RangeError' });
});
