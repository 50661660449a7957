import { Server } from 'node:net';
import { tellLauncher } from './channel.js';

const patched = Symbol.for('node-crac.listenClaim');

/**
 * Makes the first process of a launch to listen on a TCP port claim the app
 * role (protocol.ts), so that under a wrapper (npm start, npx tsx app.ts) the
 * process that serves is the one made ready, triggered and dumped, not the
 * wrapper. Listening on a unix socket or a pipe claims nothing (tsx's own IPC
 * server does that). Idempotent; the patch only adds a 'listening' listener.
 */
export function claimAppOnListen(): void {
  const proto = Server.prototype as Server & { [patched]?: true };
  if (proto[patched]) return;
  proto[patched] = true;
  const listen = proto.listen;
  proto.listen = function (this: Server, ...args: unknown[]) {
    this.once('listening', () => {
      const address = this.address();
      if (address && typeof address === 'object') tellLauncher({ kind: 'listening', pid: process.pid });
    });
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as Server['listen'];
}
