import { performance } from 'node:perf_hooks';
import { debuglog } from 'node:util';
import type { NotifyOptions, ResourceTiming } from './context.js';
import { asError } from './errors.js';
import { type PhaseEnd, phaseEnd } from '../resumed/resumeTimings.js';
import { type CycleStep, emitCracEvent, type StepTiming } from './events.js';

const debug = debuglog('crac');

/** What one cycle did and how long each part took: kept for the result, sent to cracEvents as it happens. */
export class CycleRecord {
  readonly resources: ResourceTiming[] = [];
  readonly steps: StepTiming[] = [];
  /** When each step and hook ended, by both clocks (resumed/resumeTimings.ts). */
  readonly ends: PhaseEnd[] = [];
  readonly notifyOptions: NotifyOptions;

  constructor(hookTimeoutMs: number) {
    this.notifyOptions = {
      hookTimeoutMs,
      onResourceDone: (timing) => {
        this.resources.push(timing);
        this.ends.push(phaseEnd(`${timing.phase}: ${timing.resource}`));
        debug('%s %s: %d ms%s', timing.phase, timing.resource, timing.durationMs.toFixed(1), timing.error ? ` (failed: ${timing.error.message})` : '');
        emitCracEvent('resource', timing);
      },
    };
  }

  /** Runs one of the core's steps; a failure is added to `failures` and the result is then undefined. */
  async step<T>(step: CycleStep, failures: Error[], run: () => T | Promise<T>): Promise<T | undefined> {
    const started = performance.now();
    let error: Error | undefined;
    let result: T | undefined;
    try {
      result = await run();
    } catch (cause) {
      error = asError(cause);
      failures.push(error);
    }
    const timing: StepTiming = { step, durationMs: performance.now() - started, error };
    this.steps.push(timing);
    this.ends.push(phaseEnd(step));
    debug('step %s: %d ms%s', step, timing.durationMs.toFixed(1), error ? ` (failed: ${error.message})` : '');
    emitCracEvent('step', timing);
    return result;
  }
}
