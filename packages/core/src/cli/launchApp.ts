import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { LAUNCH_ENV, READY_FD, READY_MESSAGE } from '../launch/protocol.js';
import { ioUringBlockerPath, loadBridge } from '../native/bridge.js';

/** An app started by `crac run` or `crac checkpoint`, ready to be checkpointed. */
export interface LaunchedApp {
  child: ChildProcess;
  pid: number;
  /** Resolves when the app calls notifyReady(); only with `readyPipe`. */
  ready: Promise<void> | undefined;
  /** Resolves when the app ends (a checkpointed app ends by SIGKILL from CRIU). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the app's output was relayed to the end. */
  outputDone: Promise<void>;
}

export interface LaunchOptions {
  /** Added to the environment. */
  env: Record<string, string>;
  /** Give the app a pipe on fd 3 (CRAC_READY_FD) for notifyReady(). */
  readyPipe: boolean;
  /** Register every server the app listens on (false: --no-auto). */
  autoRegister: boolean;
  /** Where the app's output is relayed (default: our stdout and stderr). */
  output?: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
}

const PRELOAD = resolve(__dirname, '../launch/preload.js');

/**
 * Starts `command` so that CRIU can dump it (docs/checkpoint-mechanism.md §6,
 * docs/restored-copies.md §2 and §3): stdout and
 * stderr are real pipes relayed to ours (never libuv's socketpairs, never an
 * IPC channel), stdin is /dev/null, io_uring_setup fails with ENOSYS (an
 * LD_PRELOAD library, inherited through the environment), and the checkpoint
 * trigger and the automatic registration of servers are preloaded. The app leads its own session: CRIU refuses a process
 * whose session leader is outside its PID namespace, as it is when this command
 * runs inside a container or sandbox that set up the session before the
 * namespace (signals reach the app through our forwarding instead).
 */
export async function launchApp(command: string[], options: LaunchOptions): Promise<LaunchedApp> {
  const [file, ...args] = command;
  if (!file) throw new Error('no command to start');
  const bridge = loadBridge();
  const [outRead, outWrite] = bridge.pipe();
  const [errRead, errWrite] = bridge.pipe();
  const [readyRead, readyWrite] = options.readyPipe ? bridge.pipe() : [-1, -1];

  const nodeOptions = [process.env.NODE_OPTIONS, `--require ${JSON.stringify(PRELOAD)}`].filter(Boolean).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, NODE_OPTIONS: nodeOptions, [LAUNCH_ENV.trigger]: 'signal' };
  env.LD_PRELOAD = withIoUringBlocker(process.env.LD_PRELOAD);
  if (options.autoRegister) env[LAUNCH_ENV.autoRegister] = 'servers';
  else delete env[LAUNCH_ENV.autoRegister];
  if (options.readyPipe) env[LAUNCH_ENV.readyFd] = String(READY_FD);
  else delete env[LAUNCH_ENV.readyFd];

  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ['ignore', outWrite, errWrite, ...(options.readyPipe ? [readyWrite] : [])], env, detached: true });
  } finally {
    for (const fd of [outWrite, errWrite, readyWrite]) if (fd >= 0) closeSync(fd);
  }
  try {
    await new Promise<void>((started, failed) => {
      child.once('spawn', started);
      child.once('error', failed); // e.g. ENOENT: no such command
    });
  } catch (error) {
    for (const fd of [outRead, errRead, readyRead]) if (fd >= 0) closeSync(fd);
    throw error;
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const outputDone = Promise.all([relay(outRead, options.output?.stdout ?? process.stdout), relay(errRead, options.output?.stderr ?? process.stderr)]).then(() => undefined);
  const ready = options.readyPipe ? waitForReady(readyRead) : undefined;
  ready?.catch(() => undefined); // awaited by the caller when it needs it; the app may end first
  return { child, pid: child.pid!, ready, exited, outputDone };
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'];

/**
 * Passes the signals a terminal or supervisor sends us on to the app, which leads
 * its own session and so gets none of them directly. Returns the undo.
 */
export function forwardSignals(app: LaunchedApp): () => void {
  const forward = (signal: NodeJS.Signals): void => void app.child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  return () => {
    for (const signal of FORWARDED) process.off(signal, forward);
  };
}

/** LD_PRELOAD with node-crac's io_uring blocker added (once) to what was there. */
export function withIoUringBlocker(ldPreload: string | undefined): string {
  const blocker = ioUringBlockerPath();
  const others = (ldPreload ?? '').split(/[:\s]+/).filter((lib) => lib && lib !== blocker);
  return [blocker, ...others].join(':');
}

/** Copies what arrives on the pipe `fd` to `to`; resolves once every writer closed it. */
export function relay(fd: number, to: NodeJS.WritableStream): Promise<void> {
  const from = new Socket({ fd, readable: true, writable: false });
  from.pipe(to, { end: false });
  return new Promise((done) => from.once('close', () => done()));
}

function waitForReady(fd: number): Promise<void> {
  const pipe = new Socket({ fd, readable: true, writable: false });
  return new Promise((resolveReady, rejectReady) => {
    let text = '';
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes(READY_MESSAGE)) {
        pipe.destroy();
        resolveReady();
      }
    });
    pipe.once('end', () => rejectReady(new Error('the app closed its ready pipe without calling notifyReady()')));
    pipe.once('error', rejectReady);
  });
}
