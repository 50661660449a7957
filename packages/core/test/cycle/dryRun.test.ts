import t from 'tap';
import { CheckpointError, Context, type Engine, checkpointRestore, createSimulateEngine } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

function countingEngine(): Engine & { calls: number } {
  const inner = createSimulateEngine();
  return {
    name: 'counting',
    needsImageDir: false,
    calls: 0,
    checkpoint(request) {
      this.calls++;
      return inner.checkpoint(request);
    },
  };
}

t.test('no image is written when a beforeCheckpoint fails, and the application goes on', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('ok', log));
  context.register(recordingResource('failing', log, { failBefore: true }));
  const engine = countingEngine();
  await t.rejects(checkpointRestore({ engine, context }), CheckpointError);
  t.equal(engine.calls, 0, 'the engine never ran');
  t.same(log, ['before failing', 'before ok', 'after ok', 'after failing']);
  // The process keeps going: a later checkpoint works once the cause is gone.
  const fresh = new Context();
  fresh.register(recordingResource('ok', log));
  t.equal((await checkpointRestore({ engine, context: fresh })).outcome, 'restored');
  t.equal(engine.calls, 1);
});

t.test('a failed dump becomes a CheckpointError and every resource gets afterRestore', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('server', log));
  const dumpError = new Error('criu dump failed: External socket is used');
  const error = (await checkpointRestore({ engine: createSimulateEngine({ fail: dumpError }), context }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  t.equal(error.errors[0], dumpError);
  t.same(log, ['before server', 'after server']);
});

t.test('leaveRunning continues the original process after the hooks', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('server', log));
  const result = await checkpointRestore({ engine: 'simulate', context, leaveRunning: true });
  t.equal(result.outcome, 'continued');
  t.equal(result.restoreTime, undefined);
  t.same(log, ['before server', 'after server']);
});
