/**
 * Settles as `work` does, or rejects with the signal's reason once it aborts,
 * so that a hook stops waiting at its timeout: the core calls a resource's
 * afterRestore only after its beforeCheckpoint has ended. The work itself
 * goes on until its owner ends it (a RequestGate's drain ends when the gate opens).
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
