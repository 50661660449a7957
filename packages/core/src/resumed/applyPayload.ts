import type { RestorePayload } from '../engines/engine.js';

let restoreArgs: readonly string[] = [];

/** Puts the restore-time environment and arguments in place before any user afterRestore hook. */
export function applyPayload(payload: RestorePayload): void {
  for (const [key, value] of Object.entries(payload.env)) process.env[key] = value;
  restoreArgs = Object.freeze([...payload.args]);
}

/** Extra arguments given to `crac restore DIR -- args` (empty when none, or never restored). */
export function restoreArguments(): readonly string[] {
  return restoreArgs;
}
