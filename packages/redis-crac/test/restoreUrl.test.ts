import { setEnv } from '@node-crac/test-kit';
import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine, RestoreError, ResourceError } from 'node-crac';
import { cracRedis, HeldCommandDiscardedError, ReconnectError } from '../src/index.js';
import { type AnyRedis, redisVersions, REDIS_URL, scratchPrefix } from './fixtures/redisVersions.js';

/** The database number the server says this connection uses. */
async function serverSideDb(redis: AnyRedis): Promise<string | undefined> {
  const info = String(await redis.call('CLIENT', 'INFO'));
  return /\bdb=(\d+)/.exec(info)?.[1];
}

for (const version of redisVersions) {
  t.test(`${version.label}: a REDIS_URL given at the restore moves the client; a command held at the checkpoint is discarded there`, async (t) => {
    setEnv(t, { REDIS_URL: undefined });
    const prefix = scratchPrefix(t);
    const context = new Context();
    let held: Promise<unknown> | undefined;
    const holdSet = (): void => {
      held = redis.set(`${prefix}where`, 'held');
      held.catch(() => {}); // rejects inside the restore; looked at below
    };
    context.register({ name: 'test: during the checkpoint window', beforeCheckpoint: holdSet, afterRestore() {} });
    const redis = cracRedis(version.connect(t, `${REDIS_URL}/0`), { context });
    t.equal(await serverSideDb(redis), '0');

    await checkpointRestore({ engine: createSimulateEngine({ env: { REDIS_URL: 'redis://localhost:6379/5' } }), context });
    await t.rejects(held!, HeldCommandDiscardedError, 'held work never runs in a restored copy');
    t.equal(await serverSideDb(redis), '5');
    t.equal(await redis.get(`${prefix}where`), null, 'the held SET went nowhere');
    await redis.set(`${prefix}where`, 'db 5');
    t.equal(await redis.get(`${prefix}where`), 'db 5', 'a SET issued after the restore goes to the new database');
    await redis.del(`${prefix}where`);
  });

  t.test(`${version.label}: an unchanged REDIS_URL leaves a client configured in code where it was`, async (t) => {
    setEnv(t, { REDIS_URL: `${REDIS_URL}/5` });
    const context = new Context();
    const redis = cracRedis(version.connect(t, `${REDIS_URL}/2`), { context });
    await redis.ping();
    await checkpointRestore({ engine: createSimulateEngine({ env: { REDIS_URL: `${REDIS_URL}/5` } }), context });
    t.equal(await serverSideDb(redis), '2');
  });

  t.test(`${version.label}: with urlFromEnv: false a REDIS_URL given at the restore is ignored`, async (t) => {
    setEnv(t, { REDIS_URL: undefined });
    const context = new Context();
    const redis = cracRedis(version.connect(t, `${REDIS_URL}/2`), { context, urlFromEnv: false });
    await redis.ping();
    await checkpointRestore({ engine: createSimulateEngine({ env: { REDIS_URL: `${REDIS_URL}/5` } }), context });
    t.equal(await serverSideDb(redis), '2');
  });

  t.test(`${version.label}: an unreachable Redis at the restore is a RestoreError naming the client, without the password`, async (t) => {
    setEnv(t, { REDIS_URL: undefined });
    const context = new Context();
    // No retries, so that the client ends instead of reconnecting in the background.
    const redis = cracRedis(version.connect(t), { context, name: 'cache' });
    redis.options.retryStrategy = () => null;
    redis.on('error', () => {});
    await redis.ping();
    const error = (await checkpointRestore({ engine: createSimulateEngine({ env: { REDIS_URL: 'redis://:hunter2@127.0.0.1:1/0' } }), context }).catch(
      (e: unknown) => e,
    )) as RestoreError;
    t.type(error, RestoreError);
    const cause = error.errors[0] as ResourceError;
    t.equal(cause.resource, 'cache');
    t.type(cause.cause, ReconnectError);
    t.match(cause.message, /cache afterRestore: could not connect to Redis at redis:\/\/127\.0\.0\.1:1\/0 after the restore/);
    t.notMatch(cause.message, /hunter2/);
  });

  t.test(`${version.label}: a REDIS_URL that is no Redis URL is a RestoreError that quotes it without the password`, async (t) => {
    setEnv(t, { REDIS_URL: undefined });
    const context = new Context();
    const redis = cracRedis(version.connect(t), { context });
    await redis.ping();
    const error = (await checkpointRestore({ engine: createSimulateEngine({ env: { REDIS_URL: 'http://user:hunter2@example.com' } }), context }).catch(
      (e: unknown) => e,
    )) as RestoreError;
    t.type(error, RestoreError);
    t.match(error.message, /redis-crac afterRestore: "http:\/\/user:\*\*\*@example\.com\/" is not a redis:\/\/ or rediss:\/\/ URL/);
  });
}
