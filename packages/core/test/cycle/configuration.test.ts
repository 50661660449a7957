import { setEnv } from '@node-crac/test-kit';
import t from 'tap';
import { CheckpointError, ConfigurationError, Context, checkpointRestore } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('no engine configured is a clear error, and no hook runs', async (t) => {
  setEnv(t, { CRAC_ENGINE: undefined });
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('a', log));
  const error = (await checkpointRestore({ context }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  t.type(error.errors[0], ConfigurationError);
  t.match(error.message, /No checkpoint engine configured.*CRAC_ENGINE=criu/);
  t.same(log, []);
});

t.test('CRAC_ENGINE chooses the engine', async (t) => {
  setEnv(t, { CRAC_ENGINE: 'simulate' });
  const result = await checkpointRestore({ context: new Context() });
  t.equal(result.engine, 'simulate');
});

t.test('an unknown engine name is refused', async (t) => {
  setEnv(t, { CRAC_ENGINE: 'podman' });
  await t.rejects(checkpointRestore({ context: new Context() }), { message: /Unknown checkpoint engine "podman"/ });
});

t.test('an engine that needs an image directory gets one from the option or CRAC_CHECKPOINT_TO', async (t) => {
  setEnv(t, { CRAC_CHECKPOINT_TO: undefined });
  const seen: (string | undefined)[] = [];
  const engine = {
    name: 'imaging',
    needsImageDir: true,
    async checkpoint(request: { imageDir: string | undefined }) {
      seen.push(request.imageDir);
      return { kind: 'continued' as const, imageDir: request.imageDir };
    },
  };
  await t.rejects(checkpointRestore({ engine, context: new Context() }), { message: /imaging engine needs an image directory.*CRAC_CHECKPOINT_TO/ });
  // This fake engine writes nothing, but the test runner's IPC channel would fail the check of one that does.
  await checkpointRestore({ engine, context: new Context(), imageDir: '/tmp/from-option', checkOpenResources: false });
  process.env.CRAC_CHECKPOINT_TO = '/tmp/from-env';
  await checkpointRestore({ engine, context: new Context(), checkOpenResources: false });
  t.same(seen, ['/tmp/from-option', '/tmp/from-env']);
});
