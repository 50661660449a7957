import { Agent, request } from 'node:http';

/** Polls `url` until it answers with a status below 500. */
export async function waitForUrl(url: string, timeoutMs: number, stillRunning: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!stillRunning()) throw new Error(`the app ended before ${url} answered`);
    try {
      const status = await get(url, undefined);
      if (status < 500) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (last: ${last})`);
}

export interface WarmupPlan {
  urls: string[];
  /** Requests per URL, or */
  requests?: number;
  /** seconds of requests round-robin over the URLs. */
  durationS?: number;
}

/**
 * Sends warm-up requests, one at a time over keep-alive connections, and closes
 * those connections at the end: a connection still open would be in the image.
 * Returns how many requests were sent.
 */
export async function warmUp(plan: WarmupPlan): Promise<number> {
  if (plan.urls.length === 0) return 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let sent = 0;
  try {
    if (plan.durationS !== undefined) {
      const end = Date.now() + plan.durationS * 1000;
      while (Date.now() < end) {
        await get(plan.urls[sent % plan.urls.length]!, agent);
        sent++;
      }
    } else {
      for (const url of plan.urls) {
        for (let i = 0; i < (plan.requests ?? 1); i++) {
          await get(url, agent);
          sent++;
        }
      }
    }
  } finally {
    agent.destroy();
  }
  return sent;
}

function get(url: string, agent: Agent | undefined): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { agent: agent ?? false, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolveStatus(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.once('error', reject);
    req.end();
  });
}
