import type { Phase } from './resource.js';

/** One cause of a failed checkpoint or restore, naming the resource it came from. */
export class ResourceError extends Error {
  override name = 'ResourceError';
  constructor(
    readonly resource: string,
    readonly phase: Phase,
    override readonly cause: unknown,
  ) {
    super(`${resource} ${phase}: ${describeCause(cause)}`, { cause });
  }
}

/**
 * No image was written: a beforeCheckpoint hook, the open-resource check or
 * the engine failed. Every notified resource already ran afterRestore, so the
 * application goes on as before. `errors` holds every cause.
 */
export class CheckpointError extends AggregateError {
  override name = 'CheckpointError';
  declare readonly errors: Error[];
  constructor(errors: Error[], headline = 'Checkpoint failed, no image was written') {
    super(errors.map(asError), formatMessage(headline, errors));
  }
}

/** The process was restored but one or more afterRestore hooks failed. */
export class RestoreError extends AggregateError {
  override name = 'RestoreError';
  declare readonly errors: Error[];
  constructor(errors: Error[], headline = 'Restore completed with errors') {
    super(errors.map(asError), formatMessage(headline, errors));
  }
}

/** A setting is missing or invalid: no engine, no image directory, a bad option or environment variable. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** checkpointRestore() was called from inside a hook; the outer checkpoint goes on. */
export class RecursiveCheckpointError extends Error {
  override name = 'RecursiveCheckpointError';
  readonly code = 'ERR_CRAC_RECURSIVE_CHECKPOINT';
  constructor() {
    super('checkpointRestore() was called from inside a beforeCheckpoint/afterRestore hook (recursive checkpoint)');
  }
}

/** A hook ran past its timeout; its AbortSignal fired with this error as the reason. */
export class HookTimeoutError extends Error {
  override name = 'HookTimeoutError';
  readonly code = 'ERR_CRAC_HOOK_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms (raise hookTimeoutMs or CRAC_HOOK_TIMEOUT_MS if it needs longer)`);
  }
}

/**
 * afterRestore was not called: the same resource's beforeCheckpoint timed out
 * and was still running a grace period later, so the two would have overlapped.
 */
export class HookStillRunningError extends Error {
  override name = 'HookStillRunningError';
  readonly code = 'ERR_CRAC_HOOK_STILL_RUNNING';
  constructor(readonly graceMs: number) {
    super(`not called: its beforeCheckpoint was still running ${graceMs} ms after it timed out (stop the work when the hook's AbortSignal fires)`);
  }
}

/** Whatever was thrown, as an Error: an engine or a hook may reject with a string or a plain object. */
export function asError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(describeCause(cause), { cause });
}

function formatMessage(headline: string, errors: Error[]): string {
  const noun = errors.length === 1 ? 'cause' : 'causes';
  return [`${headline} (${errors.length} ${noun}):`, ...errors.map((e) => `  - ${describeCause(e).replace(/\n/g, '\n    ')}`)].join('\n');
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'object' && cause !== null) {
    try {
      return JSON.stringify(cause);
    } catch {
      // a cyclic object: fall back to its tag
    }
  }
  return String(cause);
}
