import { createServer as createHttpServer, type Server } from 'node:http';
import t from 'tap';
import { checkpointRestore, Context, cracEvents, createSimulateEngine, type ResourceTiming } from 'node-crac';
import { closeServer, delayingProxy, get } from '@node-crac/test-kit';
import { cracRedis } from '../src/index.js';
import { redisVersions, scratchPrefix } from './fixtures/redisVersions.js';

// After a restore the client's afterRestore (its reconnect) overlaps the hooks
// registered after it: an HTTP server registered later listens while Redis
// comes back, and a request that arrives then waits in ioredis's offline queue
// and gets its 200 instead of an error. A proxy in front of Redis makes the
// reconnect slow.

const DELAY_MS = 400;

for (const version of redisVersions) {
  t.test(`${version.label}: a request that arrives while the client reconnects after a restore waits for it and gets a 200`, async (t) => {
    const proxy = await delayingProxy(t, 6379, DELAY_MS);
    const prefix = scratchPrefix(t);
    const context = new Context();
    const redis = cracRedis(version.connect(t, `redis://127.0.0.1:${proxy.port}/0`), { context });
    await redis.set(`${prefix}greeting`, 'hello');
    let reconnected = false;
    const onResource = (timing: ResourceTiming): void => {
      if (timing.resource === 'redis-crac' && timing.phase === 'afterRestore') reconnected = true;
    };
    cracEvents.on('resource', onResource);
    t.teardown(() => void cracEvents.off('resource', onResource));

    const server: Server = createHttpServer((_req, res) => {
      redis.get(`${prefix}greeting`).then(
        (value) => res.end(String(value)),
        (error: Error) => void (res.statusCode = 500, res.end(error.message)),
      );
    });
    t.teardown(() => closeServer(server));
    let answer: ReturnType<typeof get> | undefined;
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

    proxy.slow = true;
    // The proxy's own sockets would be refused by the open-resource check: it is not part of the app.
    await checkpointRestore({ engine: createSimulateEngine(), context, checkOpenResources: false });
    t.equal(listenedBeforeReconnect, true, 'the server listened while the client was still reconnecting');
    const response = await answer!;
    t.equal(response.status, 200, 'the request made then waited for Redis');
    t.equal(response.body, 'hello');
  });
}
