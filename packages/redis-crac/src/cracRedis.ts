import { RequestGate, type Context } from 'node-crac';
import { attachResource, HeldWork, timeoutOption, type WithCrac } from 'node-crac/adapter';
import { CracRedisResource } from './cracRedisResource.js';
import { gateSendCommand } from './gateSendCommand.js';
import { InFlightCommands } from './inFlightCommands.js';
import type { RedisClient } from './redisClient.js';
import { redisUrlFromEnv, type UrlFromEnv } from './redisUrl.js';

export interface CracRedisOptions {
  /** Names the client in errors and events. Default: 'redis-crac'. */
  name?: string;
  /** The context to register with. Default: node-crac's global context. */
  context?: Context;
  /**
   * How long a checkpoint waits for replies in flight before it fails. Keep
   * it below the hook timeout (hookTimeoutMs, default 10 s) so the failure
   * names the commands. Default: 5000.
   */
  replyTimeoutMs?: number;
  /**
   * The URL to connect to after a restore, read from the environment; used
   * when it differs from what the environment gave before the checkpoint.
   * Default: REDIS_URL. `false`: always reconnect to the same server.
   */
  urlFromEnv?: UrlFromEnv | false;
}

/** The client, now registered; `crac.unregister()` takes it out of checkpoints again. */
export type CracRedis<R extends RedisClient> = WithCrac<R>;

export const DEFAULT_REPLY_TIMEOUT_MS = 5000;

/** Makes an ioredis client (v5 or v6) take part in checkpoints; returns the same client. */
export function cracRedis<R extends RedisClient>(redis: R, options: CracRedisOptions = {}): CracRedis<R> {
  const replyTimeoutMs = timeoutOption({
    adapter: 'redis-crac',
    option: 'replyTimeoutMs',
    value: options.replyTimeoutMs,
    defaultMs: DEFAULT_REPLY_TIMEOUT_MS,
  });
  if (redis.isCluster) {
    throw new TypeError('redis-crac: ioredis Cluster is not supported; wrap a standalone Redis client (see the README)');
  }
  if (redis.options.monitor) {
    throw new TypeError('redis-crac: a MONITOR connection cannot be held over a checkpoint; open it again after the restore');
  }
  if (redis.options.enableOfflineQueue === false) {
    throw new TypeError('redis-crac: needs enableOfflineQueue (the default): held commands are handed to ioredis while it reconnects');
  }
  const alreadyAttached = 'redis-crac: this client is already registered; call cracRedis() once per client';
  return attachResource(redis, { context: options.context, alreadyAttached }, () => {
    const name = options.name ?? 'redis-crac';
    const held = new HeldWork(new RequestGate());
    const inFlight = new InFlightCommands();
    const urlFromEnv = options.urlFromEnv ?? redisUrlFromEnv;
    const resource = new CracRedisResource(redis, held, inFlight, {
      name,
      replyTimeoutMs,
      urlFromEnv: urlFromEnv === false ? undefined : urlFromEnv,
    });
    return { resource, detach: gateSendCommand(redis, held, inFlight, name) };
  });
}
