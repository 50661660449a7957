import { restoreEnvAtTeardown } from '@node-crac/test-kit';
import t from 'tap';
import type { Resource } from '../../src/index.js';
import { CheckpointError, Context, DEFAULT_HOOK_TIMEOUT_MS, HookStillRunningError, HookTimeoutError, ResourceError, checkpointRestore } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

/** A resource whose beforeCheckpoint ignores its signal and ends only when `finish()` is called. */
function lateResource(name: string, log: string[], onEnd = ''): { resource: Resource; finish: () => void } {
  let finish: () => void = () => {};
  const resource: Resource = {
    name,
    beforeCheckpoint: () =>
      new Promise<void>((resolve) => {
        finish = () => {
          if (onEnd) log.push(onEnd);
          resolve();
        };
      }),
    afterRestore() {
      log.push(`after ${name}`);
    },
  };
  return { resource, finish: () => finish() };
}

t.test('a hook that exceeds its timeout counts as failed, gets an aborted signal, and the others still run', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('fine', log));
  let reason: unknown;
  context.register({
    name: 'stuck',
    beforeCheckpoint: (_context, signal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          reason = signal.reason;
          log.push(`stuck aborted: ${(signal.reason as Error).message}`);
          setImmediate(resolve); // ends after its timeout, well within the grace
        });
      }),
    afterRestore() {
      log.push('after stuck');
    },
  });
  const error = (await checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 50 }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  t.equal(error.errors.length, 1);
  t.match(error.errors[0]?.message, /^stuck beforeCheckpoint: timed out after 50 ms/);
  t.type(reason, HookTimeoutError, 'the signal is aborted with the HookTimeoutError');
  t.match(reason, { code: 'ERR_CRAC_HOOK_TIMEOUT', timeoutMs: 50 });
  t.equal((error.errors[0] as ResourceError).cause, reason, 'the same error is the cause of the failure');
  t.same(log, ['stuck aborted: timed out after 50 ms (raise hookTimeoutMs or CRAC_HOOK_TIMEOUT_MS if it needs longer)', 'before fine', 'after fine', 'after stuck']);
});

t.test("a resource's afterRestore never runs while its timed-out beforeCheckpoint still does", async (t) => {
  const log: string[] = [];
  const { resource, finish } = lateResource('ignores the signal', log, 'before ended');
  const context = new Context();
  context.register(resource);
  const error = (await checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 30 }).catch((e: unknown) => e)) as CheckpointError;
  t.equal(error.errors.length, 2);
  t.match(error.errors[1]?.message, /^ignores the signal afterRestore: not called: its beforeCheckpoint was still running 30 ms after it timed out/);
  t.type((error.errors[1] as ResourceError).cause, HookStillRunningError);
  t.match((error.errors[1] as ResourceError).cause, { code: 'ERR_CRAC_HOOK_STILL_RUNNING', graceMs: 30 });
  t.same(log, [], 'afterRestore was not called');

  // Once it ended, the next cycle's afterRestore runs as usual.
  const second = checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 30 }).catch((e: unknown) => e);
  finish();
  await second;
});

t.test('a hook that ends in time runs the next phase at once', async (t) => {
  const log: string[] = [];
  const context = new Context();
  context.register({
    name: 'slow',
    // ends just after its timeout, well within the grace its afterRestore waits
    beforeCheckpoint: (_context, signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => setImmediate(resolve))),
    afterRestore() {
      log.push('after slow');
    },
  });
  const error = (await checkpointRestore({ engine: 'simulate', context, hookTimeoutMs: 40 }).catch((e: unknown) => e)) as CheckpointError;
  t.equal(error.errors.length, 1, 'only the timeout');
  t.same(log, ['after slow'], 'afterRestore ran once the late beforeCheckpoint ended');
});

t.test('the timeout comes from CRAC_HOOK_TIMEOUT_MS, and a bad value is a configuration error', async (t) => {
  t.equal(DEFAULT_HOOK_TIMEOUT_MS, 10_000);
  restoreEnvAtTeardown(t, ['CRAC_HOOK_TIMEOUT_MS']);
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
