import type { ImageMeta } from '../image/imageMeta.js';
import type { Finding } from './doctor.js';
import { PreflightError } from './preflightError.js';
import { usageProblem } from './usageProblem.js';
import type { WarmupReport } from './warmup.js';

/**
 * The `--json` summaries (docs/cli.md, "Machine-readable output"): one JSON
 * object on stdout, whatever happened; every message for people goes to stderr.
 */

/** Where `crac checkpoint` was when it stopped. */
export type CheckpointStage = 'usage' | 'preflight' | 'start' | 'ready' | 'warmup' | 'checkpoint' | 'done';

/** What `crac checkpoint` learns as it goes, for its summary. */
export class CheckpointRun {
  readonly startedAt = Date.now();
  stage: CheckpointStage = 'usage';
  imageDir: string | undefined;
  pid: number | undefined;
  readyAt: number | undefined;
  warmedUpAt: number | undefined;
  triggeredAt: number | undefined;
  warmup: WarmupReport | undefined;

  /** Milliseconds of each stage that was reached. */
  timings(now = Date.now()): Record<string, number> {
    const timings: Record<string, number> = {};
    if (this.readyAt !== undefined) timings.readyMs = this.readyAt - this.startedAt;
    if (this.warmedUpAt !== undefined && this.readyAt !== undefined) timings.warmupMs = this.warmedUpAt - this.readyAt;
    if (this.triggeredAt !== undefined) timings.sinceTriggerMs = now - this.triggeredAt;
    timings.totalMs = now - this.startedAt;
    return timings;
  }
}

/** A cause of a failure: one line of the doctor (with its fix), or one cause of a failed checkpoint. */
export interface JsonCause {
  message: string;
  fix?: string;
}

export function checkpointSucceeded(run: CheckpointRun, meta: ImageMeta): object {
  const files = Object.fromEntries(Object.entries(meta.files ?? {}).map(([name, entry]) => [name, entry.size]));
  return {
    command: 'checkpoint',
    outcome: 'checkpointed',
    exitCode: 0,
    imageDir: run.imageDir,
    pid: run.pid ?? meta.process.pid,
    imageSizeBytes: meta.imageSizeBytes ?? 0,
    fileCount: Object.keys(files).length,
    files,
    timings: { ...run.timings(), checkpointMs: meta.checkpointDurationMs },
    ...(run.warmup ? { warmup: { requests: run.warmup.sent, statuses: Object.fromEntries(run.warmup.statuses) } } : {}),
    heap: meta.heap,
    resources: meta.resources,
    node: meta.node.version,
    criu: meta.criu,
    restore: `crac restore ${run.imageDir}`,
  };
}

export function checkpointFailed(run: CheckpointRun, error: unknown): object {
  const message = error instanceof Error ? error.message : String(error);
  const usage = usageProblem(error);
  const [headline = message, ...rest] = (usage ?? message).split('\n');
  return {
    command: 'checkpoint',
    outcome: 'failed',
    exitCode: usage === undefined ? 1 : 2,
    stage: run.stage,
    error: headline.replace(/:$/, ''),
    causes: error instanceof PreflightError ? error.problems.map(findingCause) : causesIn(rest),
    ...(run.imageDir ? { imageDir: run.imageDir } : {}),
    ...(run.pid !== undefined ? { pid: run.pid } : {}),
    timings: run.timings(),
  };
}

export function doctorSummary(findings: Finding[]): object {
  const failures = findings.filter((f) => f.status === 'fail').length;
  return {
    command: 'doctor',
    ok: failures === 0,
    verdict: failures === 0 ? 'checkpoints can work on this machine' : 'checkpoints cannot work on this machine',
    failures,
    warnings: findings.filter((f) => f.status === 'warn').length,
    findings: findings.map((f) => ({ status: f.status, what: f.what, ...(f.fix ? { fix: f.fix } : {}) })),
  };
}

/** Prints a summary as the only thing on stdout. */
export function printJson(summary: object): void {
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

function findingCause(finding: Finding): JsonCause {
  return { message: finding.what, ...(finding.fix ? { fix: finding.fix } : {}) };
}

/**
 * The causes in the lines after a failure's first: a failed checkpoint lists
 * them as "  - cause" items (continued on lines indented further); any other
 * line that is not a list's heading is a cause of its own.
 */
function causesIn(lines: string[]): JsonCause[] {
  const causes: JsonCause[] = [];
  let item: string[] | undefined;
  for (const line of lines) {
    const bullet = /^\s*- (.*)$/.exec(line);
    if (bullet) {
      item = [bullet[1]!];
      causes.push({ message: '' });
    } else if (item && /^\s{3,}\S/.test(line)) {
      item.push(line.trim());
    } else if (line.trim() !== '' && !line.trimEnd().endsWith(':')) {
      item = undefined;
      causes.push({ message: line.trim() });
      continue;
    } else {
      continue;
    }
    causes[causes.length - 1]!.message = item.join('\n');
  }
  return causes;
}
