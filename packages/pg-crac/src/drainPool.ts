import type { Pool, PoolClient } from 'pg';
import type { RequestGate } from 'node-crac';

/** Checked-out clients (and checkouts queued inside pg-pool before the gate closed) outlived the timeout. */
export class CheckedOutClientsError extends Error {
  override name = 'CheckedOutClientsError';
  constructor(
    readonly checkedOut: number,
    readonly queued: number,
    timeoutMs: number,
  ) {
    const waiting = queued > 0 ? ` and ${queued} checkout(s) queued in the pool` : '';
    super(
      `${checkedOut} client(s) still checked out${waiting} after ${timeoutMs} ms (transactions in progress?). ` +
        'Every client must be released before the checkpoint; raise checkoutTimeoutMs if they need longer.',
    );
  }
}

function busyCounts(pool: Pool): { checkedOut: number; queued: number } {
  // totalCount includes clients still connecting: they are about to be checked out.
  return { checkedOut: pool.totalCount - pool.idleCount, queued: pool.waitingCount };
}

/** Waits until no client is checked out and pg-pool has no checkout queued. The gate must be closed. */
export function waitForCheckedOutClients(pool: Pool, gate: RequestGate, timeoutMs: number): Promise<void> {
  return gate.drain({
    isDrained() {
      const { checkedOut, queued } = busyCounts(pool);
      return checkedOut === 0 && queued === 0;
    },
    watch(recheck) {
      // pg-pool emits 'release' before it puts the client back among the idle ones.
      const later = (): void => queueMicrotask(recheck);
      pool.on('release', later);
      pool.on('remove', later);
      return () => {
        pool.off('release', later);
        pool.off('remove', later);
      };
    },
    timeoutMs,
    timeoutError() {
      const { checkedOut, queued } = busyCounts(pool);
      return new CheckedOutClientsError(checkedOut, queued, timeoutMs);
    },
  });
}

/**
 * Closes every idle connection while the pool stays usable (`pool.end()` is
 * final): checks each idle client out and releases it with an error, which
 * makes pg-pool end it. Resolves once their sockets are closed.
 */
export async function destroyIdleClients(pool: Pool, connect: () => Promise<PoolClient>): Promise<void> {
  const closed: Promise<void>[] = [];
  while (pool.idleCount > 0) {
    const client = await connect();
    closed.push(whenRemoved(pool, client));
    client.release(true);
  }
  await Promise.all(closed);
}

function whenRemoved(pool: Pool, client: PoolClient): Promise<void> {
  return new Promise((resolve) => {
    const onRemove = (removed: PoolClient): void => {
      if (removed !== client) return;
      pool.off('remove', onRemove);
      resolve();
    };
    pool.on('remove', onRemove);
  });
}
