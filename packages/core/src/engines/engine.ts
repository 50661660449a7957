import type { ResourceTiming } from '../cycle/context.js';
import type { HeapShrinkResult } from '../heap/heapShrink.js';

/** What the restorer hands to the restored process through the status pipe (docs/checkpoint-mechanism.md). */
export interface RestorePayload {
  /** Environment variables given at restore; merged into process.env before any afterRestore hook. */
  env: Record<string, string>;
  /** Extra arguments given at restore (`crac restore DIR -- args`). */
  args: string[];
  /** Wall-clock time (ms since the epoch) at which the restorer started the restore. */
  restoreWallTime: number;
}

export interface CheckpointRequest {
  /** Image directory; undefined only for engines that write no image. */
  imageDir: string | undefined;
  /** Keep the original process running after the dump (CRIU `-R`). */
  leaveRunning: boolean;
  /** The beforeCheckpoint hooks that ran, for the image's record. */
  resources: ResourceTiming[];
  /** What the heap shrink did; undefined for engines that write no image. */
  heap: HeapShrinkResult | undefined;
}

export type EngineOutcome =
  /** This process is a restored copy; the payload came from the restorer. */
  | { kind: 'restored'; payload: RestorePayload }
  /** The image was written and this is the original process, still running (leaveRunning). */
  | { kind: 'continued'; imageDir: string | undefined };

/**
 * Freezes the current process. A failure throws (any Error); the process then
 * keeps running and the caller turns the error into a CheckpointError.
 */
export interface Engine {
  readonly name: string;
  /** Whether this engine needs an image directory. */
  readonly needsImageDir: boolean;
  /**
   * Whether a restored process may be one of many copies of one image, whose
   * randomness must then be refreshed. Default: true.
   */
  readonly clonesProcess?: boolean;
  checkpoint(request: CheckpointRequest): Promise<EngineOutcome>;
}
