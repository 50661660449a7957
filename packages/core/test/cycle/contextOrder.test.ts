import t from 'tap';
import { Context, checkpointRestore, getGlobalContext } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('beforeCheckpoint runs in reverse registration order, afterRestore in registration order', async (t) => {
  const log: string[] = [];
  const context = new Context();
  for (const name of ['a', 'b', 'c']) context.register(recordingResource(name, log));
  const result = await checkpointRestore({ engine: 'simulate', context });
  t.equal(result.outcome, 'restored');
  t.same(log, ['before c', 'before b', 'before a', 'after a', 'after b', 'after c']);
});

t.test('nested contexts are notified as one resource, in order', async (t) => {
  const log: string[] = [];
  const outer = new Context('outer');
  const inner = new Context('inner');
  outer.register(recordingResource('first', log));
  outer.register(inner);
  inner.register(recordingResource('inner-1', log));
  inner.register(recordingResource('inner-2', log));
  outer.register(recordingResource('last', log));
  await checkpointRestore({ engine: 'simulate', context: outer });
  t.same(log, [
    'before last', 'before inner-2', 'before inner-1', 'before first',
    'after first', 'after inner-1', 'after inner-2', 'after last',
  ]);
});

t.test('hooks run one at a time, even when async', async (t) => {
  const log: string[] = [];
  const context = new Context();
  let running = 0;
  let maxRunning = 0;
  for (const name of ['a', 'b', 'c']) {
    context.register(
      recordingResource(name, log, {
        delayMs: 20,
        onBefore: () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          return new Promise<void>((r) => setTimeout(() => { running--; r(); }, 5));
        },
      }),
    );
  }
  await checkpointRestore({ engine: 'simulate', context });
  t.equal(maxRunning, 1);
  t.same(log.slice(0, 3), ['before c', 'before b', 'before a']);
});

t.test('a resource registered during a notification is notified from the next checkpoint on', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('early', log, { onBefore: () => context.register(recordingResource('late', log)) }));
  await checkpointRestore({ engine: 'simulate', context });
  t.same(log, ['before early', 'after early']);
  log.length = 0;
  await checkpointRestore({ engine: 'simulate', context });
  t.same(log.slice(0, 2), ['before late', 'before early']);
});

t.test('unregister and `using` remove a resource', async (t) => {
  const log: string[] = [];
  const context = new Context();
  const handle = context.register(recordingResource('gone', log));
  {
    using _scoped = context.register(recordingResource('scoped', log));
    t.equal(context.size, 2);
  }
  handle.unregister();
  handle.unregister();
  t.equal(context.size, 0);
  await checkpointRestore({ engine: 'simulate', context });
  t.same(log, []);
});

t.test('register rejects what is not a resource, and a context in itself', async (t) => {
  const context = new Context();
  t.throws(() => context.register({} as never), { name: 'TypeError', message: /needs a Resource/ });
  t.throws(() => context.register(context), { message: /cannot be registered in itself/ });
});

t.test('the global context is the default and is one per process', async (t) => {
  const log: string[] = [];
  t.equal(getGlobalContext(), getGlobalContext());
  const handle = getGlobalContext().register(recordingResource('global', log));
  t.teardown(() => handle.unregister());
  await checkpointRestore({ engine: 'simulate' });
  t.same(log, ['before global', 'after global']);
});

t.test('a context can be notified directly as a resource', async (t) => {
  const log: string[] = [];
  const context = new Context('direct');
  context.register(recordingResource('x', log));
  await context.beforeCheckpoint();
  await context.afterRestore();
  t.same(log, ['before x', 'after x']);
  context.register(recordingResource('bad', log, { failBefore: true, failAfter: true }));
  await t.rejects(context.beforeCheckpoint(), { name: 'CheckpointError', message: /Context "direct" failed before checkpoint/ });
  await t.rejects(context.afterRestore(), { name: 'RestoreError', message: /bad afterRestore: bad could not restore/ });
});
