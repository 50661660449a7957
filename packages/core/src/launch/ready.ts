import { launcherAwaitsReady, tellLauncher } from './channel.js';

const sent = Symbol.for('node-crac.readySent');
const store = globalThis as unknown as Record<symbol, boolean | undefined>;

/**
 * Tells the launcher (`crac checkpoint`) that this process is the app and is
 * warm enough to be checkpointed, typically once the server listens. Adapters
 * call it after their server is listening. Returns true when the launcher
 * waits for it to take the checkpoint itself; false when not launched that
 * way (or by `crac run`, which only learns which process is the app), in a
 * restored copy, and after the first call.
 */
export function notifyReady(): boolean {
  if (store[sent]) return false;
  if (!tellLauncher({ kind: 'ready', pid: process.pid })) return false;
  store[sent] = true;
  return launcherAwaitsReady();
}
