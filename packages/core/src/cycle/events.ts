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

export interface CracEventMap {
  /** Every user resource was notified and the checks passed; the engine runs next. */
  checkpoint: [CheckpointEvent];
  /** After every afterRestore hook ran (also after a leaveRunning checkpoint). */
  restore: [RestoreEvent];
  /** No image was written; every notified resource got afterRestore. */
  checkpointFailed: [CheckpointFailedEvent];
  /** One resource's hook finished (either phase). */
  resource: [ResourceTiming];
}

/** Observability: what a checkpoint cycle did and how long each step took. */
export const cracEvents = new EventEmitter<CracEventMap>();
