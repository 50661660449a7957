import { Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { Context, checkpointRestore, type CheckpointRestoreOptions, createSimulateEngine } from 'node-crac';
import type { CracServer, ReadyOutcome } from 'node-crac/http';
import { deferred } from '../deferred.js';
import { setEnv } from '../env.js';
import { freePort, tryConnect } from '../ports.js';
import { closedByServer, get } from './client.js';
import { closeServer } from './closeServer.js';
import { runLoad } from './load.js';

/** A route answers 200 with the string it returns. */
export type Route = (headers: IncomingHttpHeaders) => string | Promise<string>;

export interface HarnessOptions {
  /** The context the adapter registers with. */
  context: Context;
  /** Paths (without query) to answer. */
  routes: Record<string, Route>;
  /** Called with the port once the server listens. */
  warmup?: (port: number) => Promise<void>;
  checkpointOnReady?: CheckpointRestoreOptions;
}

export interface RunningApp {
  /** The port it listens on at start (127.0.0.1). */
  port: number;
  /** Where the adapter says it listens. */
  addresses(): string[];
  /** The adapter's readiness (warm-up, then reported or checkpointed). */
  ready: Promise<ReadyOutcome>;
  /** Stops the app for good, the framework's way. */
  close(): Promise<void>;
}

export const portOf = (server: Server): number => (server.address() as AddressInfo).port;

/** The RunningApp of a listening node:http server registered through node-crac/http. */
export function runningServer(server: Server, crac: CracServer): RunningApp {
  return {
    port: portOf(server),
    addresses: () => crac.resource.addresses,
    ready: crac.ready,
    close: async () => {
      crac.unregister();
      await closeServer(server);
    },
  };
}

/** Starts one framework's app with its adapter, on 127.0.0.1 and a free port. */
export type StartApp = (options: HarnessOptions) => Promise<RunningApp>;

const noOpenResourceCheck = { checkOpenResources: false } as const; // the test's own clients share the process

/**
 * The behaviour every HTTP adapter must show on the simulate engine, run as
 * subtests of `t` against `start`.
 */
export function testAdapterScenarios(t: Test, start: StartApp): void {
  async function startApp(t: Test, routes: Record<string, Route> = {}, extra: Partial<HarnessOptions> = {}) {
    const context = new Context('adapter under test');
    const app = await start({ context, routes: { '/hello': () => 'hello', ...routes }, ...extra });
    t.teardown(() => app.close());
    return { app, context };
  }

  // A context whose `after` hook runs after the adapter's beforeCheckpoint and
  // `before` before it (beforeCheckpoint runs in reverse registration order).
  function around(context: Context, hooks: { after?: () => unknown; before?: () => unknown }): Context {
    const outer = new Context('test');
    outer.register({ name: 'probe after the adapter', async beforeCheckpoint() { await hooks.after?.(); }, afterRestore() {} });
    outer.register(context);
    outer.register({ name: 'probe before the adapter', async beforeCheckpoint() { await hooks.before?.(); }, afterRestore() {} });
    return outer;
  }

  t.test('closes the listener before the checkpoint and listens on the same address after the restore', async (t) => {
    const { app, context } = await startApp(t);
    let duringCheckpoint = '';
    const outer = around(context, { after: async () => (duringCheckpoint = await tryConnect(app.port)) });
    const result = await checkpointRestore({ engine: createSimulateEngine(), context: outer, ...noOpenResourceCheck });
    t.equal(result.outcome, 'restored');
    t.equal(duringCheckpoint, 'ECONNREFUSED', 'nothing listens during the checkpoint');
    const res = await get(app.port, '/hello');
    t.equal(res.status, 200);
    t.equal(res.body, 'hello');
    t.same(app.addresses(), [`127.0.0.1:${app.port}`]);
  });

  t.test('listens on the PORT given at restore', async (t) => {
    setEnv(t, { PORT: undefined });
    const { app, context } = await startApp(t);
    const newPort = await freePort();
    await checkpointRestore({ engine: createSimulateEngine({ env: { PORT: String(newPort) } }), context, ...noOpenResourceCheck });
    t.equal((await get(newPort, '/hello')).status, 200, 'serves on the new port');
    t.equal(await tryConnect(app.port), 'ECONNREFUSED', 'not on the old one');
    t.same(app.addresses(), [`127.0.0.1:${newPort}`]);
  });

  t.test('a request in flight during the checkpoint completes with 200 and the next request works', async (t) => {
    const entered = deferred();
    const release = deferred();
    const { app, context } = await startApp(t, {
      '/slow': async () => {
        entered.resolve();
        await release.promise;
        return 'slow done';
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    t.equal((await get(app.port, '/hello', { agent })).status, 200);
    const slow = get(app.port, '/slow', { agent });
    await entered.promise;
    // Answer once the adapter has begun to drain (it is notified right after this hook).
    const outer = around(context, { before: () => setImmediate(() => release.resolve()) });
    const cycle = checkpointRestore({ engine: createSimulateEngine(), context: outer, ...noOpenResourceCheck });
    const inFlight = await slow;
    t.equal(inFlight.status, 200);
    t.equal(inFlight.body, 'slow done');
    t.equal(inFlight.headers.connection, 'close', 'keep-alive was turned off for it');
    await cycle;
    const next = await get(app.port, '/hello', { agent });
    t.equal(next.status, 200, 'the next request works (no ECONNRESET)');
    t.equal(next.reusedSocket, false, 'over a new connection');
  });

  t.test('a keep-alive client keeps working across the checkpoint', async (t) => {
    const { app, context } = await startApp(t);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const first = await get(app.port, '/hello', { agent });
    const second = await get(app.port, '/hello', { agent });
    t.equal(second.reusedSocket, true, 'the connection is kept alive before the checkpoint');
    await checkpointRestore({ engine: createSimulateEngine(), context, ...noOpenResourceCheck });
    await closedByServer(first.socket);
    const after = await get(app.port, '/hello', { agent });
    t.equal(after.status, 200);
    t.equal(after.reusedSocket, false, 'the idle connection was closed at the checkpoint; the client opened a new one');
    t.equal((await get(app.port, '/hello', { agent })).reusedSocket, true, 'and keeps that one alive');
  });

  t.test('under load, every request the server accepted gets a complete response across a leaveRunning checkpoint', async (t) => {
    const accepted = new Set<string>();
    const { app, context } = await startApp(t, {
      '/load': async (headers) => {
        const id = String(headers['x-request-id']);
        accepted.add(id);
        await new Promise((resolve) => setImmediate(resolve)); // stay in flight for a moment
        return `ok ${id}`;
      },
    });
    const requests = 1500;
    const load = await runLoad({
      port: app.port,
      clients: 8,
      requests,
      midway: { after: 300, run: () => checkpointRestore({ engine: createSimulateEngine(), leaveRunning: true, context, ...noOpenResourceCheck }) },
    });
    t.match(load.midwayResult, { outcome: 'continued' }, 'the checkpoint happened during the load');
    const lost = [...accepted].filter((id) => load.responses.get(id)?.status !== 200 || load.responses.get(id)?.body !== `ok ${id}`);
    t.same(lost, [], `all ${accepted.size} accepted requests got a complete 200`);
    t.comment(`sent ${requests}: ${load.responses.size} answered, ${load.refused} refused while closed, ${load.failures.size} failed before the server accepted them (${[...new Set(load.failures.values())].join(', ') || 'none'})`);
    t.ok(load.responses.size > 300, 'requests were served after the checkpoint too');
  });

  t.test('checkpoints once ready, after the warm-up', async (t) => {
    const log: string[] = [];
    const context = new Context('adapter under test');
    context.register({ name: 'recorder', beforeCheckpoint: () => void log.push('checkpoint'), afterRestore: () => void log.push('restore') });
    const app = await start({
      context,
      routes: { '/hello': () => 'hello' },
      warmup: async (port) => {
        log.push(`warm-up ${(await get(port, '/hello')).status}`);
      },
      checkpointOnReady: { engine: createSimulateEngine(), context, ...noOpenResourceCheck },
    });
    t.teardown(() => app.close());
    const outcome = await app.ready;
    t.match(outcome, { kind: 'checkpointed', result: { outcome: 'restored' } });
    t.same(log, ['warm-up 200', 'checkpoint', 'restore']);
    t.equal((await get(app.port, '/hello')).status, 200, 'serves after the restore');
  });

  t.test('reports readiness once listening when it does not checkpoint itself', async (t) => {
    const { app } = await startApp(t);
    t.same(await app.ready, { kind: 'reported', launcher: false }, 'no crac checkpoint launcher in a unit test');
  });
}
