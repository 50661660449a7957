import { performance } from 'node:perf_hooks';
import { HookTimeoutError, ResourceError } from './errors.js';
import { runInHookScope } from './hookScope.js';
import type { Phase } from './resource.js';

export interface HookOutcome {
  durationMs: number;
  error?: ResourceError;
  /** Set when the hook timed out: settles when the hook itself finally ends. */
  stillRunning?: Promise<void>;
}

/**
 * Runs one hook under its timeout; a throw, a rejection or the timeout become
 * a ResourceError. At the timeout the hook's AbortSignal fires, so a hook that
 * listens to it can stop the work it started instead of racing the next phase.
 */
export async function runHook(
  name: string,
  phase: Phase,
  hook: (signal: AbortSignal) => void | Promise<void>,
  timeoutMs: number,
): Promise<HookOutcome> {
  const start = performance.now();
  const controller = new AbortController();
  const running = runInHookScope(() => Promise.resolve().then(() => hook(controller.signal)));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    if ((await Promise.race([running, timeout])) === 'timeout') {
      const cause = new HookTimeoutError(timeoutMs);
      controller.abort(cause);
      const stillRunning = running.then(
        () => undefined,
        () => undefined,
      );
      return { durationMs: performance.now() - start, error: new ResourceError(name, phase, cause), stillRunning };
    }
    return { durationMs: performance.now() - start };
  } catch (cause) {
    return { durationMs: performance.now() - start, error: new ResourceError(name, phase, cause) };
  } finally {
    clearTimeout(timer);
  }
}
