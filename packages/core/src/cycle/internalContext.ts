import { checkOpenResources, type OpenResourceReport } from '../checks/openResourceCheck.js';
import { Context } from './context.js';
import type { RestorePayload } from '../engines/engine.js';
import { loadBridge } from '../native/bridge.js';
import { applyPayload } from '../resumed/applyPayload.js';
import { markRestored } from '../resumed/restoreClock.js';
import { refreshRandomness } from '../resumed/freshRandomness.js';

/** What the core's own steps need to know about the cycle in progress. */
export interface CycleState {
  /** Whether a restored process is a clone that must not share random state with its siblings. */
  clonesProcess: boolean;
  /** Run the open-resource check before the engine. */
  checkOpenResources: boolean;
  /** Policy file for the open-resource check; default CRAC_POLICY. */
  policyFile: string | undefined;
  /** Descriptors the open-resource check lets pass. */
  allowFds: number[];
  /** Set when this process is a restored copy. */
  payload?: RestorePayload;
  openResources?: OpenResourceReport;
}

/**
 * The core's own steps, as a context registered ahead of every user resource:
 * at checkpoint they run after all user hooks (so the open-resource check sees
 * what the hooks left open), at restore before them (so user afterRestore code
 * already sees fresh randomness and the new environment).
 */
export function createInternalContext(state: CycleState): Context {
  const internal = new Context('node-crac internal');
  internal.register({
    name: 'node-crac: fresh randomness',
    beforeCheckpoint() {},
    afterRestore() {
      if (state.payload && state.clonesProcess) refreshRandomness(loadBridge());
    },
  });
  internal.register({
    name: 'node-crac: restore environment',
    beforeCheckpoint() {},
    afterRestore() {
      if (!state.payload) return;
      markRestored(state.payload.restoreWallTime);
      applyPayload(state.payload);
    },
  });
  internal.register({
    name: 'node-crac: open-resource check',
    async beforeCheckpoint() {
      state.openResources = undefined;
      if (!state.checkOpenResources) return;
      state.openResources = await checkOpenResources({ policyFile: state.policyFile, allowFds: state.allowFds });
      for (const warning of state.openResources.warnings) process.emitWarning(warning, 'CracOpenResourceWarning');
    },
    async afterRestore() {
      await state.openResources?.reopen();
    },
  });
  return internal;
}
