import t from 'tap';
import { checkpointRestore, Context, createSimulateEngine, RequestGate, type Resource } from '../../src/index.js';
import { HELD_WORK_DISCARDED, HeldWork, HeldWorkDiscardedError } from '../../src/adapter/index.js';

/**
 * A stand-in adapter: closes its gate before the checkpoint, releases it
 * after, and holds `issue()` while closed. `log` tells what ran and what was
 * discarded.
 */
function adapter(context: Context) {
  const held = new HeldWork(new RequestGate());
  const log: string[] = [];
  const resource: Resource = {
    name: 'test adapter',
    beforeCheckpoint: () => held.gate.close(),
    afterRestore: () => held.release(),
  };
  context.register(resource);
  const issue = (name: string): void =>
    held.hold(
      () => void log.push(`ran ${name}`),
      () => void log.push(`discarded ${name}`),
    );
  const call = (name: string): Promise<string> =>
    held.call(
      async () => `ran ${name}`,
      () => new HeldWorkDiscardedError('test adapter', name),
    );
  return { held, log, issue, call };
}

type Adapter = ReturnType<typeof adapter>;

/**
 * A context with the stand-in adapter and, registered before it, a resource
 * that runs `during` at the checkpoint (after the adapter: its gate is closed)
 * and `after` at the restore (before the adapter: the gate is still closed).
 */
function adapterWithWork(during: (a: Adapter) => void, after: (a: Adapter) => void = () => {}): { context: Context; a: Adapter } {
  const context = new Context();
  let a!: Adapter;
  context.register({ name: 'test: around the adapter', beforeCheckpoint: () => during(a), afterRestore: () => after(a) });
  a = adapter(context);
  return { context, a };
}

t.test('held work is discarded in a restored copy, in the order it came', async (t) => {
  const { context, a } = adapterWithWork((a) => {
    a.issue('first');
    a.issue('second');
  });
  const result = await checkpointRestore({ engine: 'simulate', context, checkOpenResources: false });
  t.equal(result.outcome, 'restored');
  t.same(a.log, ['discarded first', 'discarded second']);
  t.equal(a.held.gate.isOpen, true, 'the gate is open again');
  a.issue('later');
  t.same(a.log.at(-1), 'ran later', 'work issued after the restore runs');
});

t.test('held work runs once in the original that continues (leaveRunning), in order', async (t) => {
  const { context, a } = adapterWithWork((a) => {
    a.issue('first');
    a.issue('second');
  });
  const result = await checkpointRestore({ engine: 'simulate', context, leaveRunning: true, checkOpenResources: false });
  t.equal(result.outcome, 'continued');
  t.same(a.log, ['ran first', 'ran second']);
});

t.test('held work runs when the checkpoint fails', async (t) => {
  const { context, a } = adapterWithWork((a) => a.issue('held'));
  await t.rejects(checkpointRestore({ engine: createSimulateEngine({ fail: new Error('dump failed') }), context, checkOpenResources: false }), {
    name: 'CheckpointError',
  });
  t.same(a.log, ['ran held']);
});

t.test('the promise form rejects with the typed error in a restored copy and resolves in the original', async (t) => {
  for (const leaveRunning of [false, true]) {
    let pending!: Promise<string>;
    const { context } = adapterWithWork((a) => {
      pending = a.call('INSERT');
    });
    await checkpointRestore({ engine: 'simulate', context, leaveRunning, checkOpenResources: false });
    if (leaveRunning) {
      t.equal(await pending, 'ran INSERT', 'continued: it ran');
      continue;
    }
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(error, HeldWorkDiscardedError, 'restored: typed error');
    t.equal((error as HeldWorkDiscardedError).code, HELD_WORK_DISCARDED);
    t.equal((error as HeldWorkDiscardedError).code, 'ERR_CRAC_HELD_WORK_DISCARDED');
    t.match((error as Error).message, /^test adapter: INSERT was issued before the checkpoint and held; it did not run in this restored copy/);
  }
});

t.test('work the copy issues itself before the gate opens is not discarded', async (t) => {
  // Notified before the adapter at the restore: the copy already is itself, the gate still closed.
  const { context, a } = adapterWithWork(
    (a) => a.issue('before the image'),
    (a) => a.issue('in the copy'),
  );
  await checkpointRestore({ engine: 'simulate', context, checkOpenResources: false });
  t.same(a.log, ['discarded before the image', 'ran in the copy']);
});

t.test('an open gate runs work at once; release() outside a cycle runs what it held', async (t) => {
  const held = new HeldWork(new RequestGate());
  const log: string[] = [];
  held.hold(
    () => void log.push('ran now'),
    () => void log.push('discarded'),
  );
  t.equal(await held.call(async () => 'called now', () => new Error('not discarded')), 'called now');
  held.gate.close();
  held.hold(
    () => void log.push('ran at release'),
    () => void log.push('discarded'),
  );
  held.release();
  t.same(log, ['ran now', 'ran at release']);
});
