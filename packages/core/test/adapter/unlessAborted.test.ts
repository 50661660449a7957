import { getEventListeners } from 'node:events';
import t from 'tap';
import { unlessAborted } from '../../src/adapter/index.js';

t.test('settles as the work does while the signal does not abort', async (t) => {
  const signal = new AbortController().signal;
  t.equal(await unlessAborted(Promise.resolve('done'), signal), 'done');
  await t.rejects(unlessAborted(Promise.reject(new Error('failed')), signal), { message: 'failed' });
});

t.test('rejects with the reason when the signal aborts first', async (t) => {
  const controller = new AbortController();
  const waiting = unlessAborted(new Promise(() => {}), controller.signal);
  controller.abort(new Error('hook timed out'));
  await t.rejects(waiting, { message: 'hook timed out' });
});

t.test('rejects at once for a signal that has aborted already', async (t) => {
  await t.rejects(unlessAborted(Promise.resolve('late'), AbortSignal.abort(new Error('too late'))), { message: 'too late' });
});

t.test('stops listening to the signal once the work settled', async (t) => {
  const { signal } = new AbortController();
  await unlessAborted(Promise.resolve(), signal);
  await new Promise(setImmediate);
  t.equal(getEventListeners(signal, 'abort').length, 0);
});
