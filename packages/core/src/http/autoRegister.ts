import { Server } from 'node:net';
import { type Context, getGlobalContext, type Registration } from '../cycle/context.js';
import type { Resource } from '../cycle/resource.js';
import { currentAddress } from './listenAddress.js';
import { DEFAULT_LISTEN_ENV } from './listenEnv.js';
import { becomeReady } from './readyFlow.js';
import { isClaimed } from './serverClaims.js';
import { serverKind, trackServer } from './serverKind.js';
import { createUnclaimedServerResource, type ServerResource } from './serverResource.js';

const installed = Symbol.for('node-crac.autoRegistration');
const store = globalThis as unknown as Record<symbol, (() => void) | undefined>;

/**
 * Registers every server the app listens on (node:http, node:https,
 * node:http2, node:net: they all listen through net.Server) unless a resource
 * made on purpose looks after it (an adapter, registerServer(), createServerResource()).
 * The first one to listen on a TCP port reports readiness. `crac run` and `crac checkpoint`
 * install it through their preload unless given --no-auto. Returns the undo.
 *
 * After a restore that sets a new PORT (or HOST), the servers on the app's
 * port move: the port PORT gave at checkpoint time, else the port of the
 * first server that listened. Servers on other ports listen again on the
 * same port, or on a new free port when they had asked for port 0.
 */
export function installAutoRegistration(context: Context = getGlobalContext()): () => void {
  const existing = store[installed];
  if (existing) return existing;
  const original = Server.prototype.listen;
  const registrations = new WeakMap<Server, Registration>();
  const waiting = new WeakSet<Server>();
  let firstPort: number | undefined;

  const onListening = (server: Server, anyPort: boolean): void => {
    waiting.delete(server);
    const address = currentAddress(server);
    if (!address || registrations.has(server)) return;
    if ('port' in address) firstPort ??= address.port;
    if (isClaimed(server)) return;
    const envPort = /^\d+$/.test(process.env.PORT ?? '') ? Number(process.env.PORT) : undefined;
    const follows = 'port' in address && address.port === (envPort ?? firstPort);
    const resource = createUnclaimedServerResource(server, {
      name: `${serverKind(server)} server`,
      listenEnv: follows ? DEFAULT_LISTEN_ENV : false,
      anyPortAtRestore: anyPort && !follows,
    });
    const registration = context.register(unlessClaimed(resource));
    registrations.set(server, registration);
    // Closed by the app rather than by a checkpoint: not ours to listen again.
    server.on('close', () => {
      if (resource.status !== 'active' || registrations.get(server) !== registration) return;
      registration.unregister();
      registrations.delete(server);
    });
    // A unix socket is as often a tool's own channel (tsx's IPC server, in a wrapper) as the app's: only TCP makes it ready.
    if ('port' in address) becomeReady(server, {}).catch((error: Error) => process.emitWarning(error));
  };

  Server.prototype.listen = function listen(this: Server, ...args: unknown[]) {
    if (!registrations.has(this) && !waiting.has(this)) {
      waiting.add(this);
      trackServer(this); // before the first connection, so that a drain sees every request
      const anyPort = asksForAnyPort(args);
      this.once('listening', () => onListening(this, anyPort));
    }
    return original.apply(this, args as Parameters<typeof original>);
  } as typeof original;

  const uninstall = (): void => {
    Server.prototype.listen = original;
    store[installed] = undefined;
  };
  store[installed] = uninstall;
  return uninstall;
}

/** The resource, passed over in a checkpoint when an adapter or the app claimed its server since. */
function unlessClaimed(resource: ServerResource<Server>): Resource {
  let notified = false;
  const recorded = resource.addresses;
  return {
    // Where it listens now: a restored copy may have moved it.
    get name() {
      const addresses = resource.addresses.length > 0 ? resource.addresses : recorded;
      return `${resource.name} ${addresses.join(', ')} (automatic)`;
    },
    async beforeCheckpoint(context, signal) {
      notified = !isClaimed(resource.server);
      if (notified) await resource.beforeCheckpoint(context, signal);
    },
    async afterRestore(context, signal) {
      if (notified) await resource.afterRestore(context, signal);
    },
  };
}

/** Whether listen() was called for any free port: listen(), listen(0), listen({ port: 0 }), listen(cb). */
function asksForAnyPort(args: unknown[]): boolean {
  const [first] = args;
  if (first === undefined || first === null || typeof first === 'function') return true;
  if (typeof first === 'object') {
    const options = first as Record<string, unknown>;
    if ('path' in options || 'fd' in options || 'handle' in options || '_handle' in options) return false; // a unix socket, or a handle
    return options.port === undefined || Number(options.port) === 0;
  }
  return typeof first === 'number' || /^\d+$/.test(String(first)) ? Number(first) === 0 : false;
}
