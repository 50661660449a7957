import { performance } from 'node:perf_hooks';

// The monotonic clock continues from the dump inside CRIU's time namespace,
// while the wall clock jumps: anchor uptime on the monotonic clock at resume.
let restoreWallTime: number | undefined;
let resumedAtMonotonic = 0;
let resumeDelayMs = 0;

/** @internal Records that this process was just restored by a restorer that started at `wallTime`. */
export function markRestored(wallTime: number): void {
  restoreWallTime = wallTime;
  resumedAtMonotonic = performance.now();
  resumeDelayMs = Math.max(0, Date.now() - wallTime);
}

/** Wall-clock time (ms since the epoch) at which this process was restored, or undefined if it never was. */
export function restoreTime(): number | undefined {
  return restoreWallTime;
}

/** Milliseconds since the restore began, or undefined in a process that was never restored. */
export function uptimeSinceRestore(): number | undefined {
  if (restoreWallTime === undefined) return undefined;
  return performance.now() - resumedAtMonotonic + resumeDelayMs;
}
