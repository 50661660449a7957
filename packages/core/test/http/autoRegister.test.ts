import { createServer, type Server } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import t, { type Test } from 'tap';
import { Context, checkpointRestore, createSimulateEngine, installCheckpointTrigger, type Resource } from 'node-crac';
import { installAutoRegistration, registerServer } from 'node-crac/http';
import { closeServer, freePort, get, setEnv, tryConnect } from '@node-crac/test-kit';

// What `crac run` and `crac checkpoint` preload: every server the app listens
// on takes part in checkpoints, unless an adapter or the app registered it.

const portOf = (server: NetServer): number => (server.address() as { port: number }).port;

function listen(server: NetServer, port = 0): Promise<void> {
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
}

/** A test context with automatic registration installed into it for the test. */
function autoContext(t: Test) {
  const context = new Context('test');
  t.teardown(installAutoRegistration(context));
  const cycle = (env?: Record<string, string>) => checkpointRestore({ engine: createSimulateEngine({ env }), context, checkOpenResources: false });
  return { context, cycle };
}

function hello(t: Test, text = 'hello'): Server {
  const server = createServer((_req, res) => res.end(text));
  t.teardown(() => closeServer(server));
  return server;
}

t.test('an http server the app listens on is drained and listens again, with no code for it', async (t) => {
  setEnv(t, { PORT: undefined });
  const { context, cycle } = autoContext(t);
  const server = hello(t);
  await listen(server);
  t.equal(context.size, 1, 'registered once it listens');
  const result = await cycle();
  t.match(result.resources, [
    { resource: `http server 127.0.0.1:${portOf(server)} (automatic)`, phase: 'beforeCheckpoint' },
    { phase: 'afterRestore' },
  ]);
  t.equal((await get(portOf(server), '/')).body, 'hello', 'serving again');
});

t.test('HTTP/2 and plain node:net servers are registered too', async (t) => {
  const { context, cycle } = autoContext(t);
  const http2 = createHttp2Server();
  const net = createNetServer((socket) => socket.end());
  t.teardown(() => closeServer(http2));
  t.teardown(() => closeServer(net));
  await listen(http2);
  await listen(net);
  t.equal(context.size, 2);
  const expected = [`net server 127.0.0.1:${portOf(net)} (automatic)`, `http2 server 127.0.0.1:${portOf(http2)} (automatic)`];
  const names = (await cycle()).resources.filter((r) => r.phase === 'beforeCheckpoint').map((r) => r.resource);
  t.same(names, expected);
  // Both asked for port 0: each listens again on a free port of its own.
  t.equal(await tryConnect(portOf(net)), 'connected');
  t.equal(await tryConnect(portOf(http2)), 'connected');
});

t.test('a server registered before it listens (an adapter) is left to that registration', async (t) => {
  const { context, cycle } = autoContext(t);
  const server = hello(t);
  const crac = registerServer(server, { context, name: 'my server' });
  await listen(server);
  t.equal(context.size, 1, 'no automatic registration beside it');
  const names = (await cycle()).resources.map((r) => r.resource);
  t.same(names, ['my server', 'my server']);
  t.equal(crac.resource.lastDrain?.length, 1);
});

t.test('a server registered after it listens (express-crac on app.listen()) is drained once, by that registration', async (t) => {
  const { context, cycle } = autoContext(t);
  const server = hello(t);
  server.listen(0, '127.0.0.1');
  const crac = registerServer(server, { context, name: 'express server', drainTimeoutMs: 1234 });
  await new Promise((resolve) => server.once('listening', resolve));
  const result = await cycle();
  t.same(result.resources.filter((r) => r.error).map((r) => r.resource), [], 'no hook failed');
  t.equal(crac.resource.lastDrain?.length, 1, 'the explicit registration drained it');
  t.equal(crac.resource.status, 'active');
  t.equal((await get(portOf(server), '/')).body, 'hello', 'serving again');
  // Registering the same server again behaves as registering it once.
  registerServer(server, { context, name: 'express server again' });
  const again = await cycle();
  t.same(again.resources.filter((r) => r.error), []);
  t.equal((await get(portOf(server), '/')).body, 'hello', 'serving again after the second cycle');
});

t.test("an app's own resource that closes and listens again by hand is not in the way", async (t) => {
  const { context, cycle } = autoContext(t);
  const server = hello(t);
  const own: Resource = {
    name: 'by hand',
    beforeCheckpoint: () => new Promise<void>((resolve) => server.close(() => resolve())),
    afterRestore: () => listen(server, port),
  };
  context.register(own);
  await listen(server);
  const port = portOf(server);
  const result = await cycle();
  t.same(result.resources.filter((r) => r.error), [], 'no hook failed');
  t.equal((await get(port, '/')).body, 'hello');
});

t.test('a server the app closed for good is not listened on again', async (t) => {
  const { context, cycle } = autoContext(t);
  const server = hello(t);
  await listen(server);
  await closeServer(server);
  t.equal(context.size, 0, 'unregistered when the app closed it');
  await cycle();
  t.equal(server.listening, false);
});

t.test('with a new PORT, the server on the old PORT moves, one on port 0 takes a new free port, one on another fixed port stays', async (t) => {
  const [appPort, adminPort, newPort] = [await freePort(), await freePort(), await freePort()];
  setEnv(t, { PORT: String(appPort) });
  const { cycle } = autoContext(t);
  const app = hello(t, 'app');
  const any = hello(t, 'any');
  const admin = hello(t, 'admin');
  await listen(app, appPort);
  await listen(any, 0);
  await listen(admin, adminPort);
  const anyPort = portOf(any);
  await cycle({ PORT: String(newPort) });
  t.equal(portOf(app), newPort, 'the app server moved to the new PORT');
  t.equal((await get(newPort, '/')).body, 'app');
  t.not(portOf(any), anyPort, 'the port-0 server took a new free port');
  t.equal((await get(portOf(any), '/')).body, 'any');
  t.equal(portOf(admin), adminPort, 'the admin server stayed on its port');
});

t.test('without PORT at checkpoint, the first server to listen follows the restore PORT, and its second binding with it', async (t) => {
  setEnv(t, { PORT: undefined });
  const [appPort, otherPort, newPort] = [await freePort(), await freePort(), await freePort()];
  const { cycle } = autoContext(t);
  const app = hello(t, 'app');
  const sameAppOtherHost = createServer((_req, res) => res.end('app on 127.0.0.2'));
  t.teardown(() => closeServer(sameAppOtherHost));
  const other = hello(t, 'other');
  await listen(app, appPort);
  await new Promise<void>((resolve, reject) => sameAppOtherHost.once('error', reject).listen(appPort, '127.0.0.2', resolve));
  await listen(other, otherPort);
  await cycle({ PORT: String(newPort) });
  t.equal(portOf(app), newPort);
  t.equal(portOf(sameAppOtherHost), newPort, 'the second binding of the app port moved too');
  t.equal(portOf(other), otherPort);
});

t.test('installing twice gives the same undo; after the undo, servers are left alone', async (t) => {
  const context = new Context('test');
  const uninstall = installAutoRegistration(context);
  t.equal(installAutoRegistration(context), uninstall);
  uninstall();
  const server = hello(t);
  await listen(server);
  t.equal(context.size, 0);
});

t.test("node-crac's own trigger socket is not registered", async (t) => {
  const { context } = autoContext(t);
  t.teardown(installCheckpointTrigger());
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(context.size, 0);
});
