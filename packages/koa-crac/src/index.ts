import type { Server } from 'node:http';
import { type CracServer, registerServer, type RegisterServerOptions } from 'node-crac/http';

export type { CracServer, DrainReport, ReadyOutcome, ServerStatus } from 'node-crac/http';

/** node-crac/http's RegisterServerOptions; `name` defaults to 'koa server'. */
export type KoaCracOptions = RegisterServerOptions;

/**
 * node-crac/http's registerServer for a Koa app's server: the one
 * `app.listen()` returns, or your own (`http.createServer(app.callback())`,
 * https too). Koa needs no more: `app.callback()` is only the server's request handler.
 */
export function register(server: Server, options: KoaCracOptions = {}): CracServer {
  return registerServer(server, { name: 'koa server', ...options });
}
