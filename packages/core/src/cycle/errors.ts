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

/** node-crac is not configured to checkpoint (no engine, no image directory, bad option). */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
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
