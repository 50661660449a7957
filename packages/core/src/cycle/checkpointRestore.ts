import { checkOpenResources, type OpenResourceReport } from '../checks/openResourceCheck.js';
import type { EngineOutcome } from '../engines/engine.js';
import { shrinkHeap } from '../heap/heapShrink.js';
import { detachFromLauncher } from '../launch/channel.js';
import { loadBridge } from '../native/bridge.js';
import { applyPayload } from '../resumed/applyPayload.js';
import { refreshRandomness } from '../resumed/freshRandomness.js';
import { writeResumeTimings } from '../resumed/resumeTimings.js';
import { markNewIncarnation } from '../resumed/identity.js';
import { markRestored, restoreTime } from '../resumed/restoreClock.js';
import type { ResourceTiming } from './context.js';
import { type CheckpointRestoreOptions, type CyclePlan, planCycle } from './cycleOptions.js';
import { setCycleOutcome } from './cycleOutcome.js';
import { CycleRecord } from './cycleRecord.js';
import { CheckpointError, RecursiveCheckpointError, RestoreError } from './errors.js';
import { emitCracEvent, type StepTiming } from './events.js';
import { isInsideHook } from './hookScope.js';

export type { CheckpointRestoreOptions } from './cycleOptions.js';

export interface CheckpointRestoreResult {
  /** 'restored' in a copy started from the image; 'continued' in the original after leaveRunning. */
  outcome: 'restored' | 'continued';
  engine: string;
  imageDir: string | undefined;
  /** Wall time of the restore (ms since the epoch), when restored. */
  restoreTime: number | undefined;
  resources: ResourceTiming[];
  /** The core's own steps, in the order they ran. */
  steps: StepTiming[];
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Checkpoints this process: notifies every resource, writes an image and
 * resolves in the restored process. Calls are serialized; a call from inside a
 * hook is refused. On failure nothing is written, every notified resource got
 * afterRestore, and the promise rejects with a CheckpointError.
 */
export function checkpointRestore(options: CheckpointRestoreOptions = {}): Promise<CheckpointRestoreResult> {
  if (isInsideHook()) {
    return Promise.reject(
      new CheckpointError([new RecursiveCheckpointError()], 'Recursive checkpoint refused'),
    );
  }
  const cycle = queue.then(() => runCycle(options));
  queue = cycle.catch(() => undefined);
  return cycle;
}

/**
 * One cycle, step by step. Each step runs only while nothing has failed; every
 * resource that got beforeCheckpoint gets afterRestore, whatever happened.
 *
 *   hooks before -> open-resource check -> heap shrink -> engine
 *                      (restored copy, continued original, or failure)
 *   fresh randomness -> restore environment -> reopen files -> hooks after
 */
async function runCycle(options: CheckpointRestoreOptions): Promise<CheckpointRestoreResult> {
  let plan: CyclePlan;
  try {
    plan = planCycle(options);
  } catch (error) {
    throw new CheckpointError([error as Error], 'Checkpoint not started');
  }
  const { engine, imageDir, leaveRunning, context } = plan;
  const record = new CycleRecord(plan.hookTimeoutMs);
  const failures: Error[] = [];
  const ok = (): boolean => failures.length === 0;
  const started = performance.now();

  failures.push(...(await context.notifyBeforeCheckpoint(record.notifyOptions)));

  // The launcher's channel cannot go into an image, and the check must not see it.
  const launcher = ok() && engine.needsImageDir ? detachFromLauncher() : undefined;

  let openResources: OpenResourceReport | undefined;
  if (ok() && plan.checkOpenResources) {
    openResources = await record.step('open-resource check', failures, async () => {
      const report = await checkOpenResources({ policyFile: plan.policyFile, allowFds: plan.allowFds });
      for (const warning of report.warnings) process.emitWarning(warning, 'CracOpenResourceWarning');
      // emitWarning prints on the next tick: let that happen before the image is
      // written, so the warning shows once at the checkpoint, not in every copy.
      if (report.warnings.length > 0) await new Promise((resolve) => setImmediate(resolve));
      return report;
    });
  }

  // The image holds every resident page: give back what the heap no longer uses.
  const heap = ok() && engine.needsImageDir ? await record.step('heap shrink', failures, () => shrinkHeap(loadBridge(), plan.heapShrink)) : undefined;

  let outcome: EngineOutcome | undefined;
  if (ok()) {
    const resources = record.resources.filter((timing) => timing.phase === 'beforeCheckpoint');
    emitCracEvent('checkpoint', { engine: engine.name, imageDir, notifyDurationMs: performance.now() - started, resources });
    outcome = await record.step('engine', failures, () => engine.checkpoint({ imageDir, leaveRunning, resources, heap }));
  }

  const restoreErrors: Error[] = [];
  if (outcome?.kind === 'restored') {
    const { payload } = outcome;
    // A copy of an image must not share random state with its siblings.
    if (engine.clonesProcess ?? true) await record.step('fresh randomness', restoreErrors, () => refreshRandomness(loadBridge()));
    await record.step('restore environment', restoreErrors, () => {
      markRestored(payload.restoreWallTime);
      markNewIncarnation();
      applyPayload(payload);
    });
  }
  launcher?.resume(outcome?.kind === 'restored');
  if (openResources) await record.step('reopen files', restoreErrors, () => openResources.reopen());
  setCycleOutcome(outcome?.kind ?? 'failed');
  try {
    restoreErrors.push(...(await context.notifyAfterRestore(record.notifyOptions)));
  } finally {
    setCycleOutcome(undefined);
  }
  if (outcome?.kind === 'restored') writeResumeTimings(record.ends.slice(record.ends.findIndex((end) => end.phase === 'engine')));

  if (outcome === undefined) {
    const error = new CheckpointError([...failures, ...restoreErrors]);
    emitCracEvent('checkpointFailed', { error, resources: record.resources });
    throw error;
  }
  const restoreError = restoreErrors.length > 0 ? new RestoreError(restoreErrors) : undefined;
  const restoredAt = outcome.kind === 'restored' ? restoreTime() : undefined;
  emitCracEvent('restore', { engine: engine.name, outcome: outcome.kind, restoreTime: restoredAt, resources: record.resources, error: restoreError });
  if (restoreError) throw restoreError;
  return { outcome: outcome.kind, engine: engine.name, imageDir, restoreTime: restoredAt, resources: record.resources, steps: record.steps };
}
