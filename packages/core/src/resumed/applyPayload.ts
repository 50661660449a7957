import type { RestorePayload } from '../engines/engine.js';

let restoreArgs: readonly string[] = [];

/**
 * Puts the restore-time environment and arguments in place before any user
 * afterRestore hook. A copy forgets CRAC_CHECKPOINT_TO, the image it came
 * from: a checkpoint of the copy must never write into that image (unless the
 * restorer names an image directory again with --env).
 */
export function applyPayload(payload: RestorePayload): void {
  delete process.env.CRAC_CHECKPOINT_TO;
  for (const [key, value] of Object.entries(payload.env)) process.env[key] = value;
  restoreArgs = Object.freeze([...payload.args]);
}

/** Extra arguments given to `crac restore DIR -- args` (empty when none, or never restored). */
export function restoreArguments(): readonly string[] {
  return restoreArgs;
}
