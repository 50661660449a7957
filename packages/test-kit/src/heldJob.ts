import { join } from 'node:path';
import type { Test } from 'tap';
import { runCrac, type Started, startCrac, stopProcess } from './processes.js';
import { tempDir } from './tempDir.js';

// Below tap's 120 s per file, so that a hung checkpoint fails with its output.
const CHECKPOINT_LIMIT_MS = 60_000;

/** What a held-job fixture app prints (`job {...}`) once its held work settled. */
export interface JobReport {
  outcome: 'ran' | 'discarded';
  name?: string;
  code?: string;
  command?: string;
  message?: string;
  instance: string;
  restored: boolean;
}

async function jobReport(process: Started): Promise<JobReport> {
  return JSON.parse((await process.waitFor(/^job (\{.*\})$/m))[1]!) as JobReport;
}

export interface HeldJobRun {
  /** What each of the two restored copies reported. */
  copies: JobReport[];
  /** Stops the copies and the original. */
  stop(): Promise<void>;
}

/**
 * The exactly-once scenario: starts `app` (a fixture that holds `work`, e.g.
 * an INSERT, at the checkpoint) with `crac run`, checkpoints it with or
 * without --leave-running, checks the original ran the work or ended at the
 * dump, and restores two copies side by side. Undefined when the checkpoint failed.
 */
export async function runHeldJob(
  t: Test,
  options: { app: string; token: string; env: Record<string, string>; work: string; leaveRunning: boolean },
): Promise<HeldJobRun | undefined> {
  const { leaveRunning } = options;
  const app = startCrac(t, ['run', '--', process.execPath, options.app, options.token], options.env);
  const pid = Number((await app.waitFor(/\(pid (\d+)\)/))[1]);
  await app.waitFor(/^ready$/m);

  const imageDir = join(tempDir(t, 'crac-held-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, ...(leaveRunning ? ['--leave-running'] : [])], {}, CHECKPOINT_LIMIT_MS);
  t.equal(checkpoint.code, 0, 'crac checkpoint wrote an image', { output: checkpoint.output });
  if (checkpoint.code !== 0) return undefined;

  if (leaveRunning) {
    t.match(await jobReport(app), { outcome: 'ran', restored: false }, `the original that continues runs the held ${options.work}`);
  } else {
    await app.exited;
    t.notMatch(app.output(), /^job /m, 'the original ended at the dump, its job unsettled');
  }

  // Two copies of the one image, side by side.
  const restored = [startCrac(t, ['restore', imageDir]), startCrac(t, ['restore', imageDir])];
  const copies = await Promise.all(restored.map(jobReport));
  t.not(copies[0]!.instance, copies[1]!.instance, 'two distinct copies');
  return {
    copies,
    async stop() {
      for (const copy of restored) await stopProcess(copy);
      await stopProcess(app);
    },
  };
}
