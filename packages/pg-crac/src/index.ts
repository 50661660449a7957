export { createCracPool, DEFAULT_CHECKOUT_TIMEOUT_MS } from './createCracPool.js';
export type { CracPool, CracPoolOptions } from './createCracPool.js';
export { databaseUrlFromEnv } from './restoreConfig.js';
export type { ConfigFromEnv } from './restoreConfig.js';
export { CheckedOutClientsError } from './drainPool.js';
export { ConnectionVerificationError } from './verifyConnection.js';
export { HeldQueryDiscardedError } from './heldQueryDiscarded.js';
export { HELD_WORK_DISCARDED, HeldWorkDiscardedError } from 'node-crac/adapter';
