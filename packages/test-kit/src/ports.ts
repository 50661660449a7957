import { connect, createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for an app that must listen on a known port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** Resolves with the error code of a TCP connect to host:port, or 'connected'. */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * What a TCP connect to 127.0.0.1:port gets once it stops connecting, within
 * `waitMs`: a killed process leaves /proc's command lines before its sockets
 * are closed, so a test that saw it gone may still reach its port for a moment.
 */
export async function portFreed(port: number, waitMs = 5000): Promise<string> {
  const deadline = Date.now() + waitMs;
  let result = await tryConnect(port);
  while (result === 'connected' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    result = await tryConnect(port);
  }
  return result;
}
