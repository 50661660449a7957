import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { LAUNCH_ENV } from '../launch/protocol.js';
import { ioUringBlockerPath, loadBridge } from '../native/bridge.js';
import type { AutoAdapter } from './autoOption.js';
import { type HeldListener, listenerEnv } from './heldListener.js';
import { type LaunchChannel, type LaunchChannelOptions, openLaunchChannel, PRELOAD } from './launchChannel.js';

/** An app started by `crac run` or `crac checkpoint`, ready to be checkpointed. */
export interface LaunchedApp {
  child: ChildProcess;
  /** The command started: the app itself, or a wrapper (npm, npx) that starts it. */
  pid: number;
  /** The launch channel its Node processes connect to (ready, trigger). */
  channel: LaunchChannel;
  /** Resolves when the command ends (a checkpointed app ends by SIGKILL from CRIU). */
  exited: Promise<Exit>;
  /** Resolves once the app's output was relayed to the end. */
  outputDone: Promise<void>;
  /** The last lines the app wrote to stderr, to say why it ended. */
  stderrTail(): string[];
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface LaunchOptions {
  /** Added to the environment. */
  env: Record<string, string>;
  /** What the launch channel does for `crac checkpoint --pid` and when the app is known. */
  channel?: LaunchChannelOptions;
  /** Register every server the app listens on (false: --no-auto). */
  autoRegister: boolean;
  /** The libraries whose clients are registered too (--auto pg,ioredis). */
  autoAdapters?: AutoAdapter[];
  /** The listening socket this launcher holds for the app (--listen, systemd): handed over through CRAC_LISTEN, PORT, HOST. */
  listener?: HeldListener;
  /** Where the app's output is relayed (default: our stdout and stderr). */
  output?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

const TAIL_LINES = 20;

/**
 * Starts `command` so that CRIU can dump it (docs/checkpoint-mechanism.md §6,
 * docs/restored-copies.md §2 and §3): stdout and
 * stderr are real pipes relayed to ours (never libuv's socketpairs, never an
 * IPC channel), stdin is /dev/null, io_uring_setup fails with ENOSYS (an
 * LD_PRELOAD library, inherited through the environment), and the checkpoint
 * trigger and the automatic registration of servers are preloaded. The app
 * leads its own session: CRIU refuses a process
 * whose session leader is outside its PID namespace, as it is when this command
 * runs inside a container or sandbox that set up the session before the
 * namespace (signals reach the app through our forwarding instead).
 */
export async function launchApp(command: string[], options: LaunchOptions): Promise<LaunchedApp> {
  const [file, ...args] = command;
  if (!file) throw new Error('no command to start');
  const handOver = options.listener ? listenerEnv(options.listener, { pid: process.pid, fd: options.listener.fd }, { ...process.env, ...options.env }) : {};
  const bridge = loadBridge();
  const [outRead, outWrite] = bridge.pipe();
  const [errRead, errWrite] = bridge.pipe();
  let channel: LaunchChannel;
  try {
    channel = await openLaunchChannel(options.channel);
  } catch (error) {
    for (const fd of [outRead, outWrite, errRead, errWrite]) closeSync(fd);
    throw error;
  }

  const nodeOptions = [process.env.NODE_OPTIONS, `--require ${JSON.stringify(PRELOAD)}`].filter(Boolean).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, ...handOver, ...options.env, NODE_OPTIONS: nodeOptions, [LAUNCH_ENV.channel]: channel.path };
  env.LD_PRELOAD = withIoUringBlocker(process.env.LD_PRELOAD);
  if (!options.env[LAUNCH_ENV.awaitsReady]) delete env[LAUNCH_ENV.awaitsReady];
  // One inherited from elsewhere names another launcher's socket: never the app's.
  if (!options.listener) delete env[LAUNCH_ENV.listen];
  if (options.autoRegister) env[LAUNCH_ENV.autoRegister] = ['servers', ...(options.autoAdapters ?? [])].join(',');
  else delete env[LAUNCH_ENV.autoRegister];

  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ['ignore', outWrite, errWrite], env, detached: true });
  } finally {
    for (const fd of [outWrite, errWrite]) closeSync(fd);
  }
  try {
    await new Promise<void>((started, failed) => {
      child.once('spawn', started);
      child.once('error', failed); // e.g. ENOENT: no such command
    });
  } catch (error) {
    for (const fd of [outRead, errRead]) closeSync(fd);
    channel.close();
    throw error;
  }
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const tail: string[] = [];
  const outputDone = Promise.all([relay(outRead, options.output?.stdout ?? process.stdout), relay(errRead, options.output?.stderr ?? process.stderr, tail)]).then(() => undefined);
  return { child, pid: child.pid!, channel, exited, outputDone, stderrTail: () => [...tail] };
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'];

/**
 * Passes the signals a terminal or supervisor sends us on to the app's process
 * group (as a terminal does to its foreground group), which leads its own
 * session and so gets none of them directly. `received` is the last one.
 */
export function forwardSignals(app: LaunchedApp): { received(): NodeJS.Signals | undefined; stop(): void } {
  let last: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    last = signal;
    signalGroup(app.pid, signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  return {
    received: () => last,
    stop() {
      for (const signal of FORWARDED) process.off(signal, forward);
    },
  };
}

/** How a process ended, in words: "exit code 3", "SIGTERM". */
export function describeExit(exit: Exit): string {
  return exit.signal ?? `exit code ${exit.code}`;
}

/**
 * Ends everything the launcher started: SIGTERM to the app's process group
 * (the command leads it; wrappers and the app are in it), SIGKILL to what is
 * left of it after `graceMs`.
 */
export async function stopApp(app: LaunchedApp, graceMs = 5000): Promise<void> {
  signalGroup(app.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(app.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signalGroup(app.pid, 'SIGKILL');
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the process group `pgid`; a group already gone is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** LD_PRELOAD with node-crac's io_uring blocker added (once) to what was there. */
export function withIoUringBlocker(ldPreload: string | undefined): string {
  const blocker = ioUringBlockerPath();
  const others = (ldPreload ?? '').split(/[:\s]+/).filter((lib) => lib && lib !== blocker);
  return [blocker, ...others].join(':');
}

/**
 * Copies what arrives on the pipe `fd` to `to`; resolves once every writer
 * closed it. With `tail`, keeps the last lines there.
 */
export function relay(fd: number, to: NodeJS.WritableStream, tail?: string[]): Promise<void> {
  const from = new Socket({ fd, readable: true, writable: false });
  from.pipe(to, { end: false });
  if (tail) {
    let partial = '';
    from.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      tail.push(...lines);
      tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
    });
    from.once('end', () => {
      if (partial) tail.push(partial);
      tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
    });
  }
  return new Promise((done) => from.once('close', () => done()));
}
