import type { RestorePayload } from '../engines/engine.js';
import { listenOnHandedSocket } from '../http/handedListenPatch.js';
import { LAUNCH_ENV } from '../launch/protocol.js';

let restoreArgs: readonly string[] = [];

/**
 * Puts the restore-time environment and arguments in place before any user
 * afterRestore hook. A copy forgets CRAC_CHECKPOINT_TO, the image it came
 * from: a checkpoint of the copy must never write into that image (unless the
 * restorer names an image directory again with --env). It forgets
 * CRAC_LISTEN too: the process it names held a socket for the original, and
 * that pid may be any process by now; only a restorer's --listen sets it anew,
 * and then the app's own listen() calls on that port take the restorer's
 * socket too, even in an app started without a launcher's preload.
 */
export function applyPayload(payload: RestorePayload): void {
  delete process.env[LAUNCH_ENV.imageDir];
  delete process.env[LAUNCH_ENV.listen];
  for (const [key, value] of Object.entries(payload.env)) process.env[key] = value;
  if (process.env[LAUNCH_ENV.listen]) listenOnHandedSocket();
  restoreArgs = Object.freeze([...payload.args]);
}

/** Extra arguments given to `crac restore DIR -- args` (empty when none, or never restored). */
export function restoreArguments(): readonly string[] {
  return restoreArgs;
}
