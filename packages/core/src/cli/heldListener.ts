import { closeSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { formatHandedListener, processStartTime } from '../http/handedListener.js';
import { LAUNCH_ENV } from '../launch/protocol.js';
import { loadBridge, type SocketDescription } from '../native/bridge.js';
import { say, UsageError } from './command.js';

/** Node's default listen() backlog; the app's listen on a duplicate sets its own. */
const BACKLOG = 511;
/** systemd socket activation hands the first socket as fd 3 (sd_listen_fds(3)). */
const SD_LISTEN_FDS_START = 3;
const MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req';

/** `--listen [HOST:]PORT`: HOST a numeric address (undefined: every IPv4 address), PORT 1-65535. */
export interface ListenOption {
  host: string | undefined;
  port: number;
}

/** Parses `3000`, `127.0.0.1:3000`, `[::1]:3000` or `:::3000`; throws a UsageError naming the fix. */
export function parseListenOption(text: string): ListenOption {
  const match = /^(?:\[([^\]]+)\]:|(.*):)?(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) throw new UsageError(`--listen wants [HOST:]PORT with PORT 1-65535, got "${text}"`);
  if (host !== undefined && isIP(host) === 0) {
    throw new UsageError(`--listen ${text}: HOST must be a numeric address (127.0.0.1, 0.0.0.0, ::1, [::]), not "${host}"`);
  }
  return { host, port };
}

/**
 * The listening socket a launcher holds for the app's whole life (its own
 * --listen, or the one systemd handed it): the app listens on duplicates
 * (CRAC_LISTEN), so the port never closes while the launcher runs.
 */
export interface HeldListener {
  /** This process's descriptor (close-on-exec). */
  readonly fd: number;
  readonly host: string;
  readonly port: number;
  /** Whether the address was named (--listen HOST:PORT): then the app gets HOST too. */
  readonly hostNamed: boolean;
  /** How it came: `--listen 127.0.0.1:3000`, or `systemd socket activation (fd 3)`. */
  readonly origin: string;
  close(): void;
}

/**
 * Binds `--listen` before anything is started, or takes the socket systemd
 * handed over (LISTEN_PID is this process and LISTEN_FDS >= 1: fd 3);
 * undefined when neither. Both at once is a usage error. A port in use throws
 * an Error naming the port and the fix. `firstFd` is where systemd puts the
 * socket (3): a parameter only so that a test need not own its fd 3.
 */
export function holdListener(listen: string | undefined, reusePort: boolean, env: NodeJS.ProcessEnv = process.env, firstFd = SD_LISTEN_FDS_START): HeldListener | undefined {
  const activated = env.LISTEN_PID === String(process.pid) && Number(env.LISTEN_FDS) >= 1;
  if (activated && listen !== undefined) {
    throw new UsageError('--listen and systemd socket activation (LISTEN_FDS) both give a socket: drop --listen, or ListenStream= from the unit');
  }
  if (activated) return adoptActivated(env, firstFd);
  if (listen === undefined) return undefined;
  const option = parseListenOption(listen);
  const host = option.host ?? '0.0.0.0';
  let fd: number;
  try {
    fd = loadBridge().listenTcp(host, option.port, BACKLOG, reusePort);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${host.includes(':') ? `[${host}]` : host}:${option.port}`;
    if (code === 'EADDRINUSE') {
      throw new Error(
        `--listen ${listen}: port ${option.port} is in use (${where}, EADDRINUSE): nothing was started; stop what holds it ("ss -ltnp 'sport = :${option.port}'" names it), ` +
          `or pick another port${reusePort ? '; --reuse-port takes a port over only from a copy started with --reuse-port too' : ''}`,
        { cause: error },
      );
    }
    throw new Error(`--listen ${listen}: cannot listen on ${where}: ${(error as Error).message}; nothing was started`, { cause: error });
  }
  const found = loadBridge().describeSocket(fd);
  return held(fd, found.address!, found.port!, option.host !== undefined, `--listen ${listen}`);
}

/** The socket systemd passed (fd 3), checked, moved to a close-on-exec descriptor so that the app does not inherit it. */
function adoptActivated(env: NodeJS.ProcessEnv, first: number): HeldListener {
  const bridge = loadBridge();
  let found: SocketDescription;
  try {
    found = bridge.describeSocket(first);
  } catch (error) {
    throw new Error(`systemd socket activation: LISTEN_FDS=${env.LISTEN_FDS} but fd ${first} is not open (${(error as Error).message}); check the unit's .socket`, { cause: error });
  }
  if (!found.socket || !found.tcp || !found.listening) {
    const what = !found.socket ? 'no socket' : !found.tcp ? `a ${found.family} socket, not TCP` : 'a TCP socket that is not listening';
    throw new Error(`systemd socket activation: fd ${first} is ${what}: crac needs a listening TCP socket (ListenStream=PORT or HOST:PORT in the .socket unit, one socket)`);
  }
  const fd = bridge.takeDescriptor(process.pid, first);
  closeSync(first);
  // Not for the app: it gets the socket through CRAC_LISTEN, and would take LISTEN_FDS as meant for itself.
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  return held(fd, found.address!, found.port!, false, `systemd socket activation (fd ${first})`);
}

function held(fd: number, host: string, port: number, hostNamed: boolean, origin: string): HeldListener {
  let open = true;
  return {
    fd,
    host,
    port,
    hostNamed,
    origin,
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/**
 * `--listen` and `--reuse-port` of crac restore and crac start: the socket
 * held (see holdListener), said on stderr for `forWhom`, with what
 * --reuse-port means on this host; undefined without either.
 */
export function holdListenerForRestore(listen: string | undefined, reusePort: boolean, forWhom: string): HeldListener | undefined {
  if (reusePort && listen === undefined) throw new UsageError('--reuse-port goes with --listen (with systemd socket activation, set ReusePort= in the .socket unit)');
  const listener = holdListener(listen, reusePort);
  if (listener) say(`holding ${listener.host}:${listener.port} for ${forWhom} (${listener.origin})`);
  const note = reusePort ? reusePortNote() : undefined;
  if (note) say(`note: ${note}`);
  return listener;
}

/**
 * The environment that hands `listener` to an app: CRAC_LISTEN naming
 * `holder` (pid and descriptor; pid 1 of a restore's namespace without a start
 * time), PORT, and HOST when --listen named one. `given` is what the app gets
 * already (the launcher's environment, --env): a PORT or HOST there that
 * differs is a usage error, since the app would not listen on the port held for it.
 */
export function listenerEnv(listener: HeldListener, holder: { pid: number; fd: number }, given: Record<string, string | undefined>): Record<string, string> {
  const startTime = holder.pid === 1 ? '' : processStartTime(holder.pid);
  if (startTime === undefined) throw new Error(`cannot read the start time of pid ${holder.pid} from /proc`);
  const env: Record<string, string> = {
    [LAUNCH_ENV.listen]: formatHandedListener({ pid: holder.pid, startTime, fd: holder.fd, host: listener.host, port: listener.port }),
    PORT: String(listener.port),
  };
  if (listener.hostNamed) env.HOST = listener.host;
  for (const name of ['PORT', 'HOST'] as const) {
    const value = given[name];
    if (value !== undefined && value !== '' && env[name] !== undefined && value !== env[name]) {
      throw new UsageError(`${name}=${value} is given, but ${listener.origin} holds ${listener.host}:${listener.port} for the app: drop ${name}, or make it ${env[name]}`);
    }
  }
  return env;
}

/**
 * With --reuse-port, what an operator must know before replacing a copy:
 * whether connections still queued in the old copy's socket when it closes
 * are moved to the new one (net.ipv4.tcp_migrate_req=1) or reset. undefined
 * when they are moved.
 */
export function reusePortNote(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): string | undefined {
  let value: string;
  try {
    value = read(MIGRATE_REQ).trim();
  } catch {
    return `${MIGRATE_REQ} cannot be read (a kernel before 5.14?): connections still queued in a --reuse-port socket when it closes are reset`;
  }
  if (value === '1') return undefined;
  return `net.ipv4.tcp_migrate_req is ${value}: when a copy holding a port with --reuse-port ends, connections still queued in its socket are reset, not moved to the copy that took the port over; set it to 1 (sysctl -w net.ipv4.tcp_migrate_req=1) for a replacement without resets`;
}
