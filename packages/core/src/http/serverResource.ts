import { AsyncResource } from 'node:async_hooks';
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { debuglog } from 'node:util';
import type { Resource } from '../cycle/resource.js';
import type { InFlightRequest } from './connectionTracker.js';
import type { DrainReport, DrainTimeoutPolicy } from './drain.js';
import { listenOn } from './listen.js';
import { currentAddress, formatAddress, type ListenAddress } from './listenAddress.js';
import { DEFAULT_LISTEN_ENV, type ListenEnv, type ListenEnvChange, listenEnvChange, type ListenEnvSnapshot, snapshotListenEnv } from './listenEnv.js';
import { addServerClaim } from './serverClaims.js';
import { drainByKind, trackServer } from './serverKind.js';

const debug = debuglog('crac');

export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

/**
 * Requests were still in flight when the drain timed out, and the drain
 * timeout fails the checkpoint (`onDrainTimeout: 'fail'`, the default): no
 * image is written, so their handlers finish in this process only; the
 * server listens again and goes on serving.
 */
export class DrainTimeoutError extends Error {
  override name = 'DrainTimeoutError';
  readonly code = 'ERR_CRAC_DRAIN_TIMEOUT';
  /** The requests still in flight, e.g. [{ method: 'POST', url: '/orders' }]. */
  readonly requests: InFlightRequest[];
  readonly timeoutMs: number;

  constructor(requests: InFlightRequest[], timeoutMs: number) {
    super(
      `${requests.length} request(s) still in flight after the drain timeout of ${timeoutMs} ms (${summarize(requests)}); ` +
        'no image was written, so their handlers run here only, and the server listens again. ' +
        "Raise drainTimeoutMs, or pass onDrainTimeout: 'close' to close them and checkpoint anyway (their handlers then go on in the image).",
    );
    this.requests = requests;
    this.timeoutMs = timeoutMs;
  }
}

/** `GET /slow, POST /orders x2`, at most ten distinct ones. */
function summarize(requests: InFlightRequest[]): string {
  const counts = new Map<string, number>();
  for (const { method, url } of requests) counts.set(`${method} ${url}`, (counts.get(`${method} ${url}`) ?? 0) + 1);
  const shown = [...counts].slice(0, 10).map(([request, count]) => (count > 1 ? `${request} x${count}` : request));
  if (counts.size > 10) shown.push(`and ${counts.size - 10} more`);
  return shown.join(', ');
}

export interface ServerResourceOptions {
  /** Shown in errors, events and logs. Default: 'http server'. */
  name?: string;
  /**
   * How long in-flight requests may take to complete before the remaining
   * connections are closed. Keep it below the hook timeout (10 s by default).
   * Default: 5000.
   */
  drainTimeoutMs?: number;
  /**
   * What a drain timeout with requests still in flight does. 'fail' (the
   * default): the checkpoint fails with a DrainTimeoutError naming them,
   * they complete in this process and the server listens again, so no
   * handler runs in a restored copy. 'close': their connections are closed
   * (clients see ECONNRESET) and the checkpoint goes on; the handlers are
   * still running in the image, so each one goes on in the original (with
   * leaveRunning) and in every copy: only for handlers safe to repeat.
   */
  onDrainTimeout?: DrainTimeoutPolicy;
  /**
   * Environment variables that, when the restore gives them a new value, move
   * the server to that port / host. false: always listen on the recorded
   * address. Default: { port: 'PORT', host: 'HOST' }.
   */
  listenEnv?: ListenEnv;
  /**
   * The server asked for port 0 (any free port): after a restore that does
   * not move it, it listens on a new free port, so that copies of one image
   * do not collide. Default: false, the recorded port.
   */
  anyPortAtRestore?: boolean;
  /**
   * Other servers bound to the same port on other addresses (Fastify's extra
   * bindings for 'localhost'). They close and drain with the server and listen
   * again on their own host with its port; when the restore changes the host
   * they stay closed.
   */
  extraBindings?: () => Iterable<HttpServer>;
  /** Called with one report per closed server before the checkpoint. */
  onDrained?: (reports: DrainReport[]) => void;
  /** Called with the addresses listened on after the restore. */
  onListening?: (addresses: string[]) => void;
}

/**
 * 'active': serving, outside a checkpoint. 'draining': closing before one.
 * 'checkpointed': closed, waiting for the restore. 'failed': it could not
 * listen again after a restore.
 */
export type ServerStatus = 'active' | 'draining' | 'checkpointed' | 'failed';

export interface ServerResource<S extends Server = HttpServer> extends Resource {
  readonly name: string;
  readonly server: S;
  readonly status: ServerStatus;
  /** Where it listens; while checkpointed, where it listened. */
  readonly addresses: string[];
  /** The reports of the latest drain. */
  readonly lastDrain: readonly DrainReport[] | undefined;
}

interface Binding {
  server: Server;
  address: ListenAddress;
}

/**
 * A Resource for a node:http, node:https, node:http2 or plain node:net
 * server: before the checkpoint it stops accepting, drains in-flight requests
 * (HTTP/2 streams, or for a plain server its connections) and closes; after
 * the restore it listens again on the same address, or on the PORT/HOST the
 * restore environment gives. Automatic registration (`crac run`, `crac
 * checkpoint`) leaves a server with such a resource, and its extra bindings, to it.
 */
export function createServerResource<S extends Server = HttpServer>(server: S, options: ServerResourceOptions = {}): ServerResource<S> {
  const resource = new NetServerResource(server, options);
  addServerClaim(resource);
  return resource;
}

/** The resource without the claim: what automatic registration makes for a server nobody registered. */
export function createUnclaimedServerResource<S extends Server>(server: S, options: ServerResourceOptions): ServerResource<S> {
  return new NetServerResource(server, options);
}

class NetServerResource<S extends Server> implements ServerResource<S> {
  readonly name: string;
  readonly server: S;
  readonly #options: ServerResourceOptions;
  readonly #listenEnv: ListenEnv;
  readonly #drainTimeoutMs: number;
  readonly #onDrainTimeout: DrainTimeoutPolicy;
  // Listening again runs inside the core's afterRestore hook. Doing it in the
  // async context where the resource was made keeps requests served afterwards
  // outside the hook's scope, so a route may ask for another checkpoint.
  readonly #appScope = new AsyncResource('node-crac:http-server');
  #status: ServerStatus = 'active';
  #closed: Binding[] = [];
  #envAtCheckpoint: ListenEnvSnapshot = { port: undefined, host: undefined };
  #lastDrain: DrainReport[] | undefined;

  constructor(server: S, options: ServerResourceOptions) {
    if (typeof server?.listen !== 'function' || typeof server.address !== 'function') {
      throw new TypeError('createServerResource() needs a node:http, node:https, node:http2 or node:net server');
    }
    this.server = server;
    this.#options = options;
    this.name = options.name ?? 'http server';
    this.#listenEnv = options.listenEnv ?? DEFAULT_LISTEN_ENV;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#onDrainTimeout = drainTimeoutPolicy(options.onDrainTimeout);
    trackServer(server);
  }

  covers(server: Server): boolean {
    return server === this.server || [...(this.#options.extraBindings?.() ?? [])].includes(server as HttpServer);
  }

  get status(): ServerStatus {
    return this.#status;
  }

  get addresses(): string[] {
    if (this.#status === 'checkpointed') return this.#closed.map((binding) => formatAddress(binding.address));
    return this.#listening().map((binding) => formatAddress(binding.address));
  }

  get lastDrain(): readonly DrainReport[] | undefined {
    return this.#lastDrain;
  }

  async beforeCheckpoint(): Promise<void> {
    this.#envAtCheckpoint = snapshotListenEnv(this.#listenEnv);
    this.#closed = this.#listening();
    if (this.#closed.length === 0) return; // not listening: nothing to close, nothing to reopen
    this.#status = 'draining';
    // Every listener stops accepting in this tick; then they drain side by side.
    const reports = await Promise.all(this.#closed.map(({ server, address }) => drainByKind(server, address, this.#drainTimeoutMs, this.#onDrainTimeout)));
    this.#status = 'checkpointed';
    this.#lastDrain = reports;
    for (const r of reports) {
      debug('%s: closed %s, %d in flight, %d completed, %d closed at the timeout (%d ms)', this.name, r.address, r.inFlight, r.completed, r.forcedClosed, r.durationMs.toFixed(1));
    }
    this.#options.onDrained?.(reports);
    // The connections were kept: the checkpoint fails, and afterRestore (which every notified resource gets) listens again.
    const stillInFlight = reports.flatMap((report) => report.stillInFlight);
    if (this.#onDrainTimeout === 'fail' && stillInFlight.length > 0) throw new DrainTimeoutError(stillInFlight, this.#drainTimeoutMs);
  }

  async afterRestore(): Promise<void> {
    const [primary, ...extras] = this.#closed;
    if (!primary) return;
    this.#closed = [];
    const errors: Error[] = [];
    try {
      await this.#listenAgain(primary, extras, listenEnvChange(this.#listenEnv, this.#envAtCheckpoint), errors);
    } catch (error) {
      errors.push(error as Error); // a PORT that is no port: the server stays closed
    }
    if (errors.length > 0) {
      this.#status = 'failed';
      throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map((error) => error.message).join('; '));
    }
    this.#status = 'active';
    debug('%s: listening again on %s', this.name, this.addresses.join(', '));
    this.#options.onListening?.(this.addresses);
  }

  /** Listens on the recorded addresses, or where the restore moved them; collects failures in `errors`. */
  async #listenAgain(primary: Binding, extras: Binding[], change: ListenEnvChange, errors: Error[]): Promise<void> {
    // A server that someone else (the app's own resource) listened again with is left as it is.
    const listen = async (binding: Binding, address: ListenAddress): Promise<void> => {
      if (binding.server.listening) return;
      await this.#appScope.runInAsyncScope(() => listenOn(binding.server, address)).catch((error: Error) => void errors.push(error));
    };
    const recordedPort = this.#options.anyPortAtRestore ? 0 : undefined;
    await listen(primary, 'path' in primary.address ? primary.address : { host: change.host ?? primary.address.host, port: change.port ?? recordedPort ?? primary.address.port });
    // Extra bindings are the old host name's other addresses: a new host leaves them closed.
    if (change.host !== undefined) return;
    const newPort = change.port === undefined ? undefined : (portOf(primary.server) ?? change.port);
    for (const extra of extras) {
      await listen(extra, 'path' in extra.address || newPort === undefined ? extra.address : { host: extra.address.host, port: newPort });
    }
  }

  #listening(): Binding[] {
    const servers = [this.server, ...(this.#options.extraBindings?.() ?? [])];
    return servers.flatMap((server) => {
      const address = currentAddress(server);
      return address ? [{ server, address }] : [];
    });
  }
}

function drainTimeoutPolicy(value: unknown): DrainTimeoutPolicy {
  if (value === undefined) return 'fail';
  if (value === 'fail' || value === 'close') return value;
  throw new TypeError(`onDrainTimeout must be 'fail' or 'close', got ${JSON.stringify(value)}`);
}

function portOf(server: Server): number | undefined {
  const address = currentAddress(server);
  return address && 'port' in address ? address.port : undefined;
}
