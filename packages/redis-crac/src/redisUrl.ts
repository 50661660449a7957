import type { RedisTarget } from './redisClient.js';

/** Reads the URL of the Redis server from the environment; undefined when it gives none. */
export type UrlFromEnv = (env: NodeJS.ProcessEnv) => string | undefined;

/** The default: REDIS_URL. */
export const redisUrlFromEnv: UrlFromEnv = (env) => env.REDIS_URL || undefined;

/**
 * The connection settings of a `redis://` or `rediss://` URL, every one of
 * them set (to ioredis' default when the URL leaves it out), so that applying
 * them replaces the old target completely. Keeps `currentTls` for rediss://.
 */
export function targetFromRedisUrl(url: string, currentTls: unknown): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a URL: "${redact(url)}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`"${redact(url)}" is not a redis:// or rediss:// URL`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`"${redact(url)}" names no database number in its path`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: parsed.port ? Number(parsed.port) : 6379,
    path: null,
    username: parsed.username ? decodeURIComponent(parsed.username) : null,
    password: parsed.password ? decodeURIComponent(parsed.password) : null,
    db,
    tls: parsed.protocol === 'rediss:' ? (currentTls ?? {}) : undefined,
  };
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
