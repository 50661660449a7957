import type { Server } from 'node:http';
import { type CracServer, registerServer, type RegisterServerOptions } from 'node-crac/http';

export type ExpressCracOptions = RegisterServerOptions;
export type { CracServer };
export type { DrainReport, ReadyOutcome, ServerStatus } from 'node-crac/http';

/**
 * Makes an Express app's server take part in checkpoints: pass the server that
 * `app.listen()` returns, or your own (`http.createServer(app)`, https too).
 * Before a checkpoint it stops accepting, drains in-flight requests and
 * closes; after the restore it listens again, on PORT/HOST if the restore
 * changed them. Once it listens it reports readiness to `crac checkpoint`.
 *
 *     const server = app.listen(3000);
 *     register(server);
 */
export function register(server: Server, options: ExpressCracOptions = {}): CracServer {
  return registerServer(server, { name: 'express server', ...options });
}
