import { createServer as createHttpServer, type Server } from 'node:http';
import t from 'tap';
import { checkpointRestore, Context, cracEvents, createSimulateEngine, type ResourceTiming } from 'node-crac';
import { closeServer, delayingProxy, get } from '@node-crac/test-kit';
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
  let reconnected = false;
  const onResource = (timing: ResourceTiming): void => {
    if (timing.resource === 'pg-crac pool' && timing.phase === 'afterRestore') reconnected = true;
  };
  cracEvents.on('resource', onResource);
  t.teardown(() => void cracEvents.off('resource', onResource));

  const server: Server = createHttpServer((_req, res) => {
    pool.query<{ one: number }>('SELECT 1 AS one').then(
      ({ rows }) => res.end(String(rows[0]!.one)),
      (error: Error) => void (res.statusCode = 500, res.end(error.message)),
    );
  });
  t.teardown(() => closeServer(server));
  let answer: Promise<{ status: number; body: string }> | undefined;
  let listenedBeforeReconnect: boolean | undefined;
  context.register({
    name: 'http server',
    beforeCheckpoint() {},
    afterRestore: () =>
      new Promise<void>((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          listenedBeforeReconnect = !reconnected;
          answer = get((server.address() as { port: number }).port, '/');
          resolve();
        });
      }),
  });
  t.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1, 'the pool works before the checkpoint');

  proxy.slow = true;
  // The proxy's own sockets would be refused by the open-resource check: it is not part of the app.
  await checkpointRestore({ engine: createSimulateEngine(), context, checkOpenResources: false });
  t.equal(listenedBeforeReconnect, true, 'the server listened while the pool was still reconnecting');
  const response = await answer!;
  t.equal(response.status, 200, 'the request made then waited for the pool');
  t.equal(response.body, '1');
});
