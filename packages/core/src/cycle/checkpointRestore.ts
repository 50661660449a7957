import { debuglog } from 'node:util';
import { Context, DEFAULT_HOOK_TIMEOUT_MS, getGlobalContext, type NotifyOptions, type ResourceTiming } from './context.js';
import type { Engine, EngineOutcome } from '../engines/engine.js';
import { type EngineName, selectEngine } from '../engines/selectEngine.js';
import { CheckpointError, ConfigurationError, RestoreError } from './errors.js';
import { cracEvents } from './events.js';
import { isInsideHook } from './hookScope.js';
import { createInternalContext, type CycleState } from './internalContext.js';
import { restoreTime } from '../resumed/restoreClock.js';

const debug = debuglog('crac');

export interface CheckpointRestoreOptions {
  /** 'criu' (real image), 'simulate' (hooks only), or an Engine. Default: CRAC_ENGINE. */
  engine?: EngineName | Engine;
  /** Where the image goes. Default: CRAC_CHECKPOINT_TO. Required by the criu engine. */
  imageDir?: string;
  /** Keep this process running after the image is written (CRIU -R). */
  leaveRunning?: boolean;
  /** Time each hook may take before it counts as failed. Default: CRAC_HOOK_TIMEOUT_MS or 10 s. */
  hookTimeoutMs?: number;
  /** The context to notify. Default: the global context. */
  context?: Context;
  /** Refuse to checkpoint while unexpected descriptors are open (see docs/policy.md). Default: true. */
  checkOpenResources?: boolean;
  /** Policy file for the open-resource check. Default: CRAC_POLICY. */
  policyFile?: string;
}

export interface CheckpointRestoreResult {
  /** 'restored' in a copy started from the image; 'continued' in the original after leaveRunning. */
  outcome: 'restored' | 'continued';
  engine: string;
  imageDir: string | undefined;
  /** Wall time of the restore (ms since the epoch), when restored. */
  restoreTime: number | undefined;
  resources: ResourceTiming[];
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
      new CheckpointError(
        [new Error('checkpointRestore() was called from inside a beforeCheckpoint/afterRestore hook (recursive checkpoint)')],
        'Recursive checkpoint refused',
      ),
    );
  }
  const cycle = queue.then(() => runCycle(options));
  queue = cycle.catch(() => undefined);
  return cycle;
}

interface ResolvedOptions {
  engine: Engine;
  imageDir: string | undefined;
  leaveRunning: boolean;
  hookTimeoutMs: number;
  context: Context;
  checkOpenResources: boolean;
  policyFile: string | undefined;
}

function resolveOptions(options: CheckpointRestoreOptions): ResolvedOptions {
  const engine = selectEngine(options.engine);
  const imageDir = options.imageDir ?? (process.env.CRAC_CHECKPOINT_TO || undefined);
  if (engine.needsImageDir && !imageDir) {
    throw new ConfigurationError(
      `The ${engine.name} engine needs an image directory: pass { imageDir } to checkpointRestore() or set CRAC_CHECKPOINT_TO`,
    );
  }
  return {
    engine,
    imageDir,
    leaveRunning: options.leaveRunning ?? false,
    hookTimeoutMs: options.hookTimeoutMs ?? hookTimeoutFromEnv(),
    context: options.context ?? getGlobalContext(),
    checkOpenResources: options.checkOpenResources ?? true,
    policyFile: options.policyFile,
  };
}

function hookTimeoutFromEnv(): number {
  const raw = process.env.CRAC_HOOK_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_HOOK_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`CRAC_HOOK_TIMEOUT_MS must be a positive number of milliseconds, got "${raw}"`);
  }
  return value;
}

// An engine that writes no image tolerates the IPC channel of a test runner or
// process manager; CRIU cannot dump one, so with it the check reports it.
function ipcChannelFds(): number[] {
  const fd = (process.channel as { fd?: number } | undefined)?.fd;
  return typeof fd === 'number' && fd >= 0 ? [fd] : [];
}

async function runCycle(options: CheckpointRestoreOptions): Promise<CheckpointRestoreResult> {
  let resolved: ResolvedOptions;
  try {
    resolved = resolveOptions(options);
  } catch (error) {
    throw new CheckpointError([error as Error], 'Checkpoint not started');
  }
  const { engine, imageDir, leaveRunning, hookTimeoutMs, context } = resolved;
  const state: CycleState = {
    clonesProcess: engine.clonesProcess ?? true,
    checkOpenResources: resolved.checkOpenResources,
    policyFile: resolved.policyFile,
    allowFds: engine.needsImageDir ? [] : ipcChannelFds(),
  };
  const root = new Context('node-crac cycle');
  root.register(createInternalContext(state));
  root.register(context);

  const timings: ResourceTiming[] = [];
  const notify: NotifyOptions = {
    hookTimeoutMs,
    onResourceDone(timing) {
      timings.push(timing);
      debug('%s %s: %d ms%s', timing.phase, timing.resource, timing.durationMs.toFixed(1), timing.error ? ` (failed: ${timing.error.message})` : '');
      cracEvents.emit('resource', timing);
    },
  };

  debug('checkpoint: engine %s, image %s', engine.name, imageDir ?? '(none)');
  const started = performance.now();
  const beforeErrors = await root.notifyBeforeCheckpoint(notify);

  let outcome: EngineOutcome | undefined;
  const failures = [...beforeErrors];
  if (failures.length === 0) {
    cracEvents.emit('checkpoint', { engine: engine.name, imageDir, notifyDurationMs: performance.now() - started, resources: [...timings] });
    try {
      outcome = await engine.checkpoint({ imageDir, leaveRunning });
    } catch (error) {
      failures.push(error as Error);
    }
  }

  if (outcome?.kind === 'restored') state.payload = outcome.payload;
  const restoreErrors = await root.notifyAfterRestore(notify);

  if (outcome === undefined) {
    const error = new CheckpointError([...failures, ...restoreErrors]);
    cracEvents.emit('checkpointFailed', { error, resources: timings });
    throw error;
  }
  const restoreError = restoreErrors.length > 0 ? new RestoreError(restoreErrors) : undefined;
  const restoredAt = outcome.kind === 'restored' ? restoreTime() : undefined;
  cracEvents.emit('restore', { engine: engine.name, outcome: outcome.kind, restoreTime: restoredAt, resources: timings, error: restoreError });
  if (restoreError) throw restoreError;
  return { outcome: outcome.kind, engine: engine.name, imageDir, restoreTime: restoredAt, resources: timings };
}
