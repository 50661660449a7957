import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { debuglog } from 'node:util';
import { checkpointRestore } from '../cycle/checkpointRestore.js';
import { RestoreError } from '../cycle/errors.js';
import { markCheckpointFailed } from '../image/imageDir.js';
import { restoreId } from '../resumed/identity.js';
import { endFailedCopy } from '../resumed/restoreFailure.js';
import { LAUNCH_ENV, TRIGGER_SIGNAL, type TriggerRequest, triggerRequestPath } from './protocol.js';

const debug = debuglog('crac');

const installed = Symbol.for('node-crac.trigger');

/**
 * Checkpoints this process on SIGUSR2 (`crac checkpoint` sends it). The image
 * directory comes from a request file left by `crac checkpoint --pid`, else from
 * CRAC_CHECKPOINT_TO. `crac run` and `crac checkpoint -- cmd` install it through
 * a preload (CRAC_TRIGGER=signal). Returns a function that removes it.
 */
export function installCheckpointTrigger(): () => void {
  const store = globalThis as unknown as Record<symbol, (() => void) | undefined>;
  const existing = store[installed];
  if (existing) return existing;
  const onSignal = (): void => void triggeredCheckpoint();
  process.on(TRIGGER_SIGNAL, onSignal);
  const uninstall = (): void => {
    process.off(TRIGGER_SIGNAL, onSignal);
    store[installed] = undefined;
  };
  store[installed] = uninstall;
  return uninstall;
}

async function triggeredCheckpoint(): Promise<void> {
  const request = takeRequest();
  // A request comes from `crac checkpoint --pid`, which means a real image whatever CRAC_ENGINE says.
  const engine = request.imageDir ? 'criu' : undefined;
  const imageDir = request.imageDir ?? (process.env[LAUNCH_ENV.imageDir] || undefined);
  const leaveRunning = request.leaveRunning ?? process.env[LAUNCH_ENV.leaveRunning] === '1';
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
    // A launcher that waits on the image directory (`crac checkpoint`) prints
    // the failure it finds there; printing it here too would show it twice.
    const launcherWaits = request.imageDir !== undefined || process.env[LAUNCH_ENV.launcher] === 'checkpoint';
    if (!(imageDir && recordFailure(imageDir, message) && launcherWaits)) process.stderr.write(`node-crac: triggered checkpoint failed: ${message}\n`);
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

function takeRequest(): TriggerRequest {
  let path: string;
  try {
    path = triggerRequestPath(process.pid);
  } catch (error) {
    process.stderr.write(`node-crac: checkpoint request not read: ${(error as Error).message}\n`);
    return {};
  }
  try {
    const stat = lstatSync(path);
    // Only a request from this user (or root) counts, even in our own directory.
    if (!stat.isFile() || (stat.uid !== process.getuid?.() && stat.uid !== 0)) return {};
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as TriggerRequest;
    return { imageDir: typeof parsed.imageDir === 'string' ? parsed.imageDir : undefined, leaveRunning: parsed.leaveRunning === true };
  } catch {
    return {};
  } finally {
    rmSync(path, { force: true });
  }
}
