import { HeldWorkDiscardedError } from 'node-crac/adapter';

/**
 * A `pool.query()` or `pool.connect()` issued before the checkpoint and held
 * did not run in this restored copy: held work runs at most once, in the
 * original when it continues (leaveRunning) or when the checkpoint failed.
 * `code` is 'ERR_CRAC_HELD_WORK_DISCARDED' (node-crac/adapter's HELD_WORK_DISCARDED).
 */
export class HeldQueryDiscardedError extends HeldWorkDiscardedError {
  override name = 'HeldQueryDiscardedError';
  constructor(pool: string) {
    super(pool, 'a query or checkout');
  }
}
