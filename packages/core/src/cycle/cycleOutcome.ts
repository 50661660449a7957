/**
 * What the current cycle's engine did, for afterRestore hooks that must act
 * differently in a restored copy than in the original that continues (work
 * held at the checkpoint runs in the original only, never once per copy).
 */
export type CycleOutcome = 'restored' | 'continued' | 'failed';

let current: CycleOutcome | undefined;

/** Inside an afterRestore hook: how the cycle ended; undefined outside one. */
export function cycleOutcome(): CycleOutcome | undefined {
  return current;
}

/** @internal Set by the cycle around the afterRestore hooks. */
export function setCycleOutcome(outcome: CycleOutcome | undefined): void {
  current = outcome;
}
