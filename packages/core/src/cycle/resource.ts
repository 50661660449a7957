import type { Context } from './context.js';

/**
 * Something that must act around a checkpoint: release what cannot be frozen
 * (sockets, connections) before, take it up again after (jdk.crac's Resource).
 */
export interface Resource {
  /** Shown in errors, events and logs; defaults to the class name. */
  readonly name?: string;
  /**
   * `signal` aborts when the hook runs out of time (hookTimeoutMs): stop the
   * work then. The same resource's afterRestore waits for this hook to end.
   */
  beforeCheckpoint(context: Context, signal: AbortSignal): void | Promise<void>;
  /** `signal` aborts when the hook runs out of time (hookTimeoutMs). */
  afterRestore(context: Context, signal: AbortSignal): void | Promise<void>;
  /**
   * true: the resources registered after this one get their afterRestore while
   * this one's still runs, instead of after it; the restore still waits for it
   * and still fails when it fails. For a resource that holds its own work until
   * its afterRestore is done (pg-crac, redis-crac): a server registered later
   * then listens, and its requests wait for the pool, while connections come back.
   */
  readonly afterRestoreOverlaps?: boolean;
}

/** Phases in which a resource is notified. */
export type Phase = 'beforeCheckpoint' | 'afterRestore';

export function resourceName(resource: Resource): string {
  if (typeof resource.name === 'string' && resource.name !== '') return resource.name;
  const ctorName = (resource as object).constructor?.name;
  return ctorName && ctorName !== 'Object' ? ctorName : 'anonymous resource';
}
