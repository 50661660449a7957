import type { Server } from 'node:http';
import { type CracServer, registerServer, type RegisterServerOptions } from 'node-crac/http';

export type { CracServer, DrainReport, ReadyOutcome, ServerStatus } from 'node-crac/http';

/** node-crac/http's RegisterServerOptions; `name` defaults to 'express server'. */
export type ExpressCracOptions = RegisterServerOptions;

/**
 * node-crac/http's registerServer for an Express app's server: the one
 * `app.listen()` returns, or your own (`http.createServer(app)`, https too).
 * Express needs no more: its app is only the server's request handler.
 */
export function register(server: Server, options: ExpressCracOptions = {}): CracServer {
  return registerServer(server, { name: 'express server', ...options });
}
