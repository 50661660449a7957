import { CheckpointError, HookStillRunningError, ResourceError, RestoreError } from './errors.js';
import { type Phase, type Resource, resourceName } from './resource.js';
import { runHook } from './runHook.js';

export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** Timing of one resource's hook, as reported in events. */
export interface ResourceTiming {
  resource: string;
  phase: Phase;
  durationMs: number;
  error?: Error;
}

export interface NotifyOptions {
  hookTimeoutMs: number;
  onResourceDone?: (timing: ResourceTiming) => void;
}

/** Returned by `register()`: unregisters the resource, also through `using`. */
export interface Registration extends Disposable {
  unregister(): void;
}

const defaultNotifyOptions: NotifyOptions = { hookTimeoutMs: DEFAULT_HOOK_TIMEOUT_MS };

/**
 * An ordered set of resources, itself a Resource so contexts nest. Before a
 * checkpoint resources are notified in reverse registration order, after a
 * restore in registration order (jdk.crac semantics).
 */
export class Context implements Resource {
  readonly name: string;
  readonly #resources: Resource[] = [];
  // Resources that were sent beforeCheckpoint in the current cycle: exactly
  // these get afterRestore, whatever was registered or unregistered meanwhile.
  #notified: Resource[] = [];
  // beforeCheckpoint hooks that outlived their timeout: the same resource's
  // afterRestore must not run while its beforeCheckpoint still does.
  readonly #stillRunning = new Map<Resource, Promise<void>>();

  constructor(name = 'Context') {
    this.name = name;
  }

  register(resource: Resource): Registration {
    if (resource === null || typeof resource !== 'object' || typeof resource.beforeCheckpoint !== 'function' || typeof resource.afterRestore !== 'function') {
      throw new TypeError('register() needs a Resource: an object with beforeCheckpoint(context) and afterRestore(context) methods');
    }
    if (resource === this) throw new TypeError(`Context "${this.name}" cannot be registered in itself`);
    this.#resources.push(resource);
    const unregister = (): void => {
      const index = this.#resources.indexOf(resource);
      if (index !== -1) this.#resources.splice(index, 1);
    };
    return { unregister, [Symbol.dispose]: unregister };
  }

  /** Number of resources registered directly in this context. */
  get size(): number {
    return this.#resources.length;
  }

  async beforeCheckpoint(): Promise<void> {
    const errors = await this.notifyBeforeCheckpoint(defaultNotifyOptions);
    if (errors.length > 0) throw new CheckpointError(errors, `Context "${this.name}" failed before checkpoint`);
  }

  async afterRestore(): Promise<void> {
    const errors = await this.notifyAfterRestore(defaultNotifyOptions);
    if (errors.length > 0) throw new RestoreError(errors, `Context "${this.name}" failed after restore`);
  }

  /** @internal Notifies every resource, newest first; returns every failure instead of stopping at one. */
  async notifyBeforeCheckpoint(options: NotifyOptions): Promise<Error[]> {
    const snapshot = [...this.#resources].reverse();
    this.#notified = [];
    const errors: Error[] = [];
    for (const resource of snapshot) {
      this.#notified.push(resource);
      errors.push(...(await this.#notify(resource, 'beforeCheckpoint', options)));
    }
    return errors;
  }

  /**
   * @internal Notifies, oldest first, every resource that got beforeCheckpoint in this cycle;
   * the next one starts once the hook before it ended, or at once after one that overlaps.
   */
  async notifyAfterRestore(options: NotifyOptions): Promise<Error[]> {
    const notified = [...this.#notified].reverse();
    this.#notified = [];
    const errors: Error[] = [];
    const overlapping: Promise<Error[]>[] = [];
    for (const resource of notified) {
      const done = this.#notify(resource, 'afterRestore', options);
      if (resource.afterRestoreOverlaps === true) overlapping.push(done);
      else errors.push(...(await done));
    }
    for (const more of await Promise.all(overlapping)) errors.push(...more);
    return errors;
  }

  async #notify(resource: Resource, phase: Phase, options: NotifyOptions): Promise<Error[]> {
    if (resource instanceof Context) {
      return phase === 'beforeCheckpoint' ? resource.notifyBeforeCheckpoint(options) : resource.notifyAfterRestore(options);
    }
    const name = resourceName(resource);
    if (phase === 'afterRestore' && !(await this.#settled(resource, options.hookTimeoutMs))) {
      const error = new ResourceError(name, phase, new HookStillRunningError(options.hookTimeoutMs));
      options.onResourceDone?.({ resource: name, phase, durationMs: 0, error });
      return [error];
    }
    const outcome = await runHook(name, phase, (signal) => resource[phase](this, signal), options.hookTimeoutMs);
    if (phase === 'beforeCheckpoint' && outcome.stillRunning) this.#stillRunning.set(resource, outcome.stillRunning);
    options.onResourceDone?.({ resource: name, phase, durationMs: outcome.durationMs, error: outcome.error });
    return outcome.error ? [outcome.error] : [];
  }

  /** Waits, at most `graceMs`, for a timed-out beforeCheckpoint of `resource` to end; false if it is still running. */
  async #settled(resource: Resource, graceMs: number): Promise<boolean> {
    const running = this.#stillRunning.get(resource);
    if (!running) return true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const settled = await Promise.race([running.then(() => true as const), grace]);
    clearTimeout(timer);
    if (settled) this.#stillRunning.delete(resource);
    return settled;
  }
}

let globalContext: Context | undefined;

/** The context that adapters and applications register with by default. */
export function getGlobalContext(): Context {
  // Kept on globalThis so that two copies of node-crac in one process share it.
  const key = Symbol.for('node-crac.globalContext');
  const store = globalThis as unknown as Record<symbol, Context | undefined>;
  globalContext ??= store[key] ??= new Context('global');
  return globalContext;
}
