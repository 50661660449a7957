import { writeFileSync } from 'node:fs';

/**
 * Where `crac restore`'s time goes, for the benchmark: with CRAC_RESTORE_TIMINGS=FILE
 * the command writes to FILE (a new file, 0600) the wall-clock times (ms since the
 * epoch) at which its phases ended, and CRIU's, read from CRIU's log. CRIU's log
 * counts from CRIU's start; the restore helper, run as CRIU's action script,
 * writes the wall time of each action into it, which anchors that count.
 */
export interface RestoreTimingsRecord {
  /** This process's start (Node's time origin). */
  processStart: number;
  /** Each phase of the command, in order, with the time it ended. */
  command: { phase: string; at: number }[];
  /** CRIU's phases with the time each ended; empty when its log gave none. */
  criu: { phase: string; at: number }[];
}

// Log lines that end each of CRIU's phases (the first match, or for `last`, the last one).
const CRIU_PHASES: { phase: string; line: RegExp; last?: boolean }[] = [
  { phase: 'criu kernel probes', line: /^\(\s*([\d.]+)\) cpu: / },
  { phase: 'criu reads the image', line: /^\(\s*([\d.]+)\) Running pre-restore scripts/ },
  { phase: 'criu pre-restore action', line: /^\(\s*([\d.]+)\) Forking task/ },
  { phase: 'criu files and mappings', line: /^\(\s*([\d.]+)\) pie: \d+: Preadv / },
  { phase: 'criu memory pages', line: /^\(\s*([\d.]+)\) pie: \d+: `- returned /, last: true },
  { phase: 'criu the rest', line: /^\(\s*([\d.]+)\) Restore finished successfully/ },
];
const ACTION_LINE = /^\(\s*([\d.]+)\) Running ([\w-]+) scripts\n(?:.*\n)*?crac_restore_helper: action \2 at (\d+\.\d+)$/gm;

// Node's global `performance` loads perf_hooks on first use, so a restore without timings never does.
export class RestoreTimings {
  readonly #command: { phase: string; at: number }[] = [];

  constructor(readonly file: string | undefined) {}

  /** Whether timings were asked for. */
  get wanted(): boolean {
    return this.file !== undefined;
  }

  /** The phase `phase` ends now. */
  mark(phase: string): void {
    if (this.file) this.#command.push({ phase, at: performance.timeOrigin + performance.now() });
  }

  /** Writes the record; a failure is reported and changes nothing else. */
  write(criuLog: string): void {
    if (!this.file) return;
    const record: RestoreTimingsRecord = { processStart: performance.timeOrigin, command: this.#command, criu: criuPhases(criuLog) };
    try {
      writeFileSync(this.file, `${JSON.stringify(record)}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      process.stderr.write(`crac restore: cannot write the timings to ${this.file}: ${(error as Error).message}\n`);
    }
  }
}

/**
 * CRIU's phases in wall time. Each action's wall time, less the log time at which
 * CRIU started it, is CRIU's start plus the action's own launch: the smallest of
 * them is the closest to CRIU's start.
 */
export function criuPhases(log: string): { phase: string; at: number }[] {
  const starts = [...log.matchAll(ACTION_LINE)].map((m) => Number(m[3]) * 1000 - Number(m[1]) * 1000);
  if (starts.length === 0) return [];
  const start = Math.min(...starts);
  const lines = log.split('\n');
  const phases = [{ phase: 'helper, namespaces, criu exec', at: start }];
  for (const { phase, line, last } of CRIU_PHASES) {
    const found = (last ? [...lines].reverse() : lines).find((l) => line.test(l));
    const seconds = found ? line.exec(found)?.[1] : undefined;
    if (seconds !== undefined) phases.push({ phase, at: start + Number(seconds) * 1000 });
  }
  return phases;
}
