import { HeldWorkDiscardedError } from 'node-crac/adapter';

/**
 * A command issued before the checkpoint and held did not run in this
 * restored copy: held work runs at most once, in the original when it
 * continues (leaveRunning) or when the checkpoint failed. `command` is its
 * name ('incr'); `code` is 'ERR_CRAC_HELD_WORK_DISCARDED' (node-crac/adapter's HELD_WORK_DISCARDED).
 */
export class HeldCommandDiscardedError extends HeldWorkDiscardedError {
  override name = 'HeldCommandDiscardedError';
  constructor(
    client: string,
    readonly command: string,
  ) {
    super(client, `the command ${command.toUpperCase()}`);
  }
}
