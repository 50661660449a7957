import { checkpointRestore, type CheckpointRestoreOptions, type CheckpointRestoreResult } from '../cycle/checkpointRestore.js';
import { notifyReady } from '../launch/ready.js';

export interface ReadyOptions<Target> {
  /**
   * Runs once the server listens, before readiness is reported or the
   * checkpoint is taken: send the warm-up traffic that should be in the image.
   */
  warmup?: (target: Target) => unknown;
  /**
   * Checkpoint as soon as the app is ready, after the warm-up (the counterpart
   * of Spring's checkpoint on refresh): true, or the options for
   * checkpointRestore(). Under `crac checkpoint`, which waits for readiness and
   * takes the checkpoint itself, readiness is reported instead.
   */
  checkpointOnReady?: boolean | CheckpointRestoreOptions;
}

export type ReadyOutcome =
  /** Readiness was reported; `launcher` tells whether a `crac checkpoint` launcher received it. */
  | { kind: 'reported'; launcher: boolean }
  /** The app checkpointed itself; this is the restored (or, with leaveRunning, continued) process. */
  | { kind: 'checkpointed'; result: CheckpointRestoreResult };

/** What an adapter does once its server listens: warm up, then report readiness or checkpoint. */
export async function becomeReady<Target>(target: Target, options: ReadyOptions<Target>): Promise<ReadyOutcome> {
  await options.warmup?.(target);
  const launcher = notifyReady();
  if (launcher || !options.checkpointOnReady) return { kind: 'reported', launcher };
  const result = await checkpointRestore(options.checkpointOnReady === true ? {} : options.checkpointOnReady);
  return { kind: 'checkpointed', result };
}
