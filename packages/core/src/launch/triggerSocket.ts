import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { markOwnServer } from '../http/serverClaims.js';
import { instanceId } from '../resumed/identity.js';
import { type ControlAnswer, jsonLines, triggerSocketName } from './protocol.js';
import { runTrigger } from './triggerHandler.js';
import { userRuntimeDir } from '../trust/privateTemp.js';

/**
 * The trigger of a process no launcher listens for (a restored copy, or an app
 * that called installCheckpointTrigger()): a unix socket of its own in the
 * user's private runtime directory, named after instanceId() (copies share
 * their PID), which `crac checkpoint --pid` finds among the process's
 * descriptors. Unref'd: it never keeps the process alive.
 */
interface SocketState {
  server: Server | undefined;
  path: string | undefined;
}

const key = Symbol.for('node-crac.triggerSocket');

function state(): SocketState {
  const store = globalThis as unknown as Record<symbol, SocketState | undefined>;
  store[key] ??= { server: undefined, path: undefined };
  return store[key];
}

/** Listens for `crac checkpoint --pid`; idempotent. A failure to listen is printed, not thrown. */
export function listenForTriggers(): void {
  const current = state();
  if (current.server) return;
  let path: string;
  try {
    path = join(userRuntimeDir(), triggerSocketName(instanceId()));
  } catch (error) {
    process.stderr.write(`node-crac: no checkpoint trigger: ${(error as Error).message}\n`);
    return;
  }
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on(
      'data',
      jsonLines((message) => {
        if (message.kind !== 'trigger' || typeof message.imageDir !== 'string') return;
        const request = { imageDir: message.imageDir, leaveRunning: message.leaveRunning === true };
        const answer: ControlAnswer = { kind: 'triggered', pid: process.pid };
        // The connection must be closed before the checkpoint starts: it cannot be in the image.
        socket.end(`${JSON.stringify(answer)}\n`);
        socket.once('close', () => runTrigger(request));
      }),
    );
  });
  server.on('error', (error) => {
    process.stderr.write(`node-crac: no checkpoint trigger: cannot listen on ${path}: ${error.message}\n`);
    if (current.server === server) current.server = undefined;
  });
  markOwnServer(server); // closed and opened again by the checkpoint itself, never drained and listened again
  server.listen(path);
  server.unref();
  current.server = server;
  if (current.path === undefined) process.once('exit', () => closeTriggerSocket());
  current.path = path;
}

/** Closes the socket (before the image is written); returns whether it was listening. */
export function closeTriggerSocket(): boolean {
  const current = state();
  const server = current.server;
  current.server = undefined;
  server?.close();
  return server !== undefined;
}
