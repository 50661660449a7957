import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { closeWithin } from './closeWithin.js';
import { type InFlightRequest, trackConnections } from './connectionTracker.js';
import { formatAddress, type ListenAddress } from './listenAddress.js';

/** What one server's drain did, reported before the checkpoint. */
export interface DrainReport {
  /** The address the server stopped listening on. */
  address: string;
  /** Responses in progress when the drain began. */
  inFlight: number;
  /** Responses that completed during the drain (requests already sent on open connections included). */
  completed: number;
  /** Connections still open at the timeout, closed then (none when the drain timeout keeps them: 'fail'). */
  forcedClosed: number;
  timedOut: boolean;
  /** Requests whose handlers were still running at the timeout; empty when none timed out. */
  stillInFlight: InFlightRequest[];
  durationMs: number;
}

/**
 * What a drain does with requests still in flight at its timeout. 'fail':
 * leaves them running with their connections open (the checkpoint is to
 * fail, so they complete here and nowhere else). 'close': closes their
 * connections and lets the checkpoint go on (their handlers are in the image).
 */
export type DrainTimeoutPolicy = 'fail' | 'close';

/**
 * Stops accepting connections on `server` and waits until every connection
 * has ended: in-flight responses complete with keep-alive off, idle
 * connections close at once. After `timeoutMs`, the connections left are
 * closed, unless requests are still in flight and `onTimeout` is 'fail':
 * then everything stays as it is and the report names those requests.
 */
export async function drainServer(server: Server, address: ListenAddress, timeoutMs: number, onTimeout: DrainTimeoutPolicy = 'close'): Promise<DrainReport> {
  const tracker = trackConnections(server);
  const started = performance.now();
  // A response whose keep-alive headers went out before the drain leaves an idle
  // connection behind when it ends: close it once the server has seen it go idle.
  const inFlight = tracker.startDraining(() => setImmediate(() => server.closeIdleConnections()));
  // close() stops accepting and, since Node 19, closes idle connections; its
  // callback runs once the last connection has ended.
  const { timedOut, closed } = await closeWithin(server, timeoutMs);
  let forcedClosed = 0;
  const stillInFlight = timedOut ? tracker.inFlightRequests() : [];
  // With no handler running, what is left (upgraded or half-sent connections) is closed under either policy.
  if (timedOut && (onTimeout === 'close' || stillInFlight.length === 0)) {
    forcedClosed = tracker.destroyAll();
    server.closeAllConnections();
    await closed;
  }
  const completed = tracker.stopDraining();
  return { address: formatAddress(address), inFlight, completed, forcedClosed, timedOut, stillInFlight, durationMs: performance.now() - started };
}
