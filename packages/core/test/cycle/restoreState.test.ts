import { restoreEnvAtTeardown } from '@node-crac/test-kit';
import t from 'tap';
import { Context, checkpointRestore, createSimulateEngine, cracEvents, restoreArguments, restoreTime, uptimeSinceRestore } from '../../src/index.js';
import type { CheckpointEvent, RestoreEvent, ResourceTiming, StepTiming } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('before any restore there is no restore time', async (t) => {
  t.equal(restoreTime(), undefined);
  t.equal(uptimeSinceRestore(), undefined);
  t.same(restoreArguments(), []);
});

t.test('the restore environment and arguments are in place before user afterRestore hooks', async (t) => {
  const context = new Context();
  let seenPort: string | undefined;
  let seenArgs: readonly string[] = [];
  context.register({
    name: 'reader',
    beforeCheckpoint() {},
    afterRestore() {
      seenPort = process.env.CRAC_TEST_PORT;
      seenArgs = restoreArguments();
    },
  });
  restoreEnvAtTeardown(t, ['CRAC_TEST_PORT']); // the restore merges its env into process.env
  const before = Date.now();
  await checkpointRestore({ engine: createSimulateEngine({ env: { CRAC_TEST_PORT: '4100' }, args: ['--verbose'] }), context });
  t.equal(seenPort, '4100');
  t.same(seenArgs, ['--verbose']);
  t.ok((restoreTime() ?? 0) >= before);
  const uptime = uptimeSinceRestore() ?? -1;
  t.ok(uptime >= 0, 'uptime since restore is counted');
  await new Promise((r) => setTimeout(r, 20));
  t.ok((uptimeSinceRestore() ?? 0) > uptime, 'and grows');
});

t.test('events report the checkpoint, the restore and each resource with its timing', async (t) => {
  const context = new Context();
  context.register(recordingResource('db', [], { delayMs: 10 }));
  const checkpoints: CheckpointEvent[] = [];
  const restores: RestoreEvent[] = [];
  const resources: ResourceTiming[] = [];
  const onCheckpoint = (e: CheckpointEvent) => checkpoints.push(e);
  const onRestore = (e: RestoreEvent) => restores.push(e);
  const onResource = (e: ResourceTiming) => resources.push(e);
  cracEvents.on('checkpoint', onCheckpoint).on('restore', onRestore).on('resource', onResource);
  t.teardown(() => { cracEvents.off('checkpoint', onCheckpoint).off('restore', onRestore).off('resource', onResource); });
  await checkpointRestore({ engine: 'simulate', context });
  t.equal(checkpoints.length, 1);
  t.equal(checkpoints[0]?.engine, 'simulate');
  t.equal(restores.length, 1);
  t.equal(restores[0]?.outcome, 'restored');
  const db = resources.filter((r) => r.resource === 'db');
  t.same(db.map((r) => r.phase), ['beforeCheckpoint', 'afterRestore']);
  t.ok((db[0]?.durationMs ?? 0) >= 5, 'the delay is in the timing');
});

t.test("the core's steps run after user hooks at checkpoint and before them at restore", async (t) => {
  const context = new Context();
  context.register(recordingResource('user', []));
  const order: string[] = [];
  const onResource = (e: ResourceTiming) => order.push(`${e.phase} ${e.resource}`);
  const onStep = (e: StepTiming) => order.push(`step ${e.step}`);
  cracEvents.on('resource', onResource).on('step', onStep);
  t.teardown(() => cracEvents.off('resource', onResource).off('step', onStep));
  const result = await checkpointRestore({ engine: 'simulate', context });
  t.same(order, [
    'beforeCheckpoint user',
    'step open-resource check',
    'step engine',
    'step restore environment',
    'step reopen files',
    'afterRestore user',
  ]);
  t.same(result.steps.map((s) => `step ${s.step}`), order.filter((line) => line.startsWith('step ')));
});

t.test('a failed checkpoint emits checkpointFailed', async (t) => {
  const context = new Context();
  context.register(recordingResource('bad', [], { failBefore: true }));
  const failed: unknown[] = [];
  const onFailed = (e: unknown) => failed.push(e);
  cracEvents.on('checkpointFailed', onFailed);
  t.teardown(() => cracEvents.off('checkpointFailed', onFailed));
  await t.rejects(checkpointRestore({ engine: 'simulate', context }));
  t.equal(failed.length, 1);
});
