import { createServer } from 'node:http';
import Koa from 'koa';
import t from 'tap';
import { closeServer } from '@node-crac/test-kit';
import { portOf, runningServer, testAdapterScenarios } from '@node-crac/test-kit/http/adapterScenarios';
import { register } from '../src/index.js';

// A server of one's own around app.callback(), registered before it listens.
testAdapterScenarios(t, async ({ context, routes, warmup, checkpointOnReady }) => {
  const app = new Koa();
  app.use(async (ctx) => {
    const route = routes[ctx.path];
    if (route) ctx.body = await route(ctx.headers);
  });
  const server = createServer(app.callback());
  const crac = register(server, { context, warmup: warmup && ((s) => warmup(portOf(s))), checkpointOnReady });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return runningServer(server, crac);
});

t.test('the server app.listen() returns works the same', async (t) => {
  const app = new Koa();
  app.use((ctx) => void (ctx.body = 'hello'));
  const server = app.listen(0, '127.0.0.1');
  const crac = register(server);
  t.teardown(async () => {
    crac.unregister();
    await closeServer(server);
  });
  t.same(await crac.ready, { kind: 'reported', launcher: false });
  t.equal(crac.resource.name, 'koa server');
  t.same(crac.resource.addresses, [`127.0.0.1:${portOf(server)}`]);
});
