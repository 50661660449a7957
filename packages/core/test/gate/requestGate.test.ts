import t from 'tap';
import { GateOpenedError, RequestGate } from '../../src/index.js';

t.test('an open gate runs requests at once', async (t) => {
  const gate = new RequestGate();
  const log: string[] = [];
  gate.submit(() => log.push('a'));
  t.same(log, ['a']);
  t.equal(await gate.call(async () => 'b'), 'b');
});

t.test('a closed gate holds requests and runs them in order when opened, before later ones', async (t) => {
  const gate = new RequestGate();
  const log: string[] = [];
  gate.close();
  gate.submit(() => log.push('first'));
  const second = gate.call(async () => {
    log.push('second');
    return 2;
  });
  gate.submit(() => log.push('third'));
  t.equal(gate.heldCount, 3);
  t.same(log, []);
  gate.open();
  gate.submit(() => log.push('after open'));
  t.same(log, ['first', 'second', 'third', 'after open']);
  t.equal(await second, 2);
  t.equal(gate.heldCount, 0);
});

t.test('a held request that throws does not stop the others', async (t) => {
  const gate = new RequestGate();
  const log: string[] = [];
  gate.close();
  gate.submit(() => {
    throw new Error('boom');
  });
  gate.submit(() => log.push('still runs'));
  t.throws(() => gate.open(), { message: /1 held request\(s\) threw/ });
  t.same(log, ['still runs']);
  t.ok(gate.isOpen);
});

t.test('drain resolves when the watched state says drained', async (t) => {
  const gate = new RequestGate();
  let busy = 2;
  let recheck = (): void => {};
  gate.close();
  const drained = gate.drain({
    isDrained: () => busy === 0,
    watch: (fn) => {
      recheck = fn;
      return () => (recheck = () => {});
    },
    timeoutMs: 60_000,
    timeoutError: () => new Error('not drained'),
  });
  busy = 1;
  recheck();
  busy = 0;
  recheck();
  await drained;
  t.pass('drained');
});

t.test('drain fails with the caller\'s error on timeout, and with GateOpenedError when opened first', async (t) => {
  const gate = new RequestGate();
  gate.close();
  const options = { isDrained: () => false, watch: () => () => {}, timeoutError: () => new Error('3 still busy') };
  await t.rejects(gate.drain({ ...options, timeoutMs: 1 }), { message: '3 still busy' });
  const waiting = gate.drain({ ...options, timeoutMs: 60_000 });
  gate.open();
  await t.rejects(waiting, GateOpenedError);
});

t.test('drain needs a closed gate', async (t) => {
  await t.rejects(new RequestGate().drain({ isDrained: () => true, watch: () => () => {}, timeoutMs: 1, timeoutError: () => new Error() }), {
    name: 'GateNotClosedError',
    message: /needs a closed gate/,
  });
});
