import { writeSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { type AppMessage, jsonLines, LAUNCH_ENV } from './protocol.js';
import { runTrigger } from './triggerHandler.js';
import { closeTriggerSocket, listenForTriggers } from './triggerSocket.js';

/**
 * The app's end of the launch channel (protocol.ts). The state is kept on
 * globalThis, for every copy of node-crac in the process (the preload's and the
 * app's own). The socket is unref'd: it never keeps a process alive. It is
 * also the lifeline: when it ends other than by detachFromLauncher(), the
 * launcher is gone and the process group it started is ended.
 */
interface ChannelState {
  /** The launcher's socket; undefined when not launched, or in a restored copy. */
  path: string | undefined;
  socket: Socket | undefined;
  /** What this process told the launcher about itself, said again on a new connection. */
  claims: AppMessage[];
}

const key = Symbol.for('node-crac.launchChannel');

function channel(): ChannelState {
  const store = globalThis as unknown as Record<symbol, ChannelState | undefined>;
  store[key] ??= { path: process.env[LAUNCH_ENV.channel] || undefined, socket: undefined, claims: [] };
  return store[key];
}

/** Whether a launcher that waits for readiness and then takes the checkpoint started this process (not in a restored copy). */
export function launcherAwaitsReady(): boolean {
  return channel().path !== undefined && process.env[LAUNCH_ENV.awaitsReady] === '1';
}

/**
 * Connects to the launcher, if one started this process; idempotent. Only from
 * the main thread: NODE_OPTIONS preloads run in worker threads too (an ESM
 * loader's among them), which are not what the launcher triggers.
 */
export function connectToLauncher(): void {
  const state = channel();
  if (!isMainThread || state.path === undefined || state.socket) return;
  const socket = createConnection(state.path);
  state.socket = socket;
  socket.unref();
  socket.setEncoding('utf8');
  socket.on(
    'data',
    jsonLines((message) => {
      if (message.kind === 'checkpoint' && typeof message.imageDir === 'string') {
        runTrigger({ imageDir: message.imageDir, leaveRunning: message.leaveRunning === true });
      } else if (message.kind === 'dismissed') {
        forgetLauncher(state);
        socket.destroy();
      }
    }),
  );
  let failure: string | undefined;
  socket.on('error', (error: NodeJS.ErrnoException) => (failure = error.code ?? error.message)); // 'close' follows
  socket.on('close', () => {
    if (state.socket !== socket) return; // closed by detachFromLauncher()
    state.socket = undefined;
    if (failure === undefined || LAUNCHER_GONE.has(failure)) launcherGone();
    else process.stderr.write(`node-crac: lost the launch channel ${state.path} (${failure}): this process can no longer be triggered\n`);
  });
  for (const message of [{ kind: 'hello', pid: process.pid } as const, ...state.claims]) socket.write(`${JSON.stringify(message)}\n`);
}

/** How a connection ends when its launcher was killed: refused or gone before, reset or closed after. */
const LAUNCHER_GONE = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE']);

/**
 * The launcher died (even by SIGKILL): nothing it started may outlive it. The
 * launcher made the command it started lead a process group, which wrappers
 * and the app share; the first Node process of that group to notice ends it
 * all, itself included. A restored copy has no launcher and never gets here.
 */
function launcherGone(): void {
  try {
    writeSync(2, 'node-crac: the launcher (crac run / crac checkpoint) is gone: ending the process group it started\n');
  } catch {
    // its stderr went with it
  }
  process.kill(0, 'SIGKILL');
}

/** Tells the launcher something about this process (kept, and said again after a reconnect). */
export function tellLauncher(message: AppMessage): boolean {
  const state = channel();
  if (!isMainThread || state.path === undefined) return false;
  if (state.claims.some((claim) => claim.kind === message.kind)) return true;
  state.claims.push(message);
  if (state.socket) state.socket.write(`${JSON.stringify(message)}\n`);
  else connectToLauncher();
  return true;
}

/**
 * Closes the connection (and the trigger socket) before the image is written:
 * the launcher is outside the image, so the socket cannot be in it (and the
 * open-resource check must not see it). `resume` reconnects a process that
 * goes on (the dump failed, or left it running). A restored copy forgets its
 * launcher for good, so that nothing in it answers the original's launcher or
 * writes into the image it came from; it listens on a trigger socket of its own.
 */
export function detachFromLauncher(): { resume(restored: boolean): void } {
  const state = channel();
  const socket = state.socket;
  state.socket = undefined;
  socket?.destroy();
  const hadSocket = closeTriggerSocket();
  const hadLauncher = state.path !== undefined;
  return {
    resume(restored) {
      if (restored) {
        forgetLauncher(state);
      } else {
        connectToLauncher();
      }
      // A copy has no launcher: `crac checkpoint --pid` reaches it through a socket of its own.
      if (hadSocket || (restored && hadLauncher)) listenForTriggers();
    },
  };
}

/** This process (and what it starts from now on) is no longer the launcher's. */
function forgetLauncher(state: ChannelState): void {
  state.path = undefined;
  state.socket = undefined;
  state.claims = [];
  delete process.env[LAUNCH_ENV.channel];
}
