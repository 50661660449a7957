import { freePort } from '@node-crac/test-kit';
import t from 'tap';
import { CheckpointError, checkpointRestore, Context } from 'node-crac';
import { cracRedis } from '../src/index.js';
import { redisVersions } from './fixtures/redisVersions.js';

// The core's open-resource check runs in every cycle, the simulate engine's
// too: a checkpoint that succeeds had no connection to 6379 open at the dump.

for (const version of redisVersions) {
  t.test(`${version.label}: a plain client's connection fails the checkpoint (the check is on)`, async (t) => {
    const plain = version.connect(t);
    await plain.ping();
    const error = await checkpointRestore({ engine: 'simulate', context: new Context() }).catch((e: unknown) => e);
    t.type(error, CheckpointError);
    t.match((error as Error).message, /tcp .* -> 127\.0\.0\.1:6379 ESTABLISHED/);
  });

  t.test(`${version.label}: after beforeCheckpoint no connection to Redis remains, and the client works after the restore`, async (t) => {
    const context = new Context();
    const redis = cracRedis(version.connect(t), { context });
    const lazy = cracRedis(version.connect(t, undefined, { lazyConnect: true }), { context, name: 'lazy client' });
    await redis.ping();
    await checkpointRestore({ engine: 'simulate', context });
    t.equal(redis.status, 'ready');
    t.equal(lazy.status, 'wait', 'a client never used stays lazy');
    t.equal(await redis.ping(), 'PONG');
    t.equal(await lazy.ping(), 'PONG');
  });

  t.test(`${version.label}: a client that lost Redis fails the checkpoint, saying what to do`, async (t) => {
    const context = new Context();
    // Nothing listens there: ioredis keeps reconnecting, with a timer the image would carry.
    const redis = cracRedis(version.connect(t, `redis://127.0.0.1:${await freePort()}`), { context, name: 'lost client' });
    redis.on('error', () => {});
    await new Promise((resolve) => redis.once('reconnecting', resolve));
    const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
    t.type(error, CheckpointError);
    t.match(error.message, /lost client beforeCheckpoint: ioredis is "reconnecting" \(the connection to Redis was lost\); retry the checkpoint once Redis is reachable again/);
    // Let it give up, so that it ends by itself (a disconnect() while reconnecting never emits 'end').
    const ended = new Promise((resolve) => redis.once('end', resolve));
    redis.options.retryStrategy = () => null;
    await ended;
  });
}
