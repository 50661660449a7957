import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine } from 'node-crac';
import { delayingProxy } from '@node-crac/test-kit';
import { requestDuringRestore } from '@node-crac/test-kit/http/requestDuringRestore';
import { createCracPool } from '../src/index.js';
import { endPoolAtTeardown } from './fixtures/database.js';

// After a restore the pool's afterRestore (verifyOnRestore: a new connection to
// PostgreSQL) overlaps the hooks registered after it: an HTTP server registered
// later listens while the pool reconnects, and a request that arrives then waits
// for the pool and gets its 200 instead of an error. The reconnect is made slow
// by a proxy in front of PostgreSQL that delays new connections once asked to.

const DELAY_MS = 400;

t.test('a request that arrives while the pool reconnects after a restore waits for it and gets a 200', async (t) => {
  const proxy = await delayingProxy(t, 5432, DELAY_MS);
  const context = new Context();
  const pool = createCracPool({ host: '127.0.0.1', port: proxy.port, user: 'postgres', database: 'test' }, { context, verifyOnRestore: true });
  endPoolAtTeardown(t, pool);
  const during = requestDuringRestore(t, context, 'pg-crac pool', (_req, res) => {
    pool.query<{ one: number }>('SELECT 1 AS one').then(
      ({ rows }) => res.end(String(rows[0]!.one)),
      (error: Error) => void ((res.statusCode = 500), res.end(error.message)),
    );
  });
  t.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1, 'the pool works before the checkpoint');

  proxy.slow = true;
  // The proxy's own sockets would be refused by the open-resource check: it is not part of the app.
  await checkpointRestore({ engine: createSimulateEngine(), context, checkOpenResources: false });
  t.equal(during.listenedBeforeWatched(), true, 'the server listened while the pool was still reconnecting');
  const response = await during.response();
  t.equal(response.status, 200, 'the request made then waited for the pool');
  t.equal(response.body, '1');
});
