import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A request whose response had not finished, as a drain reports it. */
export interface InFlightRequest {
  method: string;
  /** The request's path, without its query string (which may carry secrets). */
  url: string;
}

/** What a drain learns from the tracker. */
interface DrainWatch {
  /** Responses that finished while draining. */
  completed: number;
  onResponseDone: () => void;
}

/**
 * Follows one server's sockets and responses, so that a drain knows what is
 * in flight, can turn keep-alive off, and can close what is left at its timeout.
 */
export class ConnectionTracker {
  readonly #responses = new Set<ServerResponse>();
  readonly #sockets = new Set<Socket>();
  #drain: DrainWatch | undefined;

  constructor(server: Server) {
    // Prepended so that keep-alive is off before the application's handler can send headers.
    server.prependListener('request', (_request, response) => this.#onResponse(response));
    server.prependListener('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /**
   * From now on every response that has not sent its headers answers with
   * `Connection: close`, so no client reuses a socket that will not survive
   * the checkpoint. Returns the number of responses in flight.
   */
  startDraining(onResponseDone: () => void): number {
    this.#drain = { completed: 0, onResponseDone };
    for (const response of this.#responses) response.shouldKeepAlive = false;
    return this.#responses.size;
  }

  /** Ends the drain; returns how many responses finished during it. */
  stopDraining(): number {
    const completed = this.#drain?.completed ?? 0;
    this.#drain = undefined;
    return completed;
  }

  /** The requests whose responses have not finished yet, oldest first. */
  inFlightRequests(): InFlightRequest[] {
    return [...this.#responses].map(({ req }) => ({ method: req?.method ?? '?', url: (req?.url ?? '?').split('?')[0] ?? '?' }));
  }

  /** Destroys every connection still open (upgraded ones too); returns how many. */
  destroyAll(): number {
    const count = this.#sockets.size;
    for (const socket of this.#sockets) socket.destroy();
    return count;
  }

  #onResponse(response: ServerResponse): void {
    this.#responses.add(response);
    if (this.#drain) response.shouldKeepAlive = false;
    response.once('close', () => {
      this.#responses.delete(response);
      if (!this.#drain) return;
      if (response.writableFinished) this.#drain.completed++;
      this.#drain.onResponseDone();
    });
  }
}

const trackers = new WeakMap<Server, ConnectionTracker>();

/**
 * The tracker of `server`, created on first call. Call it as soon as a server
 * exists (createServerResource does): responses started before are not seen.
 */
export function trackConnections(server: Server): ConnectionTracker {
  let tracker = trackers.get(server);
  if (!tracker) {
    tracker = new ConnectionTracker(server);
    trackers.set(server, tracker);
  }
  return tracker;
}
