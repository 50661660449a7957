export { cracRedis, DEFAULT_REPLY_TIMEOUT_MS } from './cracRedis.js';
export type { CracRedis, CracRedisOptions } from './cracRedis.js';
export { redisUrlFromEnv } from './redisUrl.js';
export type { UrlFromEnv } from './redisUrl.js';
export { PendingRepliesError } from './inFlightCommands.js';
export { ReconnectError } from './cracRedisResource.js';
export type { RedisClient, RedisCommand } from './redisClient.js';
export { HeldCommandDiscardedError } from './heldCommandDiscarded.js';
export { HELD_WORK_DISCARDED, HeldWorkDiscardedError } from 'node-crac/adapter';
