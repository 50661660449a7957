import type { Server } from 'node:net';

/** What closing a server within a time limit gave. */
export interface CloseOutcome {
  /** The limit passed before the last connection ended. */
  timedOut: boolean;
  /** Settles once the server is closed: at once unless timedOut. */
  closed: Promise<void>;
}

/**
 * Stops the server accepting (server.close()) and waits, at most `timeoutMs`,
 * for its callback, which runs once the last connection has ended.
 * `ending` runs right after close(), to ask the connections to end.
 */
export async function closeWithin(server: Server, timeoutMs: number, ending?: () => void): Promise<CloseOutcome> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  ending?.();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const timedOut = await Promise.race([closed.then(() => false), timeout]);
  clearTimeout(timer);
  return { timedOut, closed };
}
