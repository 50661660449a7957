import type { Server } from 'node:net';
import { handedListener, listensOnHanded, takeHandedListener } from './handedListener.js';
import { formatAddress, type ListenAddress } from './listenAddress.js';

/** A server could not listen again after a restore; names the address and the system error code. */
export class ListenError extends Error {
  override name = 'ListenError';
  readonly address: string;
  readonly code: string | undefined;
  constructor(address: ListenAddress, cause: NodeJS.ErrnoException) {
    const where = formatAddress(address);
    super(`could not listen again on ${where}: ${explain(cause)}`, { cause });
    this.address = where;
    this.code = cause.code;
  }
}

/**
 * Listens on `address`; rejects with a ListenError (EADDRINUSE, EACCES, ...).
 * On the port of the socket the launcher holds (CRAC_LISTEN), listens on a
 * duplicate of it: the port stayed open while the server was closed, and what
 * connected meanwhile is accepted now. Rejects with a HandedListenerError when
 * that socket is not the one named.
 */
export function listenOn(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const handed = 'port' in address ? handedListener() : undefined;
    let fd: number | undefined;
    if (handed && 'port' in address && listensOnHanded(handed, address.host, address.port)) {
      try {
        fd = takeHandedListener(handed);
      } catch (error) {
        reject(error as Error);
        return;
      }
    }
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new ListenError(address, error));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError).once('listening', onListening);
    if (fd !== undefined) server.listen({ fd });
    else server.listen('path' in address ? { path: address.path } : { host: address.host, port: address.port });
  });
}

function explain(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'the address is already in use (EADDRINUSE); another process, perhaps another copy restored from the same image, holds it: restore with another PORT';
    case 'EADDRNOTAVAIL':
      return 'the address is not available on this machine (EADDRNOTAVAIL): restore with another HOST';
    case 'EACCES':
      return 'permission denied (EACCES)';
    default:
      return error.message;
  }
}
