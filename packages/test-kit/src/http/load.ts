import { Agent } from 'node:http';
import { get, type Response } from './client.js';

export interface LoadOptions {
  port: number;
  /** Concurrent keep-alive clients, each with its own connection. */
  clients: number;
  /** Requests in all; the load ends when they were sent. */
  requests: number;
  /** Called once, when this many responses have arrived. */
  midway: { after: number; run: () => Promise<unknown> };
}

export interface LoadResult {
  responses: Map<string, Response>;
  /** Connections refused while nothing listened (ECONNREFUSED). */
  refused: number;
  /** Every other failed request, by id. */
  failures: Map<string, string>;
  /** What `midway.run` resolved to. */
  midwayResult: unknown;
}

/**
 * A bounded load on 127.0.0.1: `clients` keep-alive clients send GET
 * /load?id=N until `requests` were sent, each request with a unique id.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { responses: new Map(), refused: 0, failures: new Map(), midwayResult: undefined };
  let next = 0;
  let midway: Promise<unknown> | undefined;
  const client = async (): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (next < options.requests) {
        const id = String(next++);
        try {
          result.responses.set(id, await get(options.port, `/load?id=${id}`, { agent, headers: { 'x-request-id': id } }));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          if (code === 'ECONNREFUSED') {
            result.refused++;
            // Pacing only, so that a closed window does not use up the request budget at once.
            await new Promise((resolve) => setTimeout(resolve, 2));
          } else {
            result.failures.set(id, code);
          }
        }
        if (!midway && result.responses.size >= options.midway.after) midway = options.midway.run();
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  result.midwayResult = await midway;
  return result;
}
