import type { Http2Server, Http2Session, ServerHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { closeWithin } from './closeWithin.js';
import type { InFlightRequest } from './connectionTracker.js';
import type { DrainReport, DrainTimeoutPolicy } from './drain.js';
import { formatAddress, type ListenAddress } from './listenAddress.js';

/** Follows one HTTP/2 server's sessions and their open streams (its requests in flight). */
class SessionTracker {
  readonly sessions = new Set<Http2Session>();
  readonly streams = new Map<ServerHttp2Stream, InFlightRequest>();

  constructor(server: Http2Server) {
    server.prependListener('session', (session: Http2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    server.prependListener('stream', (stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>) => {
      const url = String(headers[':path'] ?? '?').split('?')[0] ?? '?';
      this.streams.set(stream, { method: String(headers[':method'] ?? '?'), url });
      stream.once('close', () => this.streams.delete(stream));
    });
  }
}

const trackers = new WeakMap<Http2Server, SessionTracker>();

/** Starts following `server`'s sessions; call it as soon as the server exists. */
export function trackSessions(server: Http2Server): SessionTracker {
  let tracker = trackers.get(server);
  if (!tracker) {
    tracker = new SessionTracker(server);
    trackers.set(server, tracker);
  }
  return tracker;
}

/**
 * The HTTP/2 counterpart of drainServer: stops accepting, sends every session
 * a GOAWAY (session.close(): streams in flight complete, no new ones start)
 * and waits until the sessions have ended. At `timeoutMs`, the sessions left
 * are destroyed, unless streams are still open and `onTimeout` is 'fail'.
 */
export async function drainHttp2Server(server: Http2Server, address: ListenAddress, timeoutMs: number, onTimeout: DrainTimeoutPolicy): Promise<DrainReport> {
  const tracker = trackSessions(server);
  const started = performance.now();
  const inFlight = tracker.streams.size;
  const { timedOut, closed } = await closeWithin(server, timeoutMs, () => {
    for (const session of tracker.sessions) session.close();
  });
  const stillInFlight = timedOut ? [...tracker.streams.values()] : [];
  let forcedClosed = 0;
  if (timedOut && (onTimeout === 'close' || stillInFlight.length === 0)) {
    forcedClosed = tracker.sessions.size;
    for (const session of tracker.sessions) session.destroy();
    await closed;
  }
  const completed = Math.max(0, inFlight - tracker.streams.size);
  return { address: formatAddress(address), inFlight, completed, forcedClosed, timedOut, stillInFlight, durationMs: performance.now() - started };
}
