import type { Server } from 'node:net';

/** Where a server listens: a TCP host and port, or a unix socket path. */
export type ListenAddress = { host: string; port: number } | { path: string };

/** The address `server` listens on now, or undefined when it does not listen. */
export function currentAddress(server: Server): ListenAddress | undefined {
  const address = server.address();
  if (address === null) return undefined;
  if (typeof address === 'string') return { path: address };
  return { host: address.address, port: address.port };
}

/** `127.0.0.1:3000`, `[::1]:3000` or the socket path, for messages and state. */
export function formatAddress(address: ListenAddress): string {
  if ('path' in address) return address.path;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
