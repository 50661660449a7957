import { performance } from 'node:perf_hooks';
import { ResourceError } from './errors.js';
import { runInHookScope } from './hookScope.js';
import type { Phase } from './resource.js';

export interface HookOutcome {
  durationMs: number;
  error?: ResourceError;
}

/** Runs one hook under its timeout; a throw, a rejection or the timeout become a ResourceError. */
export async function runHook(
  name: string,
  phase: Phase,
  hook: () => void | Promise<void>,
  timeoutMs: number,
): Promise<HookOutcome> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms (raise hookTimeoutMs or CRAC_HOOK_TIMEOUT_MS if it needs longer)`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([runInHookScope(() => Promise.resolve().then(hook)), timeout]);
    return { durationMs: performance.now() - start };
  } catch (cause) {
    return { durationMs: performance.now() - start, error: new ResourceError(name, phase, cause) };
  } finally {
    clearTimeout(timer);
  }
}
