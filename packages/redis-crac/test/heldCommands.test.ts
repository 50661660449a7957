import t from 'tap';
import { checkpointRestore, Context } from 'node-crac';
import { cracRedis } from '../src/index.js';
import { redisVersions, scratchPrefix } from './fixtures/redisVersions.js';

const HELD = 50;

for (const version of redisVersions) {
  t.test(`${version.label}: commands issued during the checkpoint window are sent after the restore, in order, each once`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const sent: Promise<unknown>[] = [];
    let statusAtDump = '';
    // Registered before the client, so its beforeCheckpoint runs after the client's: the connection is closed by then.
    context.register({
      name: 'test: during the checkpoint window',
      beforeCheckpoint() {
        statusAtDump = redis.status;
        for (let i = 1; i <= HELD; i++) sent.push(redis.rpush(`${prefix}list`, String(i)));
        sent.push(redis.incrby(`${prefix}counter`, HELD));
        sent.push(redis.pipeline().incr(`${prefix}counter`).incr(`${prefix}counter`).exec());
        sent.push(redis.multi().incr(`${prefix}counter`).exec());
      },
      afterRestore() {},
    });
    const redis = cracRedis(version.connect(t), { context });
    await redis.ping();

    const result = await checkpointRestore({ engine: 'simulate', context });
    t.equal(result.outcome, 'restored');
    t.equal(statusAtDump, 'end', 'the connection was closed at the dump');
    const settled = await Promise.allSettled(sent);
    t.same(settled.filter((s) => s.status === 'rejected'), [], 'no held command failed');
    t.same(await redis.lrange(`${prefix}list`, 0, -1), Array.from({ length: HELD }, (_, i) => String(i + 1)), 'every push once, in order');
    t.equal(await redis.get(`${prefix}counter`), String(HELD + 3), 'plain, pipelined and transaction commands each ran once');
  });

  t.test(`${version.label}: auto-pipelined commands are held and replayed too`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const sent: Promise<number>[] = [];
    context.register({
      name: 'test: during the checkpoint window',
      beforeCheckpoint() {
        for (let i = 1; i <= HELD; i++) sent.push(redis.rpush(`${prefix}list`, String(i)));
      },
      afterRestore() {},
    });
    const redis = cracRedis(version.connect(t, undefined, { enableAutoPipelining: true }), { context });
    await Promise.all([redis.ping(), redis.ping()]);
    await checkpointRestore({ engine: 'simulate', context });
    t.same(await Promise.all(sent), Array.from({ length: HELD }, (_, i) => i + 1), 'each push once, in order');
    t.same(await redis.lrange(`${prefix}list`, 0, -1), Array.from({ length: HELD }, (_, i) => String(i + 1)));
  });

  t.test(`${version.label}: replies in flight when the checkpoint starts arrive before the connection closes`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const redis = cracRedis(version.connect(t), { context });
    await redis.ping();
    // Written to the socket now; no reply can be read before the checkpoint's hooks run.
    const inFlight = Array.from({ length: 500 }, () => redis.incr(`${prefix}counter`));
    await checkpointRestore({ engine: 'simulate', context });
    const replies = await Promise.all(inFlight);
    t.same([...replies].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i + 1), 'every reply arrived');
    t.equal(await redis.get(`${prefix}counter`), '500', 'none was sent twice');
  });
}
