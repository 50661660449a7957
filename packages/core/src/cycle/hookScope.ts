import { AsyncLocalStorage } from 'node:async_hooks';

// Marks code running inside a notification, so that a checkpoint requested
// from a hook is refused instead of waiting for itself forever. The mark holds
// only while the hook runs: async work it starts that outlives it (a server
// listening again in afterRestore, and every request it serves later) carries
// the scope, and may checkpoint once the hook is done.
const scope = new AsyncLocalStorage<{ running: boolean }>();

export async function runInHookScope<T>(fn: () => Promise<T>): Promise<T> {
  const hook = { running: true };
  try {
    return await scope.run(hook, fn);
  } finally {
    hook.running = false;
  }
}

export function isInsideHook(): boolean {
  return scope.getStore()?.running === true;
}
