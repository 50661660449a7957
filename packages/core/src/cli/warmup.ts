import { Agent, request } from 'node:http';
import { UsageError } from './command.js';
import { positiveInt, seconds } from './optionValues.js';

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

/** The warm-up options of `crac checkpoint`, for parseArgs. */
export const WARMUP_OPTIONS = {
  'warmup-url': { type: 'string' as const, multiple: true as const, default: [] as string[] },
  'warmup-requests': { type: 'string' as const },
  'warmup-duration': { type: 'string' as const },
  'warmup-concurrency': { type: 'string' as const, default: '1' },
  'warmup-any-status': { type: 'boolean' as const, default: false },
};

export const WARMUP_HELP = `  --warmup-url URL        GET this URL before the checkpoint (repeatable)
  --warmup-requests N     requests per warm-up URL (default 1)
  --warmup-duration S     instead: send warm-up requests for S seconds
  --warmup-concurrency N  warm-up requests in flight at once (default 1)
  --warmup-any-status     accept any status; by default a warm-up answer that is
                          not 2xx fails the checkpoint (a warm-up that only warms
                          up the 404 handler is rarely what was meant)`;

export interface WarmupPlan {
  urls: string[];
  /** Requests per URL, or */
  requests?: number | undefined;
  /** seconds of requests round-robin over the URLs. */
  durationS?: number | undefined;
  /** Requests in flight at once (default 1). */
  concurrency?: number | undefined;
  /** Accept answers that are not 2xx. */
  anyStatus?: boolean | undefined;
}

/** The plan the command line asks for; a UsageError for values that make none. */
export function warmupPlan(values: {
  'warmup-url': string[];
  'warmup-requests'?: string | undefined;
  'warmup-duration'?: string | undefined;
  'warmup-concurrency': string;
  'warmup-any-status': boolean;
}): WarmupPlan {
  const requests = values['warmup-requests'];
  const duration = values['warmup-duration'];
  if (requests !== undefined && duration !== undefined) throw new UsageError('give --warmup-requests or --warmup-duration, not both');
  return {
    urls: values['warmup-url'],
    requests: requests === undefined ? undefined : positiveInt(requests, '--warmup-requests'),
    durationS: duration === undefined ? undefined : seconds(duration, '--warmup-duration') / 1000,
    concurrency: positiveInt(values['warmup-concurrency'], '--warmup-concurrency'),
    anyStatus: values['warmup-any-status'],
  };
}

export interface WarmupReport {
  sent: number;
  /** How many answers had each status code. */
  statuses: Map<number, number>;
}

/** `warm-up: 200 requests (200 x198, 404 x2)` */
export function describeWarmup(report: WarmupReport): string {
  return `warm-up: ${report.sent} requests (${describeStatuses(report.statuses)})`;
}

/** A warm-up answer was not 2xx and the plan does not accept that: no checkpoint is taken. */
export class WarmupStatusError extends Error {
  override name = 'WarmupStatusError';
  constructor(readonly report: WarmupReport) {
    const failed = [...report.statuses].filter(([status]) => !isSuccess(status)).reduce((sum, [, count]) => sum + count, 0);
    super(
      `the warm-up got ${failed} answer(s) that are not 2xx out of ${report.sent} (${describeStatuses(report.statuses)}), so no checkpoint was taken: ` +
        'fix the --warmup-url URLs (or the app), or pass --warmup-any-status to accept any status',
    );
  }
}

/**
 * Sends warm-up requests, `concurrency` at a time over keep-alive connections,
 * and closes those connections at the end: a connection still open would be in
 * the image. Counts the answers by status; throws a WarmupStatusError when one
 * is not 2xx, unless the plan accepts any status. The counts go into `report`
 * as the answers come (a caller shows them as progress).
 */
export async function warmUp(plan: WarmupPlan, report: WarmupReport = { sent: 0, statuses: new Map() }): Promise<WarmupReport> {
  if (plan.urls.length === 0) return report;
  const concurrency = plan.concurrency ?? 1;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const end = plan.durationS === undefined ? undefined : Date.now() + plan.durationS * 1000;
  const total = plan.urls.length * (plan.requests ?? 1);
  let next = 0;
  // Requests mode: each URL its number of times, in order; duration mode: round-robin until the end.
  const nextUrl = (): string | undefined => {
    if (end === undefined ? next >= total : Date.now() >= end) return undefined;
    const index = next++;
    return end === undefined ? plan.urls[Math.floor(index / (plan.requests ?? 1))] : plan.urls[index % plan.urls.length];
  };
  const worker = async (): Promise<void> => {
    for (let url = nextUrl(); url !== undefined; url = nextUrl()) {
      const status = await get(url, agent);
      report.sent++;
      report.statuses.set(status, (report.statuses.get(status) ?? 0) + 1);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  if (!plan.anyStatus && [...report.statuses.keys()].some((status) => !isSuccess(status))) throw new WarmupStatusError(report);
  return report;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** `200 x198, 404 x2` */
export function describeStatuses(statuses: Map<number, number>): string {
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status} x${count}`)
    .join(', ');
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
