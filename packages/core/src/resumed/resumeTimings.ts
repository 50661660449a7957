import { writeFileSync } from 'node:fs';

/**
 * Where a restored copy's time goes until its afterRestore hooks are done, for
 * the benchmark: with CRAC_RESTORE_TIMINGS=FILE in the restore's environment
 * (`crac restore --env CRAC_RESTORE_TIMINGS=FILE`), the copy writes to FILE (a
 * new file, 0600) the wall-clock time at which each of its steps and hooks
 * ended, in order. The wall clock, unlike the monotonic one, is the restorer's.
 */
export function writeResumeTimings(ends: { phase: string; at: number }[]): void {
  const file = process.env.CRAC_RESTORE_TIMINGS;
  if (!file) return;
  try {
    writeFileSync(file, `${JSON.stringify({ resumed: ends })}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    process.emitWarning(`cannot write the restore timings to ${file}: ${(error as Error).message}`, 'CracRestoreTimingsWarning');
  }
}
