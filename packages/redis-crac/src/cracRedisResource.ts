import type { Context, Resource } from 'node-crac';
import { type HeldWork, unlessAborted } from 'node-crac/adapter';
import type { InFlightCommands } from './inFlightCommands.js';
import type { RedisClient } from './redisClient.js';
import { targetFromRedisUrl, type UrlFromEnv } from './redisUrl.js';

/** The client could not connect again after the restore; ioredis keeps retrying by its retryStrategy. */
export class ReconnectError extends Error {
  override name = 'ReconnectError';
}

export interface CracRedisResourceSettings {
  name: string;
  replyTimeoutMs: number;
  urlFromEnv: UrlFromEnv | undefined;
}

// Statuses in which ioredis holds a socket (or is opening one) that disconnect() closes.
const CONNECTED = new Set(['connecting', 'connect', 'ready']);

/**
 * The client's part in a checkpoint. Before: hold new commands, wait for the
 * replies in flight, close the connection. After: connect again (to the
 * restore's REDIS_URL when it changed), then send the held commands in order:
 * in the original (it continues, or the checkpoint failed); in a restored
 * copy they fail with HeldCommandDiscardedError instead.
 */
export class CracRedisResource implements Resource {
  readonly name: string;
  // Commands wait in ioredis's offline queue while it reconnects: a server registered later may listen meanwhile.
  readonly afterRestoreOverlaps = true;
  #reconnect = false;
  #urlBefore: string | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly held: HeldWork,
    private readonly inFlight: InFlightCommands,
    private readonly settings: CracRedisResourceSettings,
  ) {
    this.name = settings.name;
  }

  async beforeCheckpoint(_context: Context, signal: AbortSignal): Promise<void> {
    this.#reconnect = false;
    this.held.gate.close();
    this.#urlBefore = this.settings.urlFromEnv?.(process.env);
    // At the hook timeout, stop waiting: afterRestore, which opens the gate, runs only once this hook has ended.
    await unlessAborted(this.held.gate.drain(this.inFlight.drainOptions(this.settings.replyTimeoutMs)), signal);
    const { status } = this.redis;
    // 'wait' (lazyConnect, never used) and 'end' (closed by the application) hold no socket and stay as they are.
    if (status === 'wait' || status === 'end') return;
    if (!CONNECTED.has(status)) {
      // A pending reconnect timer would carry into the image and reconnect on its own terms.
      throw new Error(`ioredis is "${status}" (the connection to Redis was lost); retry the checkpoint once Redis is reachable again`);
    }
    const ended = new Promise<void>((resolve) => this.redis.once('end', resolve));
    this.#reconnect = true;
    this.redis.disconnect();
    await ended;
  }

  async afterRestore(): Promise<void> {
    let connected: Promise<void> | undefined;
    try {
      if (this.#reconnect && this.redis.status === 'end') {
        this.#applyUrlChange();
        connected = this.redis.connect();
      }
    } finally {
      // Released while ioredis is connecting, the held commands enter its offline queue in order,
      // behind the resubscription it sends first (autoResubscribe) and ahead of anything issued later.
      this.held.release();
    }
    try {
      await connected;
    } catch (cause) {
      throw new ReconnectError(`could not connect to Redis at ${this.#describeTarget()} after the restore: ${(cause as Error).message}`, { cause });
    }
  }

  #applyUrlChange(): void {
    const url = this.settings.urlFromEnv?.(process.env);
    if (url === undefined || url === this.#urlBefore) return;
    const target = targetFromRedisUrl(url, this.redis.options.tls);
    Object.assign(this.redis.options, target);
    // ioredis (5 and 6) keeps the database of the closed connection in prevCondition and SELECTs it
    // again once ready (after resubscribing); the new URL's database must win over it.
    const previous = (this.redis as { prevCondition?: { select?: number } | null }).prevCondition;
    if (previous) previous.select = target.db;
  }

  #describeTarget(): string {
    const { host, port, path, db, tls } = this.redis.options;
    if (path) return path;
    return `${tls ? 'rediss' : 'redis'}://${host?.includes(':') ? `[${host}]` : host}:${port}/${db ?? 0}`;
  }
}
