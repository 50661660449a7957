'use strict';
// Builds the whole service: config, logger, CRaC plugin, security headers, CORS,
// rate limiting in Redis, JWT auth for writes, OpenAPI document, database,
// cache, 300 routes.
const Fastify = require('fastify');
const pino = require('pino');
const fastifyCrac = require('fastify-crac');
const { cracEvents } = require('node-crac');
const { loadConfig } = require('./config');
const { resources } = require('./catalog');
const { connectDatabase, migrate } = require('./db');
const { connectCache } = require('./cache');
const { registerResource } = require('./routes');
const { warmupForCheckpoint } = require('./warmup');

async function buildApp() {
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL });
  const app = Fastify({ loggerInstance: logger });

  // Database and cache take part in checkpoints before the server does (newest
  // registration first), so the server has drained before they close. After a
  // restore their afterRestore overlaps the server's: it listens while they
  // reconnect, and requests wait for them.
  const db = connectDatabase(config);
  const cache = connectCache(config);
  const catalog = resources();
  await app.register(fastifyCrac, { warmup: warmupForCheckpoint(catalog) });
  await migrate(db, catalog.map((resource) => resource.name));

  await app.register(require('@fastify/helmet'));
  await app.register(require('@fastify/cors'), { origin: config.CORS_ORIGINS });
  await app.register(require('@fastify/rate-limit'), { max: config.RATE_LIMIT_MAX, timeWindow: '1 minute', redis: cache.redis });
  await app.register(require('@fastify/jwt'), { secret: config.JWT_SECRET });
  await app.register(require('@fastify/swagger'), {
    openapi: { info: { title: 'node-crac realistic example', version: '1.0.0' } },
  });

  // A dependency-checking route: it answers 200 only when PostgreSQL and Redis both do.
  app.get('/health', async () => {
    const [pong] = await Promise.all([cache.redis.ping(), db.selectNoFrom((eb) => eb.val(1).as('one')).execute()]);
    return { status: 'ok', redis: pong, pid: process.pid };
  });
  app.get('/documentation/json', { schema: { hide: true } }, async () => app.swagger());
  const authenticate = async (request) => {
    await request.jwtVerify();
  };
  for (const resource of catalog) registerResource(app, resource, { db, cache, authenticate });

  // Build the OpenAPI document once at boot: a broken schema fails the start, not a client.
  app.addHook('onReady', async () => {
    app.swagger();
  });
  // What each afterRestore hook cost in this copy, for the logs.
  cracEvents.on('restore', ({ outcome, restoreTime, resources: hooks }) => {
    app.log.info(
      {
        outcome,
        // restoreTime: wall time at which `crac restore` started.
        sinceRestoreStartMs: restoreTime === undefined ? undefined : Date.now() - restoreTime,
        hooks: hooks.filter((h) => h.phase === 'afterRestore').map((h) => `${h.resource} ${h.durationMs.toFixed(1)} ms`),
      },
      'restored from a checkpoint',
    );
  });
  app.addHook('onClose', async () => {
    await db.destroy();
    cache.redis.disconnect();
  });
  return { app, config };
}

module.exports = { buildApp };
