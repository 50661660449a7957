import { EventEmitter } from 'node:events';
import type { ResourceTiming } from './context.js';

export interface CheckpointEvent {
  engine: string;
  imageDir: string | undefined;
  /** From the first beforeCheckpoint to the engine's start. */
  notifyDurationMs: number;
  resources: ResourceTiming[];
}

export interface RestoreEvent {
  engine: string;
  /** 'restored': a copy started from the image; 'continued': the original after a leaveRunning checkpoint. */
  outcome: 'restored' | 'continued';
  restoreTime: number | undefined;
  resources: ResourceTiming[];
  error?: Error;
}

export interface CheckpointFailedEvent {
  error: Error;
  resources: ResourceTiming[];
}

/** The core's own steps of a cycle, in the order they run. */
export type CycleStep = 'open-resource check' | 'heap shrink' | 'engine' | 'fresh randomness' | 'restore environment' | 'reopen files';

/** Timing of one of the core's steps, as reported in events. */
export interface StepTiming {
  step: CycleStep;
  durationMs: number;
  error?: Error;
}

export interface CracEventMap {
  /** Every user resource was notified and the checks passed; the engine runs next. */
  checkpoint: [CheckpointEvent];
  /** After every afterRestore hook ran (also after a leaveRunning checkpoint). */
  restore: [RestoreEvent];
  /** No image was written; every notified resource got afterRestore. */
  checkpointFailed: [CheckpointFailedEvent];
  /** One resource's hook finished (either phase). */
  resource: [ResourceTiming];
  /** One of the core's own steps finished. */
  step: [StepTiming];
}

/**
 * Observability: what a checkpoint cycle did and how long each step took.
 * Listeners only watch: one that throws gets a CracEventListenerWarning and
 * the cycle goes on.
 */
export const cracEvents = new EventEmitter<CracEventMap>();

/** @internal Emits to every listener; a listener's throw becomes a warning instead of breaking the cycle. */
export function emitCracEvent<K extends keyof CracEventMap>(name: K, ...args: CracEventMap[K]): void {
  for (const listener of cracEvents.rawListeners(name) as ((...a: CracEventMap[K]) => unknown)[]) {
    try {
      listener.apply(cracEvents, args);
    } catch (error) {
      process.emitWarning(`a cracEvents '${name}' listener threw: ${error instanceof Error ? error.message : String(error)}`, 'CracEventListenerWarning');
    }
  }
}
