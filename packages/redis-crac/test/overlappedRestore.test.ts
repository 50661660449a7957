import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine } from 'node-crac';
import { delayingProxy } from '@node-crac/test-kit';
import { requestDuringRestore } from '@node-crac/test-kit/http/requestDuringRestore';
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
    const during = requestDuringRestore(t, context, 'redis-crac', (_req, res) => {
      redis.get(`${prefix}greeting`).then(
        (value) => res.end(String(value)),
        (error: Error) => void ((res.statusCode = 500), res.end(error.message)),
      );
    });

    proxy.slow = true;
    // The proxy's own sockets would be refused by the open-resource check: it is not part of the app.
    await checkpointRestore({ engine: createSimulateEngine(), context, checkOpenResources: false });
    t.equal(during.listenedBeforeWatched(), true, 'the server listened while the client was still reconnecting');
    const response = await during.response();
    t.equal(response.status, 200, 'the request made then waited for Redis');
    t.equal(response.body, 'hello');
  });
}
