import t from 'tap';
import { CheckpointError, Context, ResourceError, RestoreError, checkpointRestore } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('every resource is notified when some throw, and the error holds every cause', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('a', log, { failBefore: true }));
  context.register(recordingResource('b', log));
  context.register(recordingResource('c', log, { failBefore: true }));
  const error = await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e);
  t.type(error, CheckpointError);
  const { errors } = error as CheckpointError;
  t.equal(errors.length, 2);
  t.same(errors.map((e) => (e as ResourceError).resource), ['c', 'a']);
  t.same(errors.map((e) => e.message), ['c beforeCheckpoint: c refused to checkpoint', 'a beforeCheckpoint: a refused to checkpoint']);
  t.match((error as Error).message, /Checkpoint failed, no image was written \(2 causes\)/);
  t.same(log, ['before c', 'before b', 'before a', 'after a', 'after b', 'after c']);
});

t.test('afterRestore failures reject with RestoreError after every afterRestore ran', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('a', log, { failAfter: true }));
  context.register(recordingResource('b', log, { failAfter: true }));
  context.register(recordingResource('c', log));
  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as RestoreError;
  t.type(error, RestoreError);
  t.same(error.errors.map((e) => e.message), ['a afterRestore: a could not restore', 'b afterRestore: b could not restore']);
  t.same(log, ['before c', 'before b', 'before a', 'after a', 'after b', 'after c']);
});

t.test('a dry run reports restore failures too', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('a', log, { failBefore: true, failAfter: true }));
  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  t.same(error.errors.map((e) => (e as ResourceError).phase), ['beforeCheckpoint', 'afterRestore']);
});

t.test('a non-Error throw is still reported with its resource', async (t) => {
  const context = new Context();
  context.register({ name: 'stringy', beforeCheckpoint() { throw 'plain string'; }, afterRestore() {} });
  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.equal(error.errors[0]?.message, 'stringy beforeCheckpoint: plain string');
});

t.test('resources without a name are named after their class', async (t) => {
  class PoolDrainer {
    beforeCheckpoint() { throw new Error('busy'); }
    afterRestore() {}
  }
  const context = new Context();
  context.register(new PoolDrainer());
  context.register({ beforeCheckpoint() { throw new Error('x'); }, afterRestore() {} });
  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.same(error.errors.map((e) => (e as ResourceError).resource), ['anonymous resource', 'PoolDrainer']);
});
