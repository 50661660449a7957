import { once } from 'node:events';
import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import { connect, createServer as createNetServer, type Server } from 'node:net';
import t, { type Test } from 'tap';
import { CheckpointError, Context, checkpointRestore, createSimulateEngine } from 'node-crac';
import { createServerResource, DrainTimeoutError, type ServerResourceOptions } from 'node-crac/http';
import { closeServer, deferred, tryConnect } from '@node-crac/test-kit';

// HTTP/2 and plain node:net servers are drained by what they have instead of
// HTTP/1 requests: sessions and their streams, or bare connections.

const portOf = (server: Server): number => (server.address() as { port: number }).port;

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
}

function cycleWith<S extends Server>(server: S, options: ServerResourceOptions = {}) {
  const context = new Context('test');
  const resource = createServerResource(server, options);
  context.register(resource);
  return { resource, cycle: () => checkpointRestore({ engine: createSimulateEngine(), context, checkOpenResources: false }) };
}

/** Sends GET `path` over a new HTTP/2 session; resolves with the body. */
function http2Get(t: Test, port: number, path: string): { body: Promise<string>; session: ReturnType<typeof connectHttp2> } {
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  t.teardown(() => session.destroy());
  const body = new Promise<string>((resolve, reject) => {
    let text = '';
    session.request({ ':path': path }).setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve(text)).on('error', reject);
  });
  return { body, session };
}

t.test('an HTTP/2 server: a stream in flight completes, its session gets a GOAWAY, and the server listens again', async (t) => {
  const release = deferred<void>();
  const entered = deferred<void>();
  const server = createHttp2Server(async (req, res) => {
    if (req.url === '/slow') {
      entered.resolve();
      await release.promise;
    }
    res.end(`done ${req.url}`);
  });
  t.teardown(() => closeServer(server));
  await listen(server);
  const port = portOf(server);
  const { resource, cycle } = cycleWith(server);
  const slow = http2Get(t, port, '/slow');
  await entered.promise; // the stream is open
  const cycled = cycle();
  while (resource.status !== 'draining') await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(resource.status, 'draining', 'waits for the open stream');
  release.resolve();
  await cycled;
  t.equal(await slow.body, 'done /slow', 'the stream in flight got its whole answer');
  t.match(resource.lastDrain, [{ inFlight: 1, completed: 1, forcedClosed: 0, timedOut: false }]);
  t.equal(resource.status, 'active');
  t.equal(await http2Get(t, port, '/again').body, 'done /again', 'listening again on the same port');
});

t.test('an HTTP/2 stream still open at the drain timeout fails the checkpoint, naming it', async (t) => {
  const release = deferred<void>();
  const entered = deferred<void>();
  const server = createHttp2Server(async (_req, res) => {
    entered.resolve();
    await release.promise;
    res.end('late');
  });
  t.teardown(() => closeServer(server));
  await listen(server);
  const { cycle } = cycleWith(server, { drainTimeoutMs: 200 });
  const stuck = http2Get(t, portOf(server), '/report?secret=1');
  await entered.promise;
  const error = await cycle().then(() => undefined, (e: unknown) => e);
  t.type(error, CheckpointError);
  const cause = (error as CheckpointError).errors[0]?.cause;
  t.type(cause, DrainTimeoutError);
  t.same((cause as DrainTimeoutError).requests, [{ method: 'GET', url: '/report' }]);
  release.resolve();
  t.equal(await stuck.body, 'late', 'the stream completes in this process');
  t.equal(server.listening, true, 'and the server listens again');
});

t.test('a plain node:net server: idle clients get the drain timeout, then their connections are closed', async (t) => {
  const server = createNetServer((socket) => socket.pipe(socket));
  t.teardown(() => closeServer(server));
  await listen(server);
  const port = portOf(server);
  const { resource, cycle } = cycleWith(server, { drainTimeoutMs: 200 });
  const client = connect(port, '127.0.0.1');
  t.teardown(() => client.destroy());
  await Promise.all([once(server, 'connection'), new Promise((resolve) => client.once('connect', resolve))]); // accepted
  const clientClosed = new Promise((resolve) => client.once('close', resolve));
  await cycle();
  await clientClosed;
  t.match(resource.lastDrain, [{ inFlight: 1, completed: 0, forcedClosed: 1, timedOut: true, stillInFlight: [] }]);
  t.equal(await tryConnect(port), 'connected', 'listening again on the same port');
});

t.test('a plain node:net server whose clients leave in time is not kept waiting', async (t) => {
  const server = createNetServer((socket) => socket.end('bye'));
  t.teardown(() => closeServer(server));
  await listen(server);
  const { resource, cycle } = cycleWith(server, { drainTimeoutMs: 10_000 });
  await cycle();
  t.match(resource.lastDrain, [{ inFlight: 0, forcedClosed: 0, timedOut: false }]);
});
