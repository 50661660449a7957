'use strict';
// A Koa app made checkpointable with koa-crac, which drains and closes the
// http.Server before a checkpoint and listens again after a restore.
const Koa = require('koa');
const Router = require('@koa/router');
const koaCrac = require('koa-crac');

const app = new Koa();
const router = new Router();

router.get('/', (ctx) => {
  ctx.body = { hello: 'koa', pid: process.pid };
});
router.get('/time', (ctx) => {
  ctx.body = { now: new Date().toISOString(), uptime: process.uptime() };
});

app.use(router.routes()).use(router.allowedMethods());

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const server = app.listen(port, host, () => console.log(`koa listening on http://${host}:${port}`));
koaCrac.register(server);
