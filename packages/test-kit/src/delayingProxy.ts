import { connect, createServer, type Socket } from 'node:net';
import type { Teardown } from './teardown.js';

/** A TCP proxy on 127.0.0.1 whose new connections wait `delayMs` while `slow` is set. */
export interface DelayingProxy {
  port: number;
  slow: boolean;
}

/**
 * A proxy to 127.0.0.1:targetPort, for a test that needs a slow reconnect
 * (a database or cache coming back after a restore); closed, with every
 * connection it made, at the end of the test.
 */
export async function delayingProxy(t: Teardown, targetPort: number, delayMs: number): Promise<DelayingProxy> {
  const sockets = new Set<Socket>();
  const state: DelayingProxy = { port: 0, slow: false };
  const proxy = createServer((client) => {
    sockets.add(client);
    client.pause();
    setTimeout(() => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const end = (): void => void (client.destroy(), upstream.destroy());
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    }, state.slow ? delayMs : 0);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  state.port = (proxy.address() as { port: number }).port;
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  });
  return state;
}
