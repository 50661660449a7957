import { Context } from './context.js';
import type { RestorePayload } from './engines/engine.js';
import { applyPayload } from './restore/applyPayload.js';
import { markRestored } from './restore/restoreClock.js';

/** What the core's own steps need to know about the cycle in progress. */
export interface CycleState {
  /** Set when this process is a restored copy. */
  payload?: RestorePayload;
}

/**
 * The core's own steps, as a context registered ahead of every user resource:
 * at checkpoint they run after all user hooks, at restore before them, so user
 * afterRestore code already sees the new environment.
 */
export function createInternalContext(state: CycleState): Context {
  const internal = new Context('node-crac internal');
  internal.register({
    name: 'node-crac: restore environment',
    beforeCheckpoint() {},
    afterRestore() {
      if (!state.payload) return;
      markRestored(state.payload.restoreWallTime);
      applyPayload(state.payload);
    },
  });
  return internal;
}
