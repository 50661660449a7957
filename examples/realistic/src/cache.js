'use strict';
// Redis through redis-crac: commands issued during a checkpoint are held and
// sent after the restore, and the connection is made again in every copy.
const Redis = require('ioredis');
const { cracRedis } = require('redis-crac');

const TTL_SECONDS = 30;

function connectCache(config) {
  const redis = cracRedis(new Redis(config.REDIS_URL, { keyPrefix: 'crac-example:' }));
  return {
    redis,
    async remember(key, load) {
      const hit = await redis.get(key);
      if (hit !== null) return JSON.parse(hit);
      const value = await load();
      if (value !== undefined) await redis.set(key, JSON.stringify(value), 'EX', TTL_SECONDS);
      return value;
    },
    forget(key) {
      return redis.del(key);
    },
  };
}

module.exports = { connectCache };
