import { request } from 'node:http';

export interface ConnectionLoadOptions {
  port: number;
  /** A new connection every `intervalMs` (open loop: whatever the server does). */
  intervalMs: number;
  /** At most this many connections in all. */
  limit: number;
  /** A request not answered within this long counts as `timedOut`. */
  timeoutMs?: number;
}

/** One request of the load: when it was sent and how it ended. */
export interface ConnectionOutcome {
  sentAt: number;
  /** When it ended (answered or failed). */
  endedAt?: number;
  /** 'answered' (HTTP 200), 'refused' (ECONNREFUSED), 'reset' (ECONNRESET, EPIPE, a socket hang up), or another error code. */
  outcome: string;
  /** The answer's body, parsed as JSON, when answered. */
  body?: Record<string, unknown>;
}

export interface ConnectionLoadResult {
  sent: number;
  answered: number;
  refused: number;
  reset: number;
  /** Every other outcome, by name. */
  other: Record<string, number>;
  outcomes: ConnectionOutcome[];
}

export interface ConnectionLoad {
  /** How many were answered so far. */
  answered(): number;
  /** Sends no more, waits for every request sent, and counts. */
  stop(): Promise<ConnectionLoadResult>;
}

/**
 * A bounded open-loop load of new connections to 127.0.0.1:port: every
 * `intervalMs` a GET / with `Connection: close` over a connection of its own,
 * until stopped or `limit` were sent. Unlike runLoad (keep-alive clients), each
 * request needs the port to accept a new connection: what a checkpoint or a
 * restore does to the listening socket shows as refused or reset.
 */
export function startConnectionLoad(options: ConnectionLoadOptions): ConnectionLoad {
  const outcomes: ConnectionOutcome[] = [];
  const pending: Promise<void>[] = [];
  let answered = 0;
  const send = (): void => {
    const outcome: ConnectionOutcome = { sentAt: Date.now(), outcome: 'pending' };
    outcomes.push(outcome);
    pending.push(
      new Promise<void>((resolveOne) => {
        const done = (): void => {
          outcome.endedAt = Date.now();
          resolveOne();
        };
        const req = request({ host: '127.0.0.1', port: options.port, path: '/', agent: false, headers: { connection: 'close' }, timeout: options.timeoutMs ?? 30_000 }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', (error: NodeJS.ErrnoException) => ((outcome.outcome = kind(error)), done()));
          res.on('end', () => {
            outcome.outcome = res.statusCode === 200 ? 'answered' : `HTTP ${res.statusCode}`;
            if (outcome.outcome === 'answered') answered++;
            try {
              outcome.body = JSON.parse(text) as Record<string, unknown>;
            } catch {
              outcome.body = { text };
            }
            done();
          });
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'timedOut' })));
        req.on('error', (error: NodeJS.ErrnoException) => ((outcome.outcome = kind(error)), done()));
        req.end();
      }),
    );
  };
  const timer = setInterval(() => {
    if (outcomes.length >= options.limit) clearInterval(timer);
    else send();
  }, options.intervalMs);
  return {
    answered: () => answered,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      const result: ConnectionLoadResult = { sent: outcomes.length, answered: 0, refused: 0, reset: 0, other: {}, outcomes };
      for (const { outcome } of outcomes) {
        if (outcome === 'answered' || outcome === 'refused' || outcome === 'reset') result[outcome]++;
        else result.other[outcome] = (result.other[outcome] ?? 0) + 1;
      }
      return result;
    },
  };
}

function kind(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'refused';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up') return 'reset';
  return error.code ?? error.message;
}
