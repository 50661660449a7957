import type { Pool, PoolClient } from 'pg';
import type { RequestGate } from 'node-crac';
import { patchMethod } from 'node-crac/adapter';

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
type OwnConnect = (callback?: ConnectCallback) => Promise<PoolClient> | void;

export interface GatedConnect {
  /** The pool's own connect, past the gate: for the adapter's drain and verification. */
  connect(): Promise<PoolClient>;
  /** Puts the pool's own connect back. */
  restore(): void;
}

/**
 * Routes every checkout through the gate. pg-pool's `query()` checks out
 * through `this.connect()`, so this one place holds both checkouts and
 * queries; released, they enter pg-pool's FIFO queue in the order they came.
 */
export function gateConnect(pool: Pool, gate: RequestGate): GatedConnect {
  let ownConnect!: OwnConnect;
  const restore = patchMethod(pool, 'connect', (original) => {
    ownConnect = original as OwnConnect;
    return function gatedConnect(callback?: ConnectCallback): Promise<PoolClient> | void {
      if (callback) return gate.submit(() => ownConnect(callback));
      return gate.call(() => ownConnect() as Promise<PoolClient>);
    } as Pool['connect'];
  });
  return { connect: () => ownConnect() as Promise<PoolClient>, restore };
}
