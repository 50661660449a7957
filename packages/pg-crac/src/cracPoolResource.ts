import type { Pool } from 'pg';
import type { Context, Resource } from 'node-crac';
import { type HeldWork, unlessAborted } from 'node-crac/adapter';
import { destroyIdleClients, waitForCheckedOutClients } from './drainPool.js';
import type { GatedConnect } from './gateConnect.js';
import type { RestoreConfig } from './restoreConfig.js';
import { verifyConnection } from './verifyConnection.js';

export interface CracPoolResourceSettings {
  name: string;
  checkoutTimeoutMs: number;
  verifyOnRestore: boolean;
  restoreConfig: RestoreConfig | undefined;
}

/**
 * The pool's part in a checkpoint. Before: hold new checkouts and queries,
 * wait for checked-out clients, close the idle ones. After: take the new
 * environment's settings, optionally prove a connection works, run the held
 * work in order: in the original (it continues, or the checkpoint failed);
 * in a restored copy the held work fails with HeldQueryDiscardedError.
 */
export class CracPoolResource implements Resource {
  readonly name: string;
  // Queries wait at the gate until afterRestore is done: a server registered later may listen meanwhile.
  readonly afterRestoreOverlaps = true;

  constructor(
    private readonly pool: Pool,
    private readonly held: HeldWork,
    private readonly gated: GatedConnect,
    private readonly settings: CracPoolResourceSettings,
  ) {
    this.name = settings.name;
  }

  async beforeCheckpoint(_context: Context, signal: AbortSignal): Promise<void> {
    this.held.gate.close();
    this.settings.restoreConfig?.recordBeforeCheckpoint();
    // At the hook timeout, stop waiting: afterRestore, which opens the gate, runs only once this hook has ended.
    await unlessAborted(waitForCheckedOutClients(this.pool, this.held.gate, this.settings.checkoutTimeoutMs), signal);
    await destroyIdleClients(this.pool, this.gated.connect);
  }

  async afterRestore(): Promise<void> {
    try {
      this.settings.restoreConfig?.applyAfterRestore(this.pool);
      if (this.settings.verifyOnRestore) await verifyConnection(this.gated.connect, this.pool.options);
    } finally {
      this.held.release();
    }
  }
}
