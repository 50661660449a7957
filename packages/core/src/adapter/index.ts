// node-crac/adapter: the pieces an adapter for a client library (pg, ioredis) is made of.
export { attachResource } from './attachResource.js';
export type { Attachment, AttachResourceOptions, WithCrac } from './attachResource.js';
export { patchMethod } from './patchMethod.js';
export type { MethodKey, Unpatch } from './patchMethod.js';
export { timeoutOption } from './options.js';
export type { TimeoutOption } from './options.js';
export { unlessAborted } from './unlessAborted.js';
export { HELD_WORK_DISCARDED, HeldWork, HeldWorkDiscardedError } from './heldWork.js';
