import type { ImageMeta, StdioDescription } from '../../image/imageMeta.js';

/** Extra CRIU options from the environment (space-separated), for dump and for restore. */
function extraCriuArgs(variable: 'CRAC_CRIU_DUMP_ARGS' | 'CRAC_CRIU_RESTORE_ARGS'): string[] {
  return (process.env[variable] ?? '').split(/\s+/).filter(Boolean);
}

/**
 * `criu dump` of this process. --shell-job: the app's session and process
 * group belong to whoever started it, outside the dumped tree.
 */
export function dumpArgs(criuPath: string, imageDir: string, leaveRunning: boolean): string[] {
  return [
    criuPath, 'dump', '-t', String(process.pid), '-D', imageDir, '--shell-job', '-v4', '-o', 'dump.log',
    ...(leaveRunning ? ['-R'] : []),
    ...extraCriuArgs('CRAC_CRIU_DUMP_ARGS'),
  ];
}

/** The restorer's own descriptors that CRIU hands to the restored process. */
export interface RestoreFds {
  /** Read end of the payload pipe, in place of the status pipe the app blocks on. */
  payload: number;
  /** The restorer's stdout and stderr, in place of the app's stdout/stderr pipes. */
  stdout: number;
  stderr: number;
}

/** Where CRIU writes at restore: its log, and the work directory for everything else (stats-restore). */
export interface RestoreOutputs {
  log: string;
  /** A private directory of the restorer: without -W, CRIU writes into the image directory, which a restore must never change. */
  workDir: string;
}

/**
 * `criu restore` in the foreground, re-attaching the status pipe and the stdio
 * pipes and files (--inherit-fd, docs/checkpoint-mechanism.md §5 and §6) and exec'ing
 * the restore helper's waiter in CRIU's place (--exec-cmd, docs/checkpoint-mechanism.md §8);
 * `extra`: node-crac's own further options (the kdat cache's action script).
 */
export function restoreArgs(criuPath: string, imageDir: string, meta: ImageMeta, fds: RestoreFds, outputs: RestoreOutputs, waiter: string[], extra: string[] = []): string[] {
  const inherit = [`fd[${fds.payload}]:pipe:[${meta.statusPipe.inode}]`];
  const attached = new Set<string>();
  for (const stdio of meta.stdio) {
    if (stdio.fd !== 1 && stdio.fd !== 2) continue;
    const id = inheritId(stdio);
    if (id === undefined || attached.has(id)) continue;
    inherit.push(`fd[${stdio.fd === 1 ? fds.stdout : fds.stderr}]:${id}`);
    attached.add(id);
  }
  return [
    criuPath, 'restore', '-D', imageDir, '-W', outputs.workDir, '--shell-job', '-v4', '-o', outputs.log,
    ...inherit.flatMap((spec) => ['--inherit-fd', spec]),
    ...extra,
    ...extraCriuArgs('CRAC_CRIU_RESTORE_ARGS'),
    '--exec-cmd', '--', ...waiter,
  ];
}

/**
 * How CRIU names a dumped stdout/stderr for --inherit-fd: `pipe:[inode]`, or a
 * regular file's path without its leading slash (CRIU then hands the restorer's
 * descriptor to every descriptor of the image open on that path). Without it a
 * restored app would write to the file it was checkpointed with instead of to
 * its restorer, and CRIU would refuse that file if it grew and was not opened
 * for append.
 */
function inheritId(stdio: StdioDescription): string | undefined {
  if (stdio.kind === 'pipe' && stdio.inode !== undefined) return `pipe:[${stdio.inode}]`;
  if (stdio.kind === 'file' && !stdio.target.endsWith(' (deleted)')) return stdio.target.slice(1);
  return undefined;
}
