import type { Pool, PoolClient } from 'pg';
import { type HeldWork, patchMethod } from 'node-crac/adapter';
import { HeldQueryDiscardedError } from './heldQueryDiscarded.js';

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
type OwnConnect = (callback?: ConnectCallback) => Promise<PoolClient> | void;

export interface GatedConnect {
  /** The pool's own connect, past the gate: for the adapter's drain and verification. */
  connect(): Promise<PoolClient>;
  /** Puts the pool's own connect back. */
  restore(): void;
}

const noRelease = (): void => {};

/**
 * Routes every checkout through the gate. pg-pool's `query()` checks out
 * through `this.connect()`, so this one place holds both checkouts and
 * queries; released, they enter pg-pool's FIFO queue in the order they came.
 * In a restored copy the ones held before the image was written fail with a
 * HeldQueryDiscardedError instead (see HeldWork).
 */
export function gateConnect(pool: Pool, held: HeldWork, name: string): GatedConnect {
  let ownConnect!: OwnConnect;
  const restore = patchMethod(pool, 'connect', (original) => {
    ownConnect = original as OwnConnect;
    return function gatedConnect(callback?: ConnectCallback): Promise<PoolClient> | void {
      if (callback) {
        // The callback goes on its own tick, as pg-pool's would: what it throws is not the restore's failure.
        return held.hold(
          () => ownConnect(callback),
          () => process.nextTick(callback, new HeldQueryDiscardedError(name), undefined, noRelease),
        );
      }
      return held.call(
        () => ownConnect() as Promise<PoolClient>,
        () => new HeldQueryDiscardedError(name),
      );
    } as Pool['connect'];
  });
  return { connect: () => ownConnect() as Promise<PoolClient>, restore };
}
