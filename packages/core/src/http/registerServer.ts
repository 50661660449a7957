import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { type Context, getGlobalContext } from '../cycle/context.js';
import { becomeReady, type ReadyOptions, type ReadyOutcome } from './readyFlow.js';
import { createServerResource, type ServerResource, type ServerResourceOptions } from './serverResource.js';

export interface RegisterServerOptions<S extends Server = HttpServer> extends ServerResourceOptions, ReadyOptions<S> {
  /** The context to register with. Default: the global context. */
  context?: Context;
  /** Receives a failed warm-up or checkpoint on ready. Default: a process warning. */
  onReadyError?: (error: Error) => void;
}

/** A server taking part in checkpoints. */
export interface CracServer<S extends Server = HttpServer> {
  readonly resource: ServerResource<S>;
  /**
   * Settles once the server listens and has been warmed up and reported ready
   * or checkpointed (checkpointOnReady); rejects when either failed.
   */
  readonly ready: Promise<ReadyOutcome>;
  /** Takes the server out of future checkpoints. */
  unregister(): void;
}

/**
 * Registers a server (the one `app.listen()` returns, or your own; node:http,
 * node:https, node:http2 or node:net): drained and closed before every
 * checkpoint, listening again after the restore. Once it listens, readiness
 * is reported to `crac checkpoint`.
 */
export function registerServer<S extends Server = HttpServer>(server: S, options: RegisterServerOptions<S> = {}): CracServer<S> {
  const resource = createServerResource(server, options);
  const registration = (options.context ?? getGlobalContext()).register(resource);
  const listening = server.listening ? Promise.resolve() : new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const ready = listening.then(() => becomeReady(server, options));
  // Reported here so that nobody has to await `ready`; awaiting it still sees the error.
  ready.catch(options.onReadyError ?? ((error: Error) => process.emitWarning(error)));
  return { resource, ready, unregister: () => registration.unregister() };
}
