'use strict';
// Builds the whole service: logger, CRaC plugin, database, cache, 300 routes.
const Fastify = require('fastify');
const pino = require('pino');
const fastifyCrac = require('fastify-crac');
const { resources } = require('./catalog');
const { connectDatabase, migrate } = require('./db');
const { connectCache } = require('./cache');
const { registerResource } = require('./routes');

async function buildApp() {
  const logger = pino({ level: process.env.LOG_LEVEL || 'info' });
  const app = Fastify({ loggerInstance: logger });
  await app.register(fastifyCrac);

  const db = connectDatabase();
  const cache = connectCache();
  const catalog = resources();
  await migrate(db, catalog.map((resource) => resource.name));

  // A dependency-checking route: it answers 200 only when PostgreSQL and Redis both do.
  app.get('/health', async () => {
    const [pong] = await Promise.all([cache.redis.ping(), db.selectNoFrom((eb) => eb.val(1).as('one')).execute()]);
    return { status: 'ok', redis: pong, pid: process.pid };
  });
  for (const resource of catalog) registerResource(app, resource, { db, cache });

  app.addHook('onClose', async () => {
    await db.destroy();
    cache.redis.disconnect();
  });
  return app;
}

module.exports = { buildApp };
