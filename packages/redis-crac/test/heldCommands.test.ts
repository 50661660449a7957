import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine } from 'node-crac';
import { cracRedis, HELD_WORK_DISCARDED, HeldCommandDiscardedError, HeldWorkDiscardedError } from '../src/index.js';
import { redisVersions, scratchPrefix } from './fixtures/redisVersions.js';

const HELD = 50;

for (const version of redisVersions) {
  t.test(`${version.label}: commands issued during the checkpoint window are sent in the original that continues (leaveRunning), in order, each once`, async (t) => {
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

    const result = await checkpointRestore({ engine: 'simulate', context, leaveRunning: true });
    t.equal(result.outcome, 'continued');
    t.equal(statusAtDump, 'end', 'the connection was closed at the dump');
    const settled = await Promise.allSettled(sent);
    t.same(settled.filter((s) => s.status === 'rejected'), [], 'no held command failed');
    t.same(await redis.lrange(`${prefix}list`, 0, -1), Array.from({ length: HELD }, (_, i) => String(i + 1)), 'every push once, in order');
    t.equal(await redis.get(`${prefix}counter`), String(HELD + 3), 'plain, pipelined and transaction commands each ran once');
  });

  t.test(`${version.label}: auto-pipelined commands are held and replayed too (leaveRunning)`, async (t) => {
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
    await checkpointRestore({ engine: 'simulate', context, leaveRunning: true });
    t.same(await Promise.all(sent), Array.from({ length: HELD }, (_, i) => i + 1), 'each push once, in order');
    t.same(await redis.lrange(`${prefix}list`, 0, -1), Array.from({ length: HELD }, (_, i) => String(i + 1)));
  });

  t.test(`${version.label}: in a restored copy held commands fail with HeldCommandDiscardedError and none is sent`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const sent: Promise<unknown>[] = [];
    let callbackError: Error | null | undefined;
    const callbackDone = new Promise<void>((resolve) => {
      context.register({
        name: 'test: during the checkpoint window',
        beforeCheckpoint() {
          sent.push(redis.incr(`${prefix}counter`));
          sent.push(redis.rpush(`${prefix}list`, 'held'));
          redis.incr(`${prefix}counter`, (error) => {
            callbackError = error;
            resolve();
          });
          sent.push(redis.pipeline().incr(`${prefix}counter`).incr(`${prefix}counter`).exec());
          sent.push(redis.multi().incr(`${prefix}counter`).exec());
          // Looked at below, once the cycle is over; they reject inside it.
          for (const promise of sent) promise.catch(() => {});
        },
        afterRestore() {},
      });
    });
    const redis = cracRedis(version.connect(t), { context, name: 'cache' });
    await redis.ping();

    const result = await checkpointRestore({ engine: 'simulate', context });
    t.equal(result.outcome, 'restored');
    const [incr, rpush, pipeline, multi] = await Promise.allSettled(sent);
    for (const [outcome, command] of [[incr, 'INCR'], [rpush, 'RPUSH']] as const) {
      t.equal(outcome?.status, 'rejected');
      const error = (outcome as PromiseRejectedResult).reason as HeldCommandDiscardedError;
      t.type(error, HeldCommandDiscardedError);
      t.type(error, HeldWorkDiscardedError, 'one base class for every adapter');
      t.equal(error.code, HELD_WORK_DISCARDED);
      t.equal(error.command, command.toLowerCase());
      t.match(error.message, `cache: the command ${command} was issued before the checkpoint and held; it did not run in this restored copy`);
    }
    await callbackDone;
    t.type(callbackError, HeldCommandDiscardedError, 'a callback gets the error too');
    // A pipeline reports each command's error in its results; a transaction rejects.
    if (pipeline?.status === 'fulfilled') {
      const results = pipeline.value as [Error | null, unknown][];
      t.ok(results.every(([error]) => error instanceof HeldCommandDiscardedError), 'every pipelined command was discarded');
    } else {
      t.type(pipeline?.reason, HeldCommandDiscardedError);
    }
    t.equal(multi?.status, 'rejected', 'the transaction failed');
    t.equal(await redis.get(`${prefix}counter`), null, 'no held INCR ran');
    t.equal(await redis.llen(`${prefix}list`), 0, 'no held RPUSH ran');
    t.equal(await redis.incr(`${prefix}counter`), 1, 'commands issued after the restore run');
  });

  t.test(`${version.label}: when the checkpoint fails, held commands are sent once, in this process`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const sent: Promise<unknown>[] = [];
    context.register({
      name: 'test: during the checkpoint window',
      beforeCheckpoint() {
        for (let i = 1; i <= 3; i++) sent.push(redis.rpush(`${prefix}list`, String(i)));
      },
      afterRestore() {},
    });
    const redis = cracRedis(version.connect(t), { context });
    await redis.ping();
    await t.rejects(checkpointRestore({ engine: createSimulateEngine({ fail: new Error('dump failed') }), context }), { name: 'CheckpointError' });
    await Promise.all(sent);
    t.same(await redis.lrange(`${prefix}list`, 0, -1), ['1', '2', '3']);
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
