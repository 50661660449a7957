import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import t from 'tap';
import { checkpointRestore, Context, cracEvents, createSimulateEngine, type ResourceTiming } from 'node-crac';
import { closeServer, get, type Teardown } from '@node-crac/test-kit';
import { createCracPool } from '../src/index.js';
import { endPoolAtTeardown } from './fixtures/database.js';

// After a restore the pool's afterRestore (verifyOnRestore: a new connection to
// PostgreSQL) overlaps the hooks registered after it: an HTTP server registered
// later listens while the pool reconnects, and a request that arrives then waits
// for the pool and gets its 200 instead of an error. The reconnect is made slow
// by a proxy in front of PostgreSQL that delays new connections once asked to.

const DELAY_MS = 400;

/** A TCP proxy to 127.0.0.1:5432 whose new connections wait `delayMs` while `slow` is set; closed at teardown. */
async function delayingProxy(t: Teardown): Promise<{ port: number; slow: boolean }> {
  const sockets = new Set<Socket>();
  const state = { port: 0, slow: false };
  const proxy = createServer((client) => {
    sockets.add(client);
    client.pause();
    setTimeout(() => {
      const upstream = connect(5432, '127.0.0.1');
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const end = (): void => void (client.destroy(), upstream.destroy());
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    }, state.slow ? DELAY_MS : 0);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  state.port = (proxy.address() as { port: number }).port;
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  });
  return state;
}

t.test('a request that arrives while the pool reconnects after a restore waits for it and gets a 200', async (t) => {
  const proxy = await delayingProxy(t);
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
