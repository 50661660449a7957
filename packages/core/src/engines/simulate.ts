import type { Engine, EngineOutcome } from './engine.js';

export interface SimulateEngineOptions {
  /** Environment handed to the "restored" process, as `crac restore --env` would. */
  env?: Record<string, string>;
  /** Arguments handed to the "restored" process. */
  args?: string[];
  /** Makes the checkpoint fail as a failed dump would. */
  fail?: Error;
}

/**
 * Runs the whole cycle without freezing anything: the process "restores" at
 * once. For unit tests of ordering and errors, and machines without CRIU.
 */
export function createSimulateEngine(options: SimulateEngineOptions = {}): Engine {
  return {
    name: 'simulate',
    needsImageDir: false,
    clonesProcess: false,
    async checkpoint(request): Promise<EngineOutcome> {
      if (options.fail) throw options.fail;
      if (request.leaveRunning) return { kind: 'continued', imageDir: undefined };
      return {
        kind: 'restored',
        payload: { env: { ...options.env }, args: [...(options.args ?? [])], restoreWallTime: Date.now() },
      };
    },
  };
}
