import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { procStatFields } from '../checks/procStat.js';
import { parseUnixTable } from '../checks/socketTables.js';
import {
  type ControlAnswer,
  type ControlMessage,
  isTriggerSocketName,
  jsonLines,
  LAUNCH_DIR_PREFIX,
  LAUNCH_ENV,
  LAUNCH_SOCKET_NAME,
  type TriggerRequest,
} from '../launch/protocol.js';
import { userRuntimeDir } from '../trust/privateTemp.js';
import { checkOwnDirectory, describeOwner } from '../trust/trustedPath.js';

/**
 * The launcher's end of the launch channel (launch/protocol.ts): a unix socket
 * in a fresh directory (mkdtemp, 0700) in the user's private runtime
 * directory, so that only this user and root can connect. The Node processes the launcher started connect to it; `crac
 * checkpoint --pid` connects to the one of `crac run` to trigger its app.
 */
export interface LaunchChannel {
  readonly path: string;
  /** The process that claimed the app role (it listens on a TCP port, or called notifyReady()). */
  appPid(): number | undefined;
  /** Resolves with the app's PID when it calls notifyReady(). */
  readonly ready: Promise<number>;
  /**
   * Asks the app to checkpoint itself, once no Node process the app started
   * holds a connection here (or is about to open one); resolves with its PID.
   * Rejects when no app is connected. `fallbackPid`: the app when none
   * claimed the role yet.
   */
  trigger(request: TriggerRequest, fallbackPid: number): Promise<number>;
  close(): void;
}

export interface LaunchChannelOptions {
  /** Called once, when a process claims the app role. */
  onApp?: (pid: number) => void;
  /**
   * Answers a trigger from `crac checkpoint --pid PID` (only `crac run` takes
   * them); `pid` is the one it was given. Without it, such triggers are refused.
   */
  onControl?: (pid: number, request: TriggerRequest) => Promise<ControlAnswer>;
}

/** The preload every Node process the launcher starts loads (NODE_OPTIONS=--require): it connects to the channel. */
export const PRELOAD = resolve(__dirname, '../launch/preload.js');

/** Listens on a new launch channel. */
export async function openLaunchChannel(options: LaunchChannelOptions = {}): Promise<LaunchChannel> {
  const runtime = userRuntimeDir();
  await sweepStaleSockets(runtime);
  const dir = mkdtempSync(join(runtime, LAUNCH_DIR_PREFIX));
  const path = join(dir, LAUNCH_SOCKET_NAME);
  const connected = new Map<number, Socket>();
  let app: number | undefined;
  let markReady!: (pid: number) => void;
  const ready = new Promise<number>((resolve) => (markReady = resolve));

  // A Node process the app started is in its process group already (no
  // lifeline needed), and its connection would be in the app's image.
  const dismissIfTheApps = (pid: number, socket: Socket): void => {
    if (app !== undefined && pid !== app && descendsFrom(pid, app)) socket.write(`${JSON.stringify({ kind: 'dismissed' })}\n`);
  };
  const claim = (pid: number): boolean => {
    if (app === undefined) {
      app = pid;
      options.onApp?.(pid);
      for (const [other, socket] of connected) dismissIfTheApps(other, socket);
    }
    return app === pid;
  };

  const greeted = new Set<number>();
  /**
   * The app's descendants that are still connected (dismissed, not yet gone),
   * or are Node processes with this channel and the preload in their
   * environment that have not connected yet: each would hold a socket to
   * this process, outside the image, which CRIU refuses to dump.
   */
  const unsettled = (appPid: number): number[] =>
    descendantsOf(appPid).filter((pid) => connected.has(pid) || (!greeted.has(pid) && willConnect(pid, path)));

  const server = createServer((socket) => {
    let pid: number | undefined;
    socket.setEncoding('utf8');
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      if (pid !== undefined && connected.get(pid) === socket) connected.delete(pid);
    });
    socket.on(
      'data',
      jsonLines((message) => {
        const from = typeof message.pid === 'number' ? message.pid : undefined;
        if (from === undefined) return;
        switch (message.kind) {
          case 'hello':
            pid = from;
            greeted.add(from);
            connected.set(from, socket);
            dismissIfTheApps(from, socket);
            return;
          case 'listening':
            claim(from);
            return;
          case 'ready':
            if (claim(from)) markReady(from);
            return;
          case 'trigger': {
            const request: TriggerRequest = { imageDir: String(message.imageDir), leaveRunning: message.leaveRunning === true };
            const refused: ControlAnswer = { kind: 'refused', reason: 'this launcher (crac checkpoint) takes its checkpoint itself' };
            void (options.onControl?.(from, request) ?? Promise.resolve(refused)).then((answer) => socket.end(`${JSON.stringify(answer)}\n`));
            return;
          }
        }
      }),
    );
  });
  try {
    await new Promise<void>((listening, failed) => {
      server.once('error', failed);
      server.listen(path, listening);
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the launch channel could not listen on ${path}: ${(error as Error).message}`);
  }
  server.unref();

  return {
    path,
    appPid: () => app,
    ready,
    async trigger(request, fallbackPid) {
      const target = app ?? fallbackPid;
      for (const deadline = Date.now() + SETTLE_LIMIT_MS; unsettled(target).length > 0 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const socket = connected.get(target);
      if (!socket) {
        throw new Error(
          `process ${target} is not connected to its launcher: it is not a Node process started by crac (with node-crac's preload in NODE_OPTIONS), or it is in the middle of a checkpoint`,
        );
      }
      socket.write(`${JSON.stringify({ kind: 'checkpoint', ...request })}\n`);
      return target;
    },
    close() {
      server.close();
      for (const socket of connected.values()) socket.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where `crac checkpoint --pid` sends its trigger: the process's own trigger socket, or its launcher's channel. */
export type TriggerTarget = { path: string; via: 'own socket' | 'launcher' };

/**
 * Finds how to trigger `pid`: a trigger socket it listens on (a restored copy,
 * or an app that called installCheckpointTrigger()), else the channel of the
 * `crac run` that started it (named in its environment). Both must be in this
 * user's runtime directory, whose checks run first; undefined when neither.
 */
export function findTriggerTarget(pid: number): TriggerTarget | undefined {
  const runtime = userRuntimeDir();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`no process ${pid}`);
    throw new Error(`cannot read the descriptors of process ${pid} (${code}): run crac checkpoint --pid as the user that started it, or as root`);
  }
  const unix = parseUnixTable(readFileSync(`/proc/${pid}/net/unix`, 'utf8'));
  for (const fd of fds) {
    const inode = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`))?.[1];
    const entry = inode ? unix.get(Number(inode)) : undefined;
    if (entry?.state === 'LISTEN' && entry.path && dirname(entry.path) === runtime && isTriggerSocketName(basename(entry.path))) {
      return { path: checkedSocket(entry.path, pid), via: 'own socket' };
    }
  }
  const prefix = `${LAUNCH_ENV.channel}=`;
  const path = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((entry) => entry.startsWith(prefix))?.slice(prefix.length);
  if (!path) return undefined;
  const dir = dirname(path);
  if (dirname(dir) !== runtime || !basename(dir).startsWith(LAUNCH_DIR_PREFIX) || basename(path) !== LAUNCH_SOCKET_NAME) {
    throw new Error(`process ${pid} names a launch channel outside your runtime directory ${runtime} (${path}): run crac checkpoint --pid as the user that ran crac run, with the same TMPDIR`);
  }
  return { path: checkedSocket(path, pid), via: 'launcher' };
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** `path`, once it is a socket of this user's (or root's), in a directory of ours that nobody else can write. */
function checkedSocket(path: string, pid: number): string {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    throw new Error(`the launcher of process ${pid} is gone (${path} does not exist): it is no longer run by crac run`);
  }
  checkOwnDirectory(dirname(path), 'run crac checkpoint --pid as the user that started the app');
  const uid = process.getuid?.() ?? 0;
  if (!stat.isSocket() || (stat.uid !== uid && stat.uid !== 0)) {
    throw new Error(`${path} is not a trigger socket of yours (a ${stat.isSocket() ? 'socket' : 'file'} of ${describeOwner(stat.uid)}): refused`);
  }
  return path;
}

/** Sends a trigger to the socket `path` (a launch channel or a trigger socket) and returns the answer. */
export function sendTrigger(path: string, message: ControlMessage): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answered = false;
    socket.setEncoding('utf8');
    socket.on(
      'data',
      jsonLines((answer) => {
        answered = true;
        socket.destroy();
        if (answer.kind === 'triggered' && typeof answer.pid === 'number') resolve({ kind: 'triggered', pid: answer.pid });
        else resolve({ kind: 'refused', reason: typeof answer.reason === 'string' ? answer.reason : 'no reason given' });
      }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`the trigger of process ${message.pid} does not answer on ${path} (${error.code ?? error.message}): is it (or its crac run) still running?`)),
    );
    socket.once('close', () => {
      if (!answered) reject(new Error(`the trigger of process ${message.pid} closed ${path} without an answer`));
    });
    socket.write(`${JSON.stringify(message)}\n`);
  });
}

/** Entries younger than this may belong to a launcher or app that has bound its socket but not listened yet. */
const STALE_AFTER_MS = 60_000;

/**
 * Removes what launchers and apps killed by SIGKILL left in the runtime
 * directory: launch channel directories and trigger sockets nobody listens on.
 */
async function sweepStaleSockets(runtime: string): Promise<void> {
  const stale: { socket: string; remove: string }[] = [];
  for (const name of readdirSync(runtime)) {
    const path = join(runtime, name);
    if (name.startsWith(LAUNCH_DIR_PREFIX)) stale.push({ socket: join(path, LAUNCH_SOCKET_NAME), remove: path });
    else if (isTriggerSocketName(name)) stale.push({ socket: path, remove: path });
  }
  await Promise.all(
    stale.map(async ({ socket, remove }) => {
      try {
        if (Date.now() - lstatSync(remove).mtimeMs < STALE_AFTER_MS) return;
      } catch {
        return; // gone meanwhile
      }
      const result = await connectResult(socket);
      if (result === 'ECONNREFUSED' || result === 'ENOENT') rmSync(remove, { recursive: true, force: true });
    }),
  );
}

function connectResult(path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * How long a trigger waits for the app's child processes to leave the channel:
 * past it, the dump goes ahead, and CRIU names the socket it cannot dump.
 */
const SETTLE_LIMIT_MS = 5_000;

/** The parent of `pid` (field 4 of /proc/PID/stat); undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  const ppid = procStatFields(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/** Every live descendant of `ancestor`. */
function descendantsOf(ancestor: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== ancestor && descendsFrom(pid, ancestor));
}

/** Whether `pid` is a Node process that will connect to the channel at `path`: both it and the preload are in its environment. */
function willConnect(pid: number, path: string): boolean {
  let environ: string[];
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return false; // gone, or not ours
  }
  return environ.includes(`${LAUNCH_ENV.channel}=${path}`) && environ.some((entry) => entry.startsWith('NODE_OPTIONS=') && entry.includes(PRELOAD)) && isNode(pid);
}

function isNode(pid: number): boolean {
  return /^node(?:js)?(?:[-\d.]*)$/.test(basename(safeReadlink(`/proc/${pid}/exe`)));
}

/** Whether `ancestor` is among the parents of `pid` (through /proc/PID/stat). */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let current: number | undefined = pid, hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
    current = parentOf(current);
    if (current === ancestor) return true;
  }
  return false;
}
