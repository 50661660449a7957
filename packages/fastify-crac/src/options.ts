import type { FastifyInstance } from 'fastify';
import type { Context } from 'node-crac';
import type { DrainReport, ReadyOptions, ReadyOutcome, ServerResourceOptions, ServerStatus } from 'node-crac/http';

export interface FastifyCracOptions extends Pick<ServerResourceOptions, 'drainTimeoutMs' | 'onDrainTimeout' | 'listenEnv'>, ReadyOptions<FastifyInstance> {
  /** The context to register with. Default: node-crac's global context. */
  context?: Context;
}

/** `fastify.crac`: where the server stands in the checkpoint cycle. */
export interface FastifyCrac {
  /** 'active', 'draining', 'checkpointed' (closed, waiting for the restore) or 'failed' (could not listen again). */
  readonly status: ServerStatus;
  /** Where it listens (the main server and Fastify's extra bindings); while checkpointed, where it listened. */
  readonly addresses: string[];
  /** One report per closed server from the latest checkpoint. */
  readonly lastDrain: readonly DrainReport[] | undefined;
  /**
   * Settles once Fastify listens and was warmed up, then reported ready or
   * checkpointed (checkpointOnReady); rejects if either failed (also logged).
   */
  readonly ready: Promise<ReadyOutcome>;
}

declare module 'fastify' {
  interface FastifyInstance {
    crac: FastifyCrac;
  }
}
