import type { Pool, PoolClient } from 'pg';
import type { RequestGate } from 'node-crac';

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;

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
  const hadOwnConnect = Object.prototype.hasOwnProperty.call(pool, 'connect');
  const original = pool.connect;
  const connect = (callback?: ConnectCallback): Promise<PoolClient> | void =>
    (original as (callback?: ConnectCallback) => Promise<PoolClient> | void).call(pool, callback);

  function gatedConnect(callback?: ConnectCallback): Promise<PoolClient> | void {
    if (callback) return gate.submit(() => connect(callback));
    return gate.call(() => connect() as Promise<PoolClient>);
  }
  pool.connect = gatedConnect as Pool['connect'];

  return {
    connect: () => connect() as Promise<PoolClient>,
    restore() {
      if (hadOwnConnect) pool.connect = original;
      else delete (pool as { connect?: unknown }).connect;
    },
  };
}
