import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { closeWithin } from './closeWithin.js';
import type { DrainReport } from './drain.js';
import { formatAddress, type ListenAddress } from './listenAddress.js';

const trackers = new WeakMap<Server, Set<Socket>>();

/** Starts following the connections of a plain node:net server; call it as soon as the server exists. */
export function trackSockets(server: Server): Set<Socket> {
  let sockets = trackers.get(server);
  if (!sockets) {
    const open = new Set<Socket>();
    server.prependListener('connection', (socket: Socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    trackers.set(server, open);
    sockets = open;
  }
  return sockets;
}

/**
 * Drains a plain node:net server: stops accepting and gives its clients up to
 * `timeoutMs` to end their connections. Without a protocol there is no
 * request to wait for, so what is still open then is closed, as HTTP's
 * upgraded connections are, and the checkpoint goes on.
 */
export async function drainSocketServer(server: Server, address: ListenAddress, timeoutMs: number): Promise<DrainReport> {
  const sockets = trackSockets(server);
  const started = performance.now();
  const inFlight = sockets.size;
  const { timedOut, closed } = await closeWithin(server, timeoutMs);
  const forcedClosed = timedOut ? sockets.size : 0;
  if (timedOut) {
    for (const socket of sockets) socket.destroy();
    await closed;
  }
  return { address: formatAddress(address), inFlight, completed: inFlight - forcedClosed, forcedClosed, timedOut, stillInFlight: [], durationMs: performance.now() - started };
}
