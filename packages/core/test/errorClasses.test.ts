import t from 'tap';
import * as crac from '../src/index.js';
import * as http from '../src/http/index.js';
import * as adapter from '../src/adapter/index.js';
import { refreshRandomness } from '../src/resumed/freshRandomness.js';
import type { NativeBridge } from '../src/native/bridge.js';

// Every error a caller can meet is a class of its own, exported from the entry
// it belongs to and named like the class, so that `instanceof` and `name` agree.
const entries = { 'node-crac': crac, 'node-crac/http': http, 'node-crac/adapter': adapter };

t.test('each exported error class is named ...Error, and an instance says its name', async (t) => {
  for (const [entry, exports] of Object.entries(entries)) {
    const classes = Object.entries(exports).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error);
    t.ok(classes.length > 0, `${entry} exports error classes`);
    for (const [exported, ErrorClass] of classes) {
      t.match(exported, /^[A-Z]\w*Error$/, `${entry}: ${exported}`);
      t.equal((ErrorClass as { prototype: Error }).prototype.constructor.name, exported);
    }
  }
  t.equal(new crac.HookTimeoutError(5).name, 'HookTimeoutError');
  t.equal(new crac.NativeBridgeError('ERR_CRAC_NATIVE_NOT_BUILT', 'x').name, 'NativeBridgeError');
});

t.test('the errors of the cycle and the native code are exported from node-crac', async (t) => {
  for (const name of [
    'CheckpointError',
    'RestoreError',
    'ResourceError',
    'ConfigurationError',
    'RecursiveCheckpointError',
    'HookTimeoutError',
    'HookStillRunningError',
    'GateOpenedError',
    'GateNotClosedError',
    'OpenResourcesError',
    'ReopenError',
    'PolicyError',
    'JsonSyntaxError',
    'CriuDumpError',
    'CriuNotFoundError',
    'ImageError',
    'NativeBridgeError',
    'ReseedError',
    'UntrustedPathError',
  ]) {
    t.type((crac as Record<string, unknown>)[name], 'function', name);
  }
});

t.test('a restored copy whose OpenSSL cannot reseed fails with ReseedError', async (t) => {
  const bridge = { randPoll: () => false } as unknown as NativeBridge;
  t.throws(() => refreshRandomness(bridge), { name: 'ReseedError', code: 'ERR_CRAC_RESEED_FAILED', message: /RAND_poll\(\) failed/ });
  t.throws(() => refreshRandomness(bridge), crac.ReseedError);
});

t.test('the errors of the listeners are exported from node-crac/http', async (t) => {
  for (const name of ['DrainTimeoutError', 'ListenError', 'HandedListenerError']) t.type((http as Record<string, unknown>)[name], 'function', name);
});
