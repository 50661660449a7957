import t from 'tap';
import { CheckpointError, Context, checkpointRestore, createSimulateEngine, cracEvents, type Engine } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('a cracEvents listener that throws neither aborts the cycle nor reaches the caller', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('db', log));
  const warnings: string[] = [];
  const onWarning = (warning: Error) => {
    if (warning.name === 'CracEventListenerWarning') warnings.push(warning.message);
  };
  const throwing = () => {
    throw new Error('observer bug');
  };
  process.on('warning', onWarning);
  cracEvents.on('checkpoint', throwing).on('resource', throwing).on('step', throwing).on('restore', throwing);
  t.teardown(() => {
    process.off('warning', onWarning);
    cracEvents.off('checkpoint', throwing).off('resource', throwing).off('step', throwing).off('restore', throwing);
  });
  const result = await checkpointRestore({ engine: 'simulate', context });
  t.equal(result.outcome, 'restored');
  t.same(log, ['before db', 'after db'], 'the resource got both hooks');
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(warnings.length >= 4, 'every throw became a warning');
  t.match(warnings[0], /a cracEvents '\w+' listener threw: observer bug/);
});

t.test('a throwing checkpointFailed listener still leaves the caller with a CheckpointError', async (t) => {
  const context = new Context();
  context.register(recordingResource('bad', [], { failBefore: true }));
  const throwing = () => {
    throw new Error('observer bug');
  };
  const noWarning = () => {};
  process.on('warning', noWarning);
  cracEvents.on('checkpointFailed', throwing);
  t.teardown(() => {
    cracEvents.off('checkpointFailed', throwing);
    process.off('warning', noWarning);
  });
  const error = await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e);
  t.type(error, CheckpointError);
});

t.test('an engine that rejects with a non-Error gives a readable CheckpointError', async (t) => {
  for (const thrown of ['dump refused', { code: 42 }, undefined, 7]) {
    const engine: Engine = {
      name: 'rejecting',
      needsImageDir: false,
      checkpoint: () => Promise.reject(thrown),
    };
    const error = (await checkpointRestore({ engine, context: new Context() }).catch((e: unknown) => e)) as CheckpointError;
    t.type(error, CheckpointError);
    t.type(error.errors[0], Error, 'every cause is an Error');
    t.match(error.message, /^Checkpoint failed, no image was written \(1 cause\):\n {2}- /);
    t.match(error.message, thrown === undefined ? /undefined/ : typeof thrown === 'object' ? /\{"code":42\}/ : String(thrown));
  }
});

t.test('a hook that throws a non-Error is named with its value', async (t) => {
  const context = new Context();
  context.register({ name: 'odd', beforeCheckpoint: () => Promise.reject('nope'), afterRestore() {} });
  const error = (await checkpointRestore({ engine: createSimulateEngine(), context }).catch((e: unknown) => e)) as CheckpointError;
  t.equal(error.errors[0]?.message, 'odd beforeCheckpoint: nope');
});
