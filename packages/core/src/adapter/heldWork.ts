import { cycleOutcome } from '../cycle/cycleOutcome.js';
import type { RequestGate } from '../gate/requestGate.js';
import { instanceId } from '../resumed/identity.js';

/** The `code` of every HeldWorkDiscardedError, whichever adapter threw it. */
export const HELD_WORK_DISCARDED = 'ERR_CRAC_HELD_WORK_DISCARDED';

/**
 * Work (a query, a command, a checkout) that was issued before the image was
 * written and held by the adapter's gate did not run in this restored copy:
 * held work runs at most once across the original and all copies, in the
 * original when it continues (leaveRunning) or when the checkpoint failed.
 * The code that issued it decides whether this copy should issue it again.
 * Adapters subclass it (pg-crac's HeldQueryDiscardedError, redis-crac's
 * HeldCommandDiscardedError); `code` is always HELD_WORK_DISCARDED.
 */
export class HeldWorkDiscardedError extends Error {
  override name = 'HeldWorkDiscardedError';
  readonly code = HELD_WORK_DISCARDED;
  /** The adapter's resource name: 'pg-crac pool'. */
  readonly resource: string;
  /** What was held: 'a query or checkout', 'the command INCR'. */
  readonly work: string;

  constructor(resource: string, work: string) {
    super(
      `${resource}: ${work} was issued before the checkpoint and held; it did not run in this restored copy. ` +
        'Held work runs at most once: in the original when it continues (leaveRunning), never in a copy. Issue it again if this copy should do it.',
    );
    this.resource = resource;
    this.work = work;
  }
}

/**
 * A RequestGate's held work, released so that it runs at most once across the
 * original and all copies of an image. `hold()` and `call()` take the work
 * and what to do instead when it must not run; `release()` (in afterRestore,
 * instead of `gate.open()`) runs the held work when the cycle's outcome is
 * 'continued' or 'failed' (or outside a cycle), and in a restored copy
 * discards what was issued before the copy became itself (instanceId()):
 * work issued by the copy after its restore still runs.
 */
export class HeldWork {
  #discarding = false;

  constructor(readonly gate: RequestGate) {}

  /** Runs `run` now if the gate is open; otherwise holds it, and at `release()` runs it or calls `discard`. */
  hold(run: () => void, discard: () => void): void {
    if (this.gate.isOpen) {
      run();
      return;
    }
    const issuedBy = instanceId();
    this.gate.submit(() => {
      if (this.#discarding && issuedBy !== instanceId()) discard();
      else run();
    });
  }

  /** Promise form of `hold()`: a discarded request rejects with `discarded()`. */
  call<T>(run: () => PromiseLike<T>, discarded: () => Error): Promise<T> {
    if (this.gate.isOpen) return Promise.resolve(run());
    return new Promise<T>((resolve, reject) => {
      this.hold(
        () => void Promise.resolve(run()).then(resolve, reject),
        () => reject(discarded()),
      );
    });
  }

  /** Opens the gate: the held work runs, in the order it came, or is discarded in a restored copy. */
  release(): void {
    this.#discarding = cycleOutcome() === 'restored';
    try {
      this.gate.open();
    } finally {
      this.#discarding = false;
    }
  }
}
