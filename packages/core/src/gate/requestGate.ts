/**
 * What a client adapter (pg-crac, redis-crac) puts in front of a connection
 * pool or client: while closed, new requests are held instead of failing or
 * opening a connection before the dump; when opened, the held requests run
 * synchronously in the order they came, before anything issued afterwards.
 * While closed, `drain()` waits for the work that passed the gate earlier.
 */

export interface DrainOptions {
  /** True once no request that passed the gate is still in flight. */
  isDrained(): boolean;
  /** Calls `recheck` whenever `isDrained()` may have changed; returns what stops that. */
  watch(recheck: () => void): () => void;
  /** How long to wait before failing. */
  timeoutMs: number;
  /** The error to fail with on timeout; built at that moment, so it can count what is left. */
  timeoutError(): Error;
}

/** `drain()` was still waiting when the gate opened (the checkpoint was given up meanwhile). */
export class GateOpenedError extends Error {
  override name = 'GateOpenedError';
  constructor() {
    super('the gate was opened before the work in flight had finished');
  }
}

/** `drain()` was called on an open gate: close() it first, or there is nothing to wait for. */
export class GateNotClosedError extends Error {
  override name = 'GateNotClosedError';
  constructor() {
    super('drain() needs a closed gate: close() it first');
  }
}

export class RequestGate {
  #open = true;
  #held: (() => void)[] = [];
  #stopDrain: ((error: Error) => void) | undefined;

  get isOpen(): boolean {
    return this.#open;
  }

  /** Requests waiting for the gate to open. */
  get heldCount(): number {
    return this.#held.length;
  }

  /** Holds every request submitted from now on. */
  close(): void {
    this.#open = false;
  }

  /**
   * Runs the held requests, oldest first, then lets requests through again.
   * Stops a `drain()` still waiting. A request that throws does not stop the
   * others; the failures are thrown together afterwards.
   */
  open(): void {
    this.#stopDrain?.(new GateOpenedError());
    this.#open = true;
    const held = this.#held;
    this.#held = [];
    const failures: unknown[] = [];
    for (const request of held) {
      try {
        request();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} held request(s) threw when the gate opened`);
  }

  /** Runs `request` now if the gate is open, else when it opens. */
  submit(request: () => void): void {
    if (this.#open) request();
    else this.#held.push(request);
  }

  /** Promise form of `submit()`: settles as the promise `request` returns once it ran. */
  call<T>(request: () => PromiseLike<T>): Promise<T> {
    if (this.#open) return Promise.resolve(request());
    return new Promise<T>((resolve, reject) => {
      this.#held.push(() => {
        Promise.resolve(request()).then(resolve, reject);
      });
    });
  }

  /**
   * Resolves once `isDrained()` holds. Rejects with `timeoutError()` after
   * `timeoutMs`, or with GateOpenedError if the gate opens first.
   */
  drain(options: DrainOptions): Promise<void> {
    if (this.#open) return Promise.reject(new GateNotClosedError());
    if (options.isDrained()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let unwatch: (() => void) | undefined;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unwatch?.();
        this.#stopDrain = undefined;
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => finish(options.timeoutError()), options.timeoutMs);
      this.#stopDrain = finish;
      unwatch = options.watch(() => {
        if (options.isDrained()) finish();
      });
      if (settled) unwatch();
    });
  }
}
