import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Server } from 'node:net';
import { trackConnections } from './connectionTracker.js';
import { type DrainReport, drainServer, type DrainTimeoutPolicy } from './drain.js';
import type { ListenAddress } from './listenAddress.js';
import { drainHttp2Server, trackSessions } from './sessionDrain.js';
import { drainSocketServer, trackSockets } from './socketDrain.js';

/**
 * How a server is drained: 'http' (node:http, node:https) by its requests,
 * 'http2' (node:http2, plain or secure) by its sessions' streams, 'net' (any
 * other node:net or node:tls server) by its connections alone.
 */
export type ServerKind = 'http' | 'http2' | 'net';

// Told apart by what each kind has of its own: node:http2 exports no server class to test against.
export function serverKind(server: Server): ServerKind {
  if (typeof (server as HttpServer).closeIdleConnections === 'function') return 'http';
  if (typeof (server as Http2Server).updateSettings === 'function') return 'http2';
  return 'net';
}

/** Starts following what a drain of `server` will need to know; call it as soon as the server exists. */
export function trackServer(server: Server): void {
  const kind = serverKind(server);
  if (kind === 'http') trackConnections(server as HttpServer);
  else if (kind === 'http2') trackSessions(server as Http2Server);
  else trackSockets(server);
}

export function drainByKind(server: Server, address: ListenAddress, timeoutMs: number, onTimeout: DrainTimeoutPolicy): Promise<DrainReport> {
  const kind = serverKind(server);
  if (kind === 'http') return drainServer(server as HttpServer, address, timeoutMs, onTimeout);
  if (kind === 'http2') return drainHttp2Server(server as Http2Server, address, timeoutMs, onTimeout);
  return drainSocketServer(server, address, timeoutMs);
}
