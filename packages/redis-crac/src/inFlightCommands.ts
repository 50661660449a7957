import type { DrainOptions } from 'node-crac';
import type { RedisCommand } from './redisClient.js';

/** Replies still missing when the timeout ran out; the checkpoint fails rather than losing them. */
export class PendingRepliesError extends Error {
  override name = 'PendingRepliesError';
  constructor(
    /** Names of the commands still waiting, e.g. ['blpop']. */
    readonly commands: string[],
    timeoutMs: number,
  ) {
    super(
      `${commands.length} command(s) still awaiting a reply after ${timeoutMs} ms (${summarize(commands)}). ` +
        'Blocking commands (BLPOP, XREAD BLOCK, ...) and long scripts hold the checkpoint; raise replyTimeoutMs if they need longer.',
    );
  }
}

/** Commands sent to Redis whose reply has not arrived yet. */
export class InFlightCommands {
  readonly #pending = new Set<RedisCommand>();
  readonly #watchers = new Set<() => void>();

  track(command: RedisCommand): void {
    this.#pending.add(command);
    const settled = (): void => {
      this.#pending.delete(command);
      for (const watcher of this.#watchers) watcher();
    };
    // Both callbacks, so that this reaction never turns a failed command into an unhandled rejection.
    command.promise.then(settled, settled);
  }

  /** What the gate's drain() needs to wait for every reply. */
  drainOptions(timeoutMs: number): DrainOptions {
    return {
      isDrained: () => this.#pending.size === 0,
      watch: (recheck) => {
        this.#watchers.add(recheck);
        return () => this.#watchers.delete(recheck);
      },
      timeoutMs,
      timeoutError: () => new PendingRepliesError([...this.#pending].map((command) => command.name), timeoutMs),
    };
  }
}

/** `blpop, get x2` */
function summarize(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => (count > 1 ? `${name} x${count}` : name)).join(', ');
}
