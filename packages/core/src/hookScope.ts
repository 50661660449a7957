import { AsyncLocalStorage } from 'node:async_hooks';

// Marks code running inside a notification, so that a checkpoint requested
// from a hook is refused instead of waiting for itself forever.
const scope = new AsyncLocalStorage<true>();

export function runInHookScope<T>(fn: () => T): T {
  return scope.run(true, fn);
}

export function isInsideHook(): boolean {
  return scope.getStore() === true;
}
