import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The end of one phase: the wall clock (ms, the restorer's too) and the monotonic one (sub-ms, this process's only). */
export interface PhaseEnd {
  phase: string;
  wall: number;
  monotonic: number;
}

export function phaseEnd(phase: string): PhaseEnd {
  return { phase, wall: Date.now(), monotonic: performance.now() };
}

/**
 * Where a restored copy's time goes until its afterRestore hooks are done, for
 * the benchmark: with CRAC_RESTORE_TIMINGS=FILE in the restore's environment
 * (`crac restore --env CRAC_RESTORE_TIMINGS=FILE`), the copy writes to FILE (a
 * new file, 0600) the wall-clock time at which each of its steps and hooks
 * ended, in order. `ends` are all from after the restore, where the two clocks
 * keep one offset: the monotonic times carry the precision, and the offset is
 * the largest of the differences, as Date.now() only ever rounds down.
 */
export function writeResumeTimings(ends: PhaseEnd[]): void {
  const file = process.env.CRAC_RESTORE_TIMINGS;
  if (!file) return;
  const offset = Math.max(...ends.map((end) => end.wall - end.monotonic));
  const resumed = ends.map((end) => ({ phase: end.phase, at: end.monotonic + offset }));
  try {
    writeFileSync(file, `${JSON.stringify({ resumed })}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    process.emitWarning(`cannot write the restore timings to ${file}: ${(error as Error).message}`, 'CracRestoreTimingsWarning');
  }
}
