import { createServer } from 'node:net';
import t from 'tap';
import { CheckpointError, Context, checkpointRestore } from '../../src/index.js';
import { recordingResource } from '../fixtures/recorder.js';

t.test('the open-resource check runs with the simulate engine, after every user hook', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const log: string[] = [];
  const context = new Context();
  context.register(recordingResource('app', log));
  const error = (await checkpointRestore({ engine: 'simulate', context }).catch((e: unknown) => e)) as CheckpointError;
  t.type(error, CheckpointError);
  t.equal(error.errors.length, 1);
  t.match(error.errors[0]?.message, new RegExp(`fd \\d+: tcp 127\\.0\\.0\\.1:${port} LISTEN`));
  t.same(log, ['before app', 'after app'], 'the application got afterRestore and goes on');
});

t.test('a resource that closes its listener lets the checkpoint pass', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  t.teardown(() => server.close());
  const context = new Context();
  context.register({
    name: 'listener',
    beforeCheckpoint: () => new Promise<void>((r) => server.close(() => r())),
    afterRestore: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
  });
  t.equal((await checkpointRestore({ engine: 'simulate', context })).outcome, 'restored');
  t.ok(server.listening, 'listening again after the restore');
});

t.test('checkOpenResources: false turns the check off', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  t.equal((await checkpointRestore({ engine: 'simulate', context: new Context(), checkOpenResources: false })).outcome, 'restored');
});
