import { Context, DEFAULT_HOOK_TIMEOUT_MS, getGlobalContext } from './context.js';
import type { Engine } from '../engines/engine.js';
import { type EngineName, selectEngine } from '../engines/selectEngine.js';
import { ConfigurationError } from './errors.js';

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
  /** Full GC + malloc_trim before an image is written. Default: on, unless CRAC_HEAP_SHRINK=0. */
  heapShrink?: boolean;
}

/** The options with every default applied: what one cycle runs with. */
export interface CyclePlan {
  engine: Engine;
  imageDir: string | undefined;
  leaveRunning: boolean;
  hookTimeoutMs: number;
  context: Context;
  checkOpenResources: boolean;
  policyFile: string | undefined;
  heapShrink: boolean;
  /** Descriptors the open-resource check lets pass. */
  allowFds: number[];
}

/** Applies the defaults and environment variables; a bad value is a ConfigurationError. */
export function planCycle(options: CheckpointRestoreOptions): CyclePlan {
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
    heapShrink: options.heapShrink ?? process.env.CRAC_HEAP_SHRINK !== '0',
    allowFds: engine.needsImageDir ? [] : ipcChannelFds(),
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
