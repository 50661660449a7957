import t from 'tap';
import { Context } from 'node-crac';
import Redis from 'ioredis';
import { cracRedis } from '../src/index.js';
import { REDIS_URL } from './fixtures/redisVersions.js';

t.test('the client is registered in place, once', async (t) => {
  const context = new Context();
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  const registered = cracRedis(redis, { context });
  t.equal(registered, redis);
  t.equal(context.size, 1);
  t.throws(() => cracRedis(redis, { context }), { name: 'TypeError', message: /already registered/ });
  registered.crac.unregister();
  t.equal(context.size, 0);
  t.notOk(Object.hasOwn(redis, 'sendCommand'), 'its own sendCommand is back');
});

t.test('what cannot be held over a checkpoint is refused with a clear error', async (t) => {
  const context = new Context();
  const cluster = new Redis.Cluster([{ host: '127.0.0.1', port: 6379 }], { lazyConnect: true });
  t.throws(() => cracRedis(cluster as unknown as Redis, { context }), { message: /Cluster is not supported/ });
  const failFast = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
  t.throws(() => cracRedis(failFast, { context }), { message: /needs enableOfflineQueue/ });
  const monitor = new Redis(REDIS_URL, { lazyConnect: true, monitor: true });
  t.throws(() => cracRedis(monitor, { context }), { name: 'TypeError', message: /a MONITOR connection cannot be held over a checkpoint; open it again after the restore/ });
  t.throws(() => cracRedis(new Redis(REDIS_URL, { lazyConnect: true }), { context, replyTimeoutMs: -1 }), { name: 'RangeError' });
  t.equal(context.size, 0);
});
