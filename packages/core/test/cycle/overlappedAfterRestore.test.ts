import t from 'tap';
import { Context, checkpointRestore, createSimulateEngine, RestoreError } from '../../src/index.js';
import { deferred } from '@node-crac/test-kit';

// A resource whose afterRestore overlaps lets the ones registered after it start
// theirs at once; the restore still waits for it, and still fails when it fails.

t.test('the resources after an overlapping one start at once; the cycle ends when all have', async (t) => {
  const log: string[] = [];
  const reconnected = deferred<void>();
  const context = new Context();
  context.register({
    name: 'pool',
    afterRestoreOverlaps: true,
    beforeCheckpoint() {},
    async afterRestore() {
      log.push('pool starts');
      await reconnected.promise;
      log.push('pool done');
    },
  });
  context.register({
    name: 'server',
    beforeCheckpoint() {},
    afterRestore() {
      log.push('server listens');
      setTimeout(() => reconnected.resolve(), 20);
    },
  });
  const result = await checkpointRestore({ engine: createSimulateEngine(), context });
  t.same(log, ['pool starts', 'server listens', 'pool done']);
  t.same(result.resources.filter((r) => r.phase === 'afterRestore').map((r) => r.resource), ['server', 'pool'], 'each timed when it ended');
});

t.test('an overlapping afterRestore that fails still fails the restore', async (t) => {
  const context = new Context();
  context.register({ name: 'pool', afterRestoreOverlaps: true, beforeCheckpoint() {}, afterRestore: () => Promise.reject(new Error('no database')) });
  let serverRan = false;
  context.register({ name: 'server', beforeCheckpoint() {}, afterRestore: () => void (serverRan = true) });
  const error = await checkpointRestore({ engine: createSimulateEngine(), context }).catch((e: unknown) => e);
  t.ok(error instanceof RestoreError);
  t.match((error as RestoreError).message, /no database/);
  t.ok(serverRan, 'the server got its afterRestore all the same');
});
