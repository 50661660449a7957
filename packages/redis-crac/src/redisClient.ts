/**
 * The part of an ioredis client (v5 or v6) that redis-crac uses, typed
 * structurally so that either major version's `Redis` fits.
 */

export interface RedisCommand {
  readonly name: string;
  readonly promise: Promise<unknown>;
  /** Settles `promise` (and the command's callback) with an error; ioredis' Command has it (5 and 6). */
  reject(error: Error): void;
}

/** Connection settings a URL can carry (see redisUrl.ts). */
export interface RedisTarget {
  host?: string;
  port?: number;
  path?: string | null;
  username?: string | null;
  password?: string | null;
  db?: number;
  tls?: unknown;
}

export interface RedisClientOptions extends RedisTarget {
  enableOfflineQueue?: boolean;
  monitor?: boolean;
}

export interface RedisClient {
  status: string;
  readonly options: RedisClientOptions;
  readonly isCluster?: boolean;
  connect(): Promise<void>;
  disconnect(reconnect?: boolean): void;
  // ioredis' central write path: commands, pipelines, transactions and its own handshake all pass here.
  sendCommand(command: RedisCommand, ...rest: unknown[]): unknown;
  once(event: 'end', listener: () => void): unknown;
}
