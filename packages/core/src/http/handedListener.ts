import { closeSync } from 'node:fs';
import { isIP } from 'node:net';
import { procStatFields } from '../checks/procStat.js';
import { ConfigurationError } from '../cycle/errors.js';
import { LAUNCH_ENV } from '../launch/protocol.js';
import { loadBridge, type SocketDescription } from '../native/bridge.js';

/**
 * The listening socket a launcher holds for the app (LAUNCH_ENV.listen): the
 * app listens on a duplicate of it, taken with pidfd_getfd, so connections that
 * arrive while the app does not listen (a checkpoint, a restore) wait in the
 * socket's backlog instead of being refused.
 */
export interface HandedListener {
  pid: number;
  /** Field 22 of /proc/PID/stat when the launcher wrote it; '' for PID 1 of the app's own namespace. */
  startTime: string;
  fd: number;
  host: string;
  port: number;
}

/** The CRAC_LISTEN value for `listener`. */
export function formatHandedListener(listener: HandedListener): string {
  return `${listener.pid}:${listener.startTime}:${listener.fd}:${listener.host}:${listener.port}`;
}

/** Parses a CRAC_LISTEN value; throws a ConfigurationError naming what is wrong. */
export function parseHandedListener(text: string): HandedListener {
  const match = /^(\d+):(\d*):(\d+):(.+):(\d+)$/.exec(text);
  const host = match?.[4]?.replace(/^\[(.*)\]$/, '$1');
  const [pid, fd, port] = [Number(match?.[1]), Number(match?.[3]), Number(match?.[5])];
  if (!match || !host || pid < 1 || port < 1 || port > 65535 || (match[2] === '' && pid !== 1)) {
    throw new ConfigurationError(`${LAUNCH_ENV.listen}="${text}" is not pid:starttime:fd:host:port (a starttime may be left empty for pid 1 only); it is set by crac run, checkpoint, restore and start --listen: do not set it yourself`);
  }
  return { pid, startTime: match[2]!, fd, host, port };
}

/** The listener handed to this process, or undefined when none is (CRAC_LISTEN unset). */
export function handedListener(env: NodeJS.ProcessEnv = process.env): HandedListener | undefined {
  const text = env[LAUNCH_ENV.listen];
  return text ? parseHandedListener(text) : undefined;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Whether a listen on `host` (undefined: every address, as listen(port) does)
 * and `port` is one for the handed socket: the same port, and the same host,
 * or every address asked for (the operator's --listen decides where the app
 * listens), or a handed socket on every address of the host's family ('::'
 * takes IPv4 too), or 'localhost' for a loopback socket.
 */
export function listensOnHanded(handed: HandedListener, host: string | undefined, port: number): boolean {
  if (port !== handed.port) return false;
  if (host === undefined || WILDCARDS.has(host) || host === handed.host || handed.host === '::') return true;
  if (host === 'localhost') return ['127.0.0.1', '::1', '0.0.0.0'].includes(handed.host);
  return handed.host === '0.0.0.0' && isIP(host) === 4;
}

/** The handed socket could not be used: names what was found and the fix. It is never listened on. */
export class HandedListenerError extends Error {
  override name = 'HandedListenerError';
  readonly code = 'ERR_CRAC_HANDED_LISTENER';
}

/**
 * A duplicate of the handed socket in this process, checked to be a listening
 * TCP socket on exactly the handed address, of the process that started at
 * the handed start time; throws a HandedListenerError (the duplicate closed) otherwise.
 */
export function takeHandedListener(handed: HandedListener): number {
  const what = `the listening socket ${LAUNCH_ENV.listen} names (fd ${handed.fd} of pid ${handed.pid}, ${handed.host}:${handed.port})`;
  const fix = 'start the app with crac run/checkpoint/restore/start --listen, and do not carry CRAC_LISTEN into another process';
  const bridge = loadBridge();
  let fd: number;
  try {
    fd = bridge.takeDescriptor(handed.pid, handed.fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ESRCH'
        ? `pid ${handed.pid} is gone (its launcher ended)`
        : code === 'EBADF'
          ? `pid ${handed.pid} has no fd ${handed.fd}`
          : code === 'EPERM'
            ? `no ptrace access to pid ${handed.pid} (EPERM): pidfd_getfd needs it; run the app as the launcher's user, root as CRIU needs`
            : (error as Error).message;
    throw new HandedListenerError(`cannot take ${what}: ${why}; ${fix}`, { cause: error });
  }
  try {
    // Read after the take: the launcher alive at its start time now was alive, at that pid, when the duplicate was taken.
    const startTime = handed.startTime === '' ? '' : processStartTime(handed.pid);
    if (startTime !== handed.startTime) throw new HandedListenerError(`${what} is not the launcher's: pid ${handed.pid} started at ${startTime ?? '(gone)'}, not at ${handed.startTime} (the pid was reused); ${fix}`);
    const found = bridge.describeSocket(fd);
    if (!found.socket || !found.tcp || !found.listening || found.address !== handed.host || found.port !== handed.port) {
      throw new HandedListenerError(`${what} is ${describe(found)}, not a TCP socket listening on ${handed.host}:${handed.port}: it is not used; ${fix}`);
    }
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined when there is no such process. */
export function processStartTime(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

function describe(found: SocketDescription): string {
  if (!found.socket) return 'no socket';
  const address = found.address === undefined ? '' : ` on ${found.address}:${found.port}`;
  return `a${found.listening ? ' listening' : ' non-listening'} ${found.tcp ? 'TCP' : `non-TCP ${found.family}`} socket${address}`;
}
