import t from 'tap';
import { CheckpointError, checkpointRestore, Context, ResourceError } from 'node-crac';
import { cracRedis, PendingRepliesError } from '../src/index.js';
import { disconnected, redisVersions, scratchPrefix } from './fixtures/redisVersions.js';

for (const version of redisVersions) {
  t.test(`${version.label}: a reply that does not come fails the checkpoint, naming the command, and the client goes on`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const redis = cracRedis(version.connect(t), { context, replyTimeoutMs: 50, name: 'jobs queue' });
    await redis.ping();
    const blocked = redis.blpop(`${prefix}jobs`, 0);

    const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
    t.type(error, CheckpointError);
    const cause = error.errors.find((e): e is ResourceError => e instanceof ResourceError && e.resource === 'jobs queue');
    t.type(cause?.cause, PendingRepliesError);
    t.same((cause?.cause as PendingRepliesError).commands, ['blpop']);
    t.match(error.message, /jobs queue beforeCheckpoint: 1 command\(s\) still awaiting a reply after 50 ms \(blpop\)/);

    // The connection was kept: the blocked command completes once a job arrives.
    const pusher = version.connect(t);
    await pusher.rpush(`${prefix}jobs`, 'job-1');
    await disconnected(pusher);
    t.same(await blocked, [`${prefix}jobs`, 'job-1']);
    t.equal(await redis.ping(), 'PONG');
  });
}

t.test('when the hook timeout strikes first, the client takes commands again after the failed checkpoint', async (t) => {
  const version = redisVersions[0]!;
  const prefix = scratchPrefix(t);
  const context = new Context();
  const redis = cracRedis(version.connect(t), { context, replyTimeoutMs: 60_000 });
  await redis.ping();
  const blocked = redis.blpop(`${prefix}jobs`, 0);

  const error = (await checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 50 }).catch((e: unknown) => e)) as CheckpointError;
  t.match(error.message, /redis-crac beforeCheckpoint: timed out after 50 ms/);
  const other = version.connect(t);
  await other.rpush(`${prefix}jobs`, 'job-1');
  t.same(await blocked, [`${prefix}jobs`, 'job-1']);
  t.equal(await redis.ping(), 'PONG');
  await disconnected(other);
});
