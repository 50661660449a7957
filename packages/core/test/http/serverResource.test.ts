import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CheckpointError, ConfigurationError, Context, checkpointRestore, createSimulateEngine, cycleOutcome, type ResourceError, RestoreError, type Resource } from 'node-crac';
import { createServerResource, DrainTimeoutError, ListenError, type ServerResourceOptions } from 'node-crac/http';
import { closeServer, deferred, freePort, get, setEnv, tryConnect } from '@node-crac/test-kit';

const portOf = (server: Server): number => (server.address() as { port: number }).port;

function helloServer(t: Test): Server {
  const server = createServer((_req, res) => res.end('hello'));
  t.teardown(() => closeServer(server));
  return server;
}

function listen(server: Server, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
}

/** A context with `first` registered ahead of the server's resource (notified after it at checkpoint, before it at restore). */
function setup(server: Server, options: ServerResourceOptions = {}, first: Resource[] = []) {
  const context = new Context('test');
  for (const resource of first) context.register(resource);
  const resource = createServerResource(server, options);
  context.register(resource);
  const cycle = (env?: Record<string, string>) => checkpointRestore({ engine: createSimulateEngine({ env }), context, checkOpenResources: false });
  return { resource, cycle };
}

/** Unsets `names` for one test; a restore merges its env into process.env, and the old values come back at teardown. */
const keepEnv = (t: Test, ...names: string[]): void => setEnv(t, Object.fromEntries(names.map((name) => [name, undefined])));

t.test('a server that does not listen is left alone', async (t) => {
  const server = helloServer(t);
  const { resource, cycle } = setup(server);
  await cycle();
  t.equal(server.listening, false, 'not started by the restore');
  t.equal(resource.status, 'active');
  t.equal(resource.lastDrain, undefined);
});

t.test('reports the drain, its status and the addresses through the cycle', async (t) => {
  const server = helloServer(t);
  await listen(server, 0);
  const address = `127.0.0.1:${portOf(server)}`;
  const log: string[] = [];
  const observer: Resource = { name: 'observer', beforeCheckpoint: () => void log.push(`${resource.status} ${resource.addresses}`), afterRestore: () => void log.push(`${resource.status} ${resource.addresses}`) };
  const { resource, cycle } = setup(server, { onDrained: (reports) => log.push(`drained ${reports.map((r) => r.address)}`), onListening: (addresses) => log.push(`listening ${addresses}`) }, [observer]);
  await cycle();
  t.same(log, [`drained ${address}`, `checkpointed ${address}`, `checkpointed ${address}`, `listening ${address}`]);
  t.equal(resource.status, 'active');
  t.match(resource.lastDrain, [{ address, inFlight: 0, completed: 0, forcedClosed: 0, timedOut: false }]);
});

t.test('EADDRINUSE after the restore is a RestoreError naming the address', async (t) => {
  const server = helloServer(t);
  await listen(server, 0);
  const port = portOf(server);
  const squatter = helloServer(t);
  // Takes the port while the server is closed, as another restored copy would.
  const takesThePort: Resource = { name: 'squatter', beforeCheckpoint() {}, afterRestore: () => listen(squatter, port) };
  const { resource, cycle } = setup(server, {}, [takesThePort]);
  const error = await cycle().then(() => undefined, (e: unknown) => e);
  t.type(error, RestoreError);
  const cause = (error as RestoreError).errors[0]?.cause;
  t.type(cause, ListenError);
  t.equal((cause as ListenError).code, 'EADDRINUSE');
  t.match((error as Error).message, `could not listen again on 127.0.0.1:${port}: the address is already in use (EADDRINUSE)`);
  t.equal(resource.status, 'failed');
  t.equal(server.listening, false);
});

t.test('a PORT given at restore that is no port number fails the restore clearly', async (t) => {
  keepEnv(t, 'PORT');
  const server = helloServer(t);
  await listen(server, 0);
  const { resource, cycle } = setup(server);
  const error = (await cycle({ PORT: 'eighty' }).catch((e: unknown) => e)) as RestoreError;
  t.match(error, { name: 'RestoreError', message: /PORT="eighty" given at restore is not a TCP port/ });
  t.type((error.errors[0] as ResourceError).cause, ConfigurationError);
  t.equal(resource.status, 'failed');
  t.equal(server.listening, false, 'not on the old port either');
});

t.test('PORT moves the server only when the restore changes it', async (t) => {
  keepEnv(t, 'PORT');
  process.env.PORT = '1'; // set at start, but the app listens elsewhere
  const server = helloServer(t);
  await listen(server, 0);
  const port = portOf(server);
  const { cycle } = setup(server);
  await cycle();
  t.equal(portOf(server), port, 'an unchanged PORT leaves the address alone');
});

t.test('listenEnv picks other variables, or none', async (t) => {
  keepEnv(t, 'PORT', 'APP_PORT');
  const server = helloServer(t);
  await listen(server, 0);
  const port = portOf(server);
  const { cycle } = setup(server, { listenEnv: { port: 'APP_PORT' } });
  const newPort = await freePort();
  await cycle({ PORT: String(await freePort()) });
  t.equal(portOf(server), port, 'PORT is not read');
  await cycle({ APP_PORT: String(newPort) });
  t.equal(portOf(server), newPort, 'APP_PORT is');

  const fixed = helloServer(t);
  await listen(fixed, 0);
  const fixedPort = portOf(fixed);
  await setup(fixed, { listenEnv: false }).cycle({ PORT: String(await freePort()) });
  t.equal(portOf(fixed), fixedPort, 'listenEnv: false keeps the recorded address');
});

t.test('HOST given at restore moves the server to that host', async (t) => {
  keepEnv(t, 'HOST');
  const server = helloServer(t);
  await listen(server, 0);
  const port = portOf(server);
  const { resource, cycle } = setup(server);
  await cycle({ HOST: '::1' });
  t.same(resource.addresses, [`[::1]:${port}`]);
  t.equal(await tryConnect(port), 'ECONNREFUSED', 'no longer on 127.0.0.1');
});

t.test("with onDrainTimeout: 'close', the remaining connections are closed at the drain timeout and reported", async (t) => {
  const entered = deferred();
  const server = createServer(() => entered.resolve()); // never answers
  t.teardown(() => closeServer(server));
  await listen(server, 0);
  const { resource, cycle } = setup(server, { drainTimeoutMs: 50, onDrainTimeout: 'close' });
  const stuck = get(portOf(server), '/').then(() => 'answered', (error: NodeJS.ErrnoException) => error.code);
  await entered.promise;
  await cycle();
  t.equal(await stuck, 'ECONNRESET', 'the stuck request was cut at the timeout');
  t.match(resource.lastDrain, [{ inFlight: 1, completed: 0, forcedClosed: 1, timedOut: true, stillInFlight: [{ method: 'GET', url: '/' }] }]);
});

t.test('a drain timeout with requests in flight fails the checkpoint by default; they complete and the server serves on', async (t) => {
  const entered = deferred();
  const answer = deferred();
  let handled = 0;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) {
      handled++;
      entered.resolve();
      void answer.promise.then(() => res.end('slow done'));
    } else {
      res.end('hello');
    }
  });
  t.teardown(() => closeServer(server));
  await listen(server, 0);
  const order: string[] = [];
  // Registered first, so notified after the server before the checkpoint and before it after.
  const observer: Resource = { name: 'observer', beforeCheckpoint: () => void order.push('before'), afterRestore: () => void order.push(`after ${cycleOutcome()}`) };
  const { resource, cycle } = setup(server, { drainTimeoutMs: 50 }, [observer]);
  const slow = get(portOf(server), '/slow?token=secret');
  await entered.promise;

  const error = await cycle().then(() => undefined, (e: unknown) => e);
  t.type(error, CheckpointError, 'no image: a CheckpointError');
  const cause = (error as CheckpointError).errors[0]?.cause;
  t.type(cause, DrainTimeoutError);
  t.equal((cause as DrainTimeoutError).code, 'ERR_CRAC_DRAIN_TIMEOUT');
  t.same((cause as DrainTimeoutError).requests, [{ method: 'GET', url: '/slow' }], 'names the request, without its query string');
  t.match((error as Error).message, /http server beforeCheckpoint: 1 request\(s\) still in flight after the drain timeout of 50 ms \(GET \/slow\)/);
  t.notMatch((error as Error).message, /secret/);
  t.same(order, ['before', 'after failed'], 'every notified resource got afterRestore, on a failed cycle');
  t.match(resource.lastDrain, [{ inFlight: 1, forcedClosed: 0, timedOut: true, stillInFlight: [{ method: 'GET', url: '/slow' }] }]);

  t.equal(resource.status, 'active', 'listening again');
  t.equal((await get(portOf(server), '/')).status, 200, 'new requests are served');
  answer.resolve();
  const response = await slow;
  t.equal(response.status, 200, 'the request in flight completed, on its kept connection');
  t.equal(response.body, 'slow done');
  t.equal(handled, 1, 'its handler ran once');
});

t.test('a drain timeout with no request in flight closes what is left (upgraded connections) and checkpoints', async (t) => {
  const server = helloServer(t);
  server.on('upgrade', (_req, socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n'));
  await listen(server, 0);
  const { resource, cycle } = setup(server, { drainTimeoutMs: 50 });
  const socket = connect(portOf(server), '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.on('error', () => {});
  const upgraded = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
  await upgraded;
  const result = await cycle();
  t.equal(result.outcome, 'restored');
  t.match(resource.lastDrain, [{ timedOut: true, forcedClosed: 1, stillInFlight: [] }]);
});

t.test('onDrainTimeout other than fail or close is refused', async (t) => {
  t.throws(() => createServerResource(createServer(), { onDrainTimeout: 'ignore' as never }), { name: 'TypeError', message: /onDrainTimeout must be 'fail' or 'close', got "ignore"/ });
});

t.test('extra bindings close with the server and move with its port; a new host leaves them closed', async (t) => {
  keepEnv(t, 'PORT', 'HOST');
  const main = helloServer(t);
  await listen(main, 0);
  const extra = helloServer(t);
  await listen(extra, portOf(main), '::1');
  const { resource, cycle } = setup(main, { extraBindings: () => [extra] });
  t.same(resource.addresses, [`127.0.0.1:${portOf(main)}`, `[::1]:${portOf(main)}`]);

  const newPort = await freePort();
  await cycle({ PORT: String(newPort) });
  t.same(resource.addresses, [`127.0.0.1:${newPort}`, `[::1]:${newPort}`], 'both on the new port');
  t.equal(resource.lastDrain?.length, 2, 'both were drained');

  await cycle({ HOST: '127.0.0.2' });
  t.same(resource.addresses, [`127.0.0.2:${newPort}`]);
  t.equal(extra.listening, false, 'the extra binding belonged to the old host');
});

t.test('a server on a unix socket listens again on its path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crac-http-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'http.sock');
  const server = helloServer(t);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const { resource, cycle } = setup(server);
  await cycle();
  t.same(resource.addresses, [path]);
  t.equal(server.listening, true);
});

t.test('a route may ask for another checkpoint after a restore', async (t) => {
  const context = new Context('test');
  const engine = createSimulateEngine();
  let requested: Promise<string> | undefined;
  const server = createServer((_req, res) => {
    // Served after a restore, so outside any hook: no "recursive checkpoint".
    res.end('checkpoint requested');
    requested = checkpointRestore({ engine, context, checkOpenResources: false }).then((result) => result.outcome, (error: Error) => error.message);
  });
  t.teardown(() => closeServer(server));
  context.register(createServerResource(server));
  await listen(server, 0);
  await checkpointRestore({ engine, context, checkOpenResources: false });
  t.equal((await get(portOf(server), '/')).status, 200);
  t.equal(await requested, 'restored');
});

t.test('what is not a server is refused with a clear error', async (t) => {
  t.throws(() => createServerResource({} as unknown as Server), { name: 'TypeError', message: /needs a node:http, node:https, node:http2 or node:net server/ });
});
