import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readImageState } from '../image/imageDir.js';
import { elapsed } from './progress.js';
import { describeStatuses, type WarmupPlan, type WarmupReport } from './warmup.js';

/** `warm-up: 120/2000 requests (200 x120), 1.2 s` */
export function describeWarmupProgress(plan: WarmupPlan, report: WarmupReport, sinceMs: number): string {
  const statuses = describeStatuses(report.statuses);
  const of = plan.durationS === undefined ? `/${plan.urls.length * (plan.requests ?? 1)}` : '';
  const time = plan.durationS === undefined ? elapsed(sinceMs) : `${elapsed(sinceMs)} of ${plan.durationS} s`;
  return `warm-up: ${report.sent}${of} requests${statuses ? ` (${statuses})` : ''}, ${time}`;
}

/**
 * The app runs its hooks and checks until its engine writes a new crac.json
 * (unsealed) into `dir`; then CRIU dumps and the image grows.
 */
export function describeCheckpointProgress(dir: string, earlier: string | undefined, sinceMs: number): string {
  const image = readImageState(dir);
  const dumping = image.state === 'unsealed' || (image.state === 'sealed' && image.meta.manifestDigest !== earlier);
  if (!dumping) return `checkpoint: the app runs its beforeCheckpoint hooks and checks, ${elapsed(sinceMs)}`;
  return `checkpoint: CRIU writes the image, ${(imageBytes(dir) / 1024 / 1024).toFixed(1)} MB so far, ${elapsed(sinceMs)}`;
}

function imageBytes(dir: string): number {
  let bytes = 0;
  try {
    for (const name of readdirSync(dir)) if (name.endsWith('.img')) bytes += statSync(join(dir, name)).size;
  } catch {
    // a file removed meanwhile: the next redraw counts again
  }
  return bytes;
}
