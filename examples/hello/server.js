'use strict';
// The smallest checkpointable server: Fastify plus the fastify-crac plugin,
// which closes the listener before a checkpoint and listens again after a restore.
const Fastify = require('fastify');
const fastifyCrac = require('fastify-crac');

const app = Fastify({ logger: { level: process.env.LOG_LEVEL || 'info' } });
app.register(fastifyCrac);

app.get('/', async () => ({ hello: 'world', pid: process.pid }));

app.listen({ port: Number(process.env.PORT || 3000), host: process.env.HOST || '127.0.0.1' }).catch((error) => {
  app.log.error(error);
  process.exit(1);
});
