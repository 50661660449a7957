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

const own = Symbol.for('node-crac.ownServer');

/** Marks a server node-crac opens and closes itself (the trigger socket), which automatic registration must leave alone. */
export function markOwnServer(server: Server): void {
  (server as unknown as Record<symbol, boolean>)[own] = true;
}

/** Whether an explicit resource, or node-crac itself, looks after `server`: automatic registration then leaves it alone. */
export function isClaimed(server: Server): boolean {
  if ((server as unknown as Record<symbol, boolean | undefined>)[own]) return true;
  for (const ref of claims) {
    const claim = ref.deref();
    if (!claim) claims.delete(ref);
    else if (claim.covers(server)) return true;
  }
  return false;
}
