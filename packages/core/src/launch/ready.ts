import { closeSync, writeSync } from 'node:fs';
import { LAUNCH_ENV, READY_MESSAGE } from './protocol.js';

// `crac checkpoint` hands the app the write end of a pipe and names it in
// CRAC_READY_FD. The variable is taken out of the environment at once, so that
// processes the app starts do not write to a descriptor number that is not theirs;
// the fd is kept on globalThis for every copy of node-crac in the process.
const key = Symbol.for('node-crac.readyFd');
const store = globalThis as unknown as Record<symbol, number | null | undefined>;
if (store[key] === undefined) {
  const fd = Number(process.env[LAUNCH_ENV.readyFd]);
  store[key] = Number.isInteger(fd) && fd > 2 ? fd : null;
  delete process.env[LAUNCH_ENV.readyFd];
}

/**
 * Tells the launcher (`crac checkpoint`) that the app is warm enough to be
 * checkpointed, typically once the server listens. Adapters call it after their
 * server is listening. Returns false (and does nothing) when not launched that way.
 */
export function notifyReady(): boolean {
  const fd = store[key];
  if (fd === null || fd === undefined) return false;
  store[key] = null;
  try {
    writeSync(fd, READY_MESSAGE);
    return true;
  } catch {
    return false; // the launcher is gone
  } finally {
    closeSync(fd);
  }
}

/** Closes the ready pipe if the app never used it: it must not be in the image. */
export function closeReadyChannel(): void {
  const fd = store[key];
  if (fd === null || fd === undefined) return;
  store[key] = null;
  try {
    closeSync(fd);
  } catch {
    // already closed by the app
  }
}
