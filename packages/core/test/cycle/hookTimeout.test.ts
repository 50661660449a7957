import t from 'tap';
import { CheckpointError, Context, DEFAULT_HOOK_TIMEOUT_MS, checkpointRestore } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('a hook that exceeds its timeout counts as failed and the others still run', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('fine', log));
  context.register({ name: 'stuck', beforeCheckpoint: () => new Promise<void>(() => {}), afterRestore() { log.push('after stuck'); } });
  const error = (await checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 50 }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  t.equal(error.errors.length, 1);
  t.match(error.errors[0]?.message, /^stuck beforeCheckpoint: timed out after 50 ms/);
  t.same(log, ['before fine', 'after fine', 'after stuck']);
});

t.test('the timeout comes from CRAC_HOOK_TIMEOUT_MS, and a bad value is a configuration error', async (t) => {
  t.equal(DEFAULT_HOOK_TIMEOUT_MS, 10_000);
  const saved = process.env.CRAC_HOOK_TIMEOUT_MS;
  t.teardown(() => {
    if (saved === undefined) delete process.env.CRAC_HOOK_TIMEOUT_MS;
    else process.env.CRAC_HOOK_TIMEOUT_MS = saved;
  });
  const context = new Context();
  context.register({ name: 'slow', beforeCheckpoint: () => new Promise<void>((r) => setTimeout(r, 500)), afterRestore() {} });
  process.env.CRAC_HOOK_TIMEOUT_MS = '30';
  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.match(error.errors[0]?.message, /timed out after 30 ms/);
  process.env.CRAC_HOOK_TIMEOUT_MS = 'soon';
  const config = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.equal(config.errors[0]?.name, 'ConfigurationError');
  t.match(config.message, /CRAC_HOOK_TIMEOUT_MS must be a positive number/);
});
