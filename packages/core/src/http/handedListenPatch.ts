import { Server } from 'node:net';
import { handedListener, listensOnHanded, takeHandedListener } from './handedListener.js';
import { tcpListenCall } from './listenArguments.js';

const installed = Symbol.for('node-crac.handedListen');

/**
 * Makes every net.Server (node:http, https, http2 and net servers all listen
 * through it) that listens on the port of the socket the launcher handed over
 * (CRAC_LISTEN) listen on a duplicate of that socket instead of binding its
 * own: the app's own app.listen(3000) too. The preload installs it whenever
 * CRAC_LISTEN is set, --no-auto or not, before the automatic registration,
 * whose listen patch calls through this one. A socket that cannot be taken or
 * is not the one named fails the listen with an 'error' event: it is never used.
 */
export function listenOnHandedSocket(): void {
  const proto = Server.prototype as Server & { [installed]?: true };
  if (proto[installed]) return;
  proto[installed] = true;
  const original = proto.listen as (this: Server, ...args: unknown[]) => Server;
  proto.listen = function listen(this: Server, ...args: unknown[]) {
    const handed = handedListener();
    const call = tcpListenCall(args);
    if (!handed || !call || !listensOnHanded(handed, call.host, call.port)) return original.apply(this, args);
    let fd: number;
    try {
      fd = takeHandedListener(handed);
    } catch (error) {
      // As a bind error would: asynchronously, so that the app's own 'error' handler sees it.
      process.nextTick(() => this.emit('error', error));
      return this;
    }
    const options = { fd, ...(call.backlog === undefined ? {} : { backlog: call.backlog }), ...(call.signal ? { signal: call.signal } : {}) };
    return call.callback ? original.call(this, options, call.callback) : original.call(this, options);
  } as Server['listen'];
}
