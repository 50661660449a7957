import type { TriggerRequest } from './protocol.js';

// What a trigger from the launch channel or the trigger socket runs: set by
// the preload or installCheckpointTrigger() (trigger.ts), kept on globalThis
// for every copy of node-crac in the process.
const key = Symbol.for('node-crac.triggerHandler');
const store = globalThis as unknown as Record<symbol, ((request: TriggerRequest) => void) | undefined>;

export function setTriggerHandler(handler: (request: TriggerRequest) => void): void {
  store[key] = handler;
}

/** Runs the trigger handler; false when there is none. */
export function runTrigger(request: TriggerRequest): boolean {
  const handler = store[key];
  handler?.(request);
  return handler !== undefined;
}
