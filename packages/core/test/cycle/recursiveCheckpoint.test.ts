import t from 'tap';
import { CheckpointError, Context, RecursiveCheckpointError, checkpointRestore } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('a checkpoint requested from inside a hook is refused, and the outer one completes', async (t) => {
  const log: string[] = [];
  const context = new Context();
  let inner: unknown;
  context.register(
    recordingResource('reentrant', log, {
      onBefore: () => checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => { inner = e; }),
    }),
  );
  const result = await checkpointRestore({ engine: 'simulate', context });
  t.equal(result.outcome, 'restored');
  t.type(inner, CheckpointError);
  t.match((inner as Error).message, /Recursive checkpoint refused[\s\S]*recursive checkpoint/);
  t.type((inner as CheckpointError).errors[0], RecursiveCheckpointError);
  t.same(log, ['before reentrant', 'after reentrant']);
});

t.test('from afterRestore too', async (t) => {
  const context = new Context();
  let inner: unknown;
  context.register(
    recordingResource('reentrant', [], {
      onAfter: () => checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => { inner = e; }),
    }),
  );
  await checkpointRestore({ engine: 'simulate', context });
  t.type(inner, CheckpointError);
});

t.test('work started in a hook that outlives it (a server listening again in afterRestore) may checkpoint later', async (t) => {
  const context = new Context();
  let later: Promise<unknown> | undefined;
  context.register(
    recordingResource('relistening', [], {
      onAfter: () => void setTimeout(() => (later ??= checkpointRestore({ engine: 'simulate', context })), 10),
    }),
  );
  await checkpointRestore({ engine: 'simulate', context });
  while (!later) await new Promise((r) => setTimeout(r, 5));
  t.match(await later, { outcome: 'restored' });
});

t.test('concurrent calls are serialized: the second cycle starts after the first ended', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('slow', log, { delayMs: 30 }));
  const results = await Promise.all([
    checkpointRestore({ engine: 'simulate', context }),
    checkpointRestore({ engine: 'simulate', context }),
  ]);
  t.same(results.map((r) => r.outcome), ['restored', 'restored']);
  t.same(log, ['before slow', 'after slow', 'before slow', 'after slow']);
});

t.test('a failed cycle does not block the next one', async (t) => {
  const context = new Context();
  const failing = context.register(recordingResource('failing', [], { failBefore: true }));
  await t.rejects(checkpointRestore({ engine: 'simulate', context }), CheckpointError);
  failing.unregister();
  t.equal((await checkpointRestore({ engine: 'simulate', context })).outcome, 'restored');
});
