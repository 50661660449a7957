import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';

/**
 * Closes a test's server for good, whatever state a checkpoint left it in
 * (an HTTP/2 or node:net server closes once its test has ended its clients).
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as Partial<HttpServer>).closeAllConnections?.();
  });
}
