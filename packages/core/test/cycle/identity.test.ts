import t from 'tap';
import { Context, checkpointRestore, createSimulateEngine, cycleOutcome, instanceId, restoreId, type CycleOutcome } from '../../src/index.js';

t.test('a process never restored has an instance id and no restore id', async (t) => {
  t.match(instanceId(), /^[0-9a-f-]{36}$/);
  t.equal(restoreId(), undefined);
});

t.test('afterRestore hooks learn how the cycle ended; a restored copy gets new ids', async (t) => {
  const seen: (CycleOutcome | undefined)[] = [];
  const context = new Context();
  context.register({ name: 'watcher', beforeCheckpoint() {}, afterRestore: () => void seen.push(cycleOutcome()) });
  const original = instanceId();

  await checkpointRestore({ engine: 'simulate', context, leaveRunning: true });
  t.equal(instanceId(), original, 'the original that continues keeps its id');
  t.equal(restoreId(), undefined);

  await checkpointRestore({ engine: 'simulate', context });
  const firstCopy = restoreId();
  t.match(firstCopy, /^[0-9a-f-]{36}$/, 'a restored copy has a restore id');
  t.equal(instanceId(), firstCopy, 'which is also its instance id');
  await checkpointRestore({ engine: 'simulate', context });
  t.not(restoreId(), firstCopy, 'every restore gets a new one');

  const failing = new Context();
  failing.register({ name: 'watcher', beforeCheckpoint() {}, afterRestore: () => void seen.push(cycleOutcome()) });
  await t.rejects(checkpointRestore({ engine: createSimulateEngine({ fail: new Error('no') }), context: failing }));
  t.same(seen, ['continued', 'restored', 'restored', 'failed']);
  t.equal(cycleOutcome(), undefined, 'outside a hook there is none');
});
