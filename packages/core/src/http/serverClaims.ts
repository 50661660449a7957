import type { Server } from 'node:net';

/** A resource made for a server on purpose (an adapter's, or the app's own createServerResource). */
export interface ServerClaim {
  /** Whether it drains and listens again `server` (its own server or one of its extra bindings). */
  covers(server: Server): boolean;
}

// On globalThis so that the preload's copy of node-crac sees the claims of the
// app's copy. Held weakly: a claim ends with its resource.
const key = Symbol.for('node-crac.serverClaims');
const store = globalThis as unknown as Record<symbol, Set<WeakRef<ServerClaim>> | undefined>;
const claims = (store[key] ??= new Set());

export function addServerClaim(claim: ServerClaim): void {
  claims.add(new WeakRef(claim));
}

/** Whether an explicit resource looks after `server`: automatic registration then leaves it alone. */
export function isClaimed(server: Server): boolean {
  for (const ref of claims) {
    const claim = ref.deref();
    if (!claim) claims.delete(ref);
    else if (claim.covers(server)) return true;
  }
  return false;
}
