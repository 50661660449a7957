import { exportsExactly, setEnv } from '@node-crac/test-kit';
import t from 'tap';
import pg from 'pg';
import type { PoolClient } from 'pg';
import * as pgCrac from '../src/index.js';
import { ConnectionVerificationError, verifyConnection } from '../src/verifyConnection.js';

const refused = (cause: unknown) => () => Promise.reject(cause);

t.test('a database that does not exist is named, with the server\'s reason', async (t) => {
  const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'pg_crac_no_such_database' });
  t.teardown(() => pool.end());
  const error = await verifyConnection(() => pool.connect(), pool.options).catch((e: unknown) => e);
  t.type(error, ConnectionVerificationError);
  t.match(error, { message: /^could not reach PostgreSQL at 127\.0\.0\.1:5432\/pg_crac_no_such_database after the restore: .*does not exist/ });
});

t.test('a connection that cannot run SELECT 1 is destroyed, not returned to the pool', async (t) => {
  const released: unknown[] = [];
  const client = { query: () => Promise.reject(new Error('the server closed the connection')), release: (destroy?: unknown) => void released.push(destroy) };
  await t.rejects(verifyConnection(() => Promise.resolve(client as unknown as PoolClient), { host: 'db.internal', port: 6432, database: 'orders' }), {
    name: 'ConnectionVerificationError',
    message: 'could not reach PostgreSQL at db.internal:6432/orders after the restore: the server closed the connection',
  });
  t.same(released, [true]);
});

t.test('the target is described as pg resolves it: settings, then PG* variables, then defaults; never the password', async (t) => {
  setEnv(t, { PGHOST: undefined, PGPORT: undefined, PGDATABASE: undefined, PGUSER: undefined });
  const message = async (options: pg.PoolConfig) => ((await verifyConnection(refused('refused'), options).catch((e: unknown) => e)) as Error).message;
  t.equal(await message({}), 'could not reach PostgreSQL at localhost:5432/ after the restore: refused', 'a thrown non-Error is quoted');
  t.match(await message({ user: 'app' }), /at localhost:5432\/app after/, 'the database defaults to the user');
  t.match(await message({ connectionString: 'not a url' }), /at \(unparsable connectionString\) after/);
  t.match(await message({ connectionString: 'postgres://app:secret@db:5433/main' }), /at postgres:\/\/app@db:5433\/main after/);
  Object.assign(process.env, { PGHOST: 'pg.internal', PGPORT: '6543', PGUSER: 'svc' }); // restored by the setEnv above
  t.match(await message({}), /at pg\.internal:6543\/svc after/);
  process.env.PGDATABASE = 'shop';
  t.match(await message({}), /at pg\.internal:6543\/shop after/);
});

t.test('the entry exports what the README documents', async (t) => {
  exportsExactly(t, pgCrac, [
    'CheckedOutClientsError',
    'ConnectionVerificationError',
    'DEFAULT_CHECKOUT_TIMEOUT_MS',
    'HELD_WORK_DISCARDED',
    'HeldQueryDiscardedError',
    'HeldWorkDiscardedError',
    'createCracPool',
    'databaseUrlFromEnv',
  ]);
  t.equal(pgCrac.HELD_WORK_DISCARDED, 'ERR_CRAC_HELD_WORK_DISCARDED');
});
