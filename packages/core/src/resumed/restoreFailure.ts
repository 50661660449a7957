/**
 * What a restored copy does when its restore failed (an afterRestore hook
 * failed): it says why on stderr, which is its restorer's, and exits with
 * RESTORE_FAILED_EXIT_CODE, which `crac restore` mirrors. `crac restore
 * --keep-failed` asks it (through the payload) to keep running instead.
 */

/** The exit code of a restored copy whose afterRestore failed; `crac restore` exits with it. */
export const RESTORE_FAILED_EXIT_CODE = 75;

let keepFailed = false;

/** @internal Set from the restore payload, before any afterRestore hook runs. */
export function setKeepFailed(value: boolean): void {
  keepFailed = value;
}

/** True when the restorer asked a failed copy to keep running (`crac restore --keep-failed`). */
export function keepFailedCopy(): boolean {
  return keepFailed;
}

/** Reports a failed restore of this copy on stderr and ends it, unless the restorer asked to keep it. */
export function endFailedCopy(message: string): void {
  if (!keepFailed) endCopy(message);
  process.stderr.write(`node-crac: restore failed: ${message}\n`);
  process.stderr.write('node-crac: the failed copy keeps running (crac restore --keep-failed)\n');
}

/** Reports a failed restore of this copy on stderr and ends it, whatever the restorer asked. */
export function endCopy(message: string): never {
  process.stderr.write(`node-crac: restore failed: ${message}\n`);
  process.exit(RESTORE_FAILED_EXIT_CODE);
}
