import { debuglog } from 'node:util';
import { checkpointRestore } from '../cycle/checkpointRestore.js';
import { RestoreError } from '../cycle/errors.js';
import { markCheckpointFailed } from '../image/imageDir.js';
import { restoreId } from '../resumed/identity.js';
import { endFailedCopy } from '../resumed/restoreFailure.js';
import type { TriggerRequest } from './protocol.js';
import { setTriggerHandler } from './triggerHandler.js';
import { closeTriggerSocket, listenForTriggers } from './triggerSocket.js';

const debug = debuglog('crac');

const installed = Symbol.for('node-crac.trigger');

/** Checkpoints this process when its launcher asks over the launch channel (the preload calls it). */
export function answerLauncherTriggers(): void {
  setTriggerHandler((request) => void triggeredCheckpoint(request));
}

/**
 * For an app not started by `crac run`: lets `crac checkpoint --pid PID
 * --image DIR` checkpoint this process, through a unix socket of its own in
 * the user's private runtime directory (never a signal). Returns a function
 * that removes it.
 */
export function installCheckpointTrigger(): () => void {
  const store = globalThis as unknown as Record<symbol, (() => void) | undefined>;
  const existing = store[installed];
  if (existing) return existing;
  answerLauncherTriggers();
  listenForTriggers();
  const uninstall = (): void => {
    closeTriggerSocket();
    store[installed] = undefined;
  };
  store[installed] = uninstall;
  return uninstall;
}

async function triggeredCheckpoint({ imageDir, leaveRunning }: TriggerRequest): Promise<void> {
  // A request names an image directory, which means a real image whatever CRAC_ENGINE says.
  const engine = 'criu';
  const incarnation = restoreId();
  try {
    const result = await checkpointRestore({ engine, imageDir, leaveRunning });
    debug('triggered checkpoint: %s', result.outcome);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A restored copy is someone new: its failure is a failed restore, and the
    // image it came from is no place to report it (its restorer shows stderr).
    if (restoreId() !== incarnation) {
      endFailedCopy(message);
      return;
    }
    if (error instanceof RestoreError) {
      // leaveRunning: the image was written; only the original's afterRestore failed.
      process.stderr.write(`node-crac: the checkpoint was written, but afterRestore failed in the running original: ${message}\n`);
      return;
    }
    // The launcher that asked (`crac checkpoint`, with or without --pid) waits on
    // the image directory and prints the failure it finds there; printing it
    // here too would show it twice.
    if (!recordFailure(imageDir, message)) process.stderr.write(`node-crac: triggered checkpoint failed: ${message}\n`);
  }
}

/** Leaves the failure in the image directory for the launcher; false when there is no directory to write to. */
function recordFailure(imageDir: string, message: string): boolean {
  try {
    markCheckpointFailed(imageDir, message);
    return true;
  } catch {
    return false;
  }
}
