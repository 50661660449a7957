import type { FastifyInstance } from 'fastify';
import { getGlobalContext } from 'node-crac';
import { becomeReady, createServerResource, trackConnections } from 'node-crac/http';
import type { FastifyCrac, FastifyCracOptions } from './options.js';
import { serverBindings } from './serverBindings.js';

/** Registers the Fastify server with node-crac and decorates `fastify.crac`. */
export function setupCrac(fastify: FastifyInstance, options: FastifyCracOptions): void {
  const resource = createServerResource(fastify.server, {
    name: 'fastify server',
    drainTimeoutMs: options.drainTimeoutMs,
    onDrainTimeout: options.onDrainTimeout,
    listenEnv: options.listenEnv,
    extraBindings: () => serverBindings(fastify),
    onDrained: (reports) => fastify.log.info({ drained: reports }, 'crac: closed for the checkpoint'),
    onListening: (addresses) => fastify.log.info({ addresses }, 'crac: listening again after the restore'),
  });
  const registration = (options.context ?? getGlobalContext()).register(resource);

  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve)).then(() => becomeReady(fastify, options));
  ready.catch((error: Error) => fastify.log.error({ err: error }, 'crac: warm-up or checkpoint on ready failed'));

  const crac: FastifyCrac = {
    get status() {
      return resource.status;
    },
    get addresses() {
      return resource.addresses;
    },
    get lastDrain() {
      return resource.lastDrain;
    },
    ready,
  };
  fastify.decorate('crac', crac);

  fastify.addHook('onListen', async () => {
    // The extra bindings exist from now on: follow their requests from the start.
    for (const server of serverBindings(fastify)) trackConnections(server);
    listening();
  });
  // fastify.close() is final: the server must not listen again at a later restore.
  fastify.addHook('onClose', async () => registration.unregister());
}
