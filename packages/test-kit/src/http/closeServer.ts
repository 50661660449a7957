import type { Server } from 'node:http';

/** Closes a test's server for good, whatever state a checkpoint left it in. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
