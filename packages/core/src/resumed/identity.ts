import { randomUUID } from 'node:crypto';

/**
 * Who this process is among the copies of one image. Every copy keeps the
 * original's process.pid (each runs in its own PID namespace), so names made
 * from the pid (temp files, lock files, log tags) collide between copies: use
 * instanceId() for them.
 */

let instance: string = randomUUID();
let restore: string | undefined;

/** Unique to this incarnation: set at start, and anew in every restored copy. */
export function instanceId(): string {
  return instance;
}

/** Unique to this restored copy; undefined in a process that was never restored. */
export function restoreId(): string | undefined {
  return restore;
}

/** @internal A restored copy becomes someone new; its randomness is already its own. */
export function markNewIncarnation(): void {
  restore = randomUUID();
  instance = restore;
}
