import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkDumpPrivilege, effectiveUid } from '../engines/criu/dumpPrivilege.js';
import { createImageDir, readCheckpointFailure, readImageState } from '../image/imageDir.js';
import type { ImageMeta } from '../image/imageMeta.js';
import { LAUNCH_ENV, TRIGGER_SIGNAL, triggerRequestPath, type TriggerRequest } from '../launch/protocol.js';
import { type Command, say, splitAtDashDash, UsageError } from './command.js';
import { CheckpointRun, checkpointFailed, checkpointSucceeded, printJson } from './jsonSummary.js';
import { forwardSignals, launchApp, type LaunchedApp } from './launchApp.js';
import { positiveInt, seconds } from './optionValues.js';
import { checkpointPreflight } from './preflight.js';
import { elapsed, type Progress, progressOn } from './progress.js';
import { describeCheckpointProgress, describeWarmupProgress } from './progressSteps.js';
import { describeWarmup, WARMUP_HELP, WARMUP_OPTIONS, waitForUrl, warmUp, type WarmupPlan, warmupPlan, type WarmupReport } from './warmup.js';

const help = `Usage:
  crac checkpoint --image DIR [options] -- <command...>
  crac checkpoint --pid PID --image DIR [--leave-running]

Starts <command> ready to be checkpointed (CRAC_ENGINE=criu, CRAC_CHECKPOINT_TO=DIR,
stdout/stderr as real pipes relayed to this terminal, io_uring blocked), waits until
it is ready, warms it up, checkpoints it and prints a summary. Every node:http, https,
http2 and net server the app listens on is registered (the first one to listen makes
the app ready) unless an adapter or the app registered it itself; see docs/zero-code.md. With --pid, checkpoints
an app already running under "crac run" (or one that called installCheckpointTrigger()).

Options:
  --image DIR             image directory (created 0700; its files are made 0600)
  --ready-url URL         ready once GET URL answers (< 500); without it the app must
                          call notifyReady() from node-crac (adapters do after listen)
  --ready-timeout S       seconds to wait for readiness (default 60)
${WARMUP_HELP}
  --timeout S             seconds to wait for the image (default 120)
  --no-auto               do not register the app's servers: only what the app registers
                          itself (and calls notifyReady() for, or --ready-url)
  --pid PID               checkpoint this running process instead of starting one
  --leave-running         with --pid: keep the process running after the dump (CRIU -R)
  --json                  print a JSON summary on stdout (also on failure); the app's
                          output and every message go to stderr
  -h, --help              this text

Before the app is started (or signalled), CRIU, node-crac's native parts and the
privileges a dump needs are checked as "crac doctor" does. On a terminal, one updating
line on stderr shows readiness, warm-up and dump as they go.

Environment: CRAC_HEAP_SHRINK=0 skips the GC + malloc_trim before the dump;
CRAC_CRIU_PATH picks the CRIU binary; CRAC_CRIU_DUMP_ARGS adds CRIU dump options.`;

export const checkpointCommand: Command = {
  name: 'checkpoint',
  help,
  async run(argv) {
    const json = splitAtDashDash(argv).options.includes('--json');
    const run = new CheckpointRun();
    try {
      return await checkpoint(argv, run);
    } catch (error) {
      if (json) printJson(checkpointFailed(run, error));
      throw error;
    }
  },
};

async function checkpoint(argv: string[], run: CheckpointRun): Promise<number> {
  const { options, command } = splitAtDashDash(argv);
  const { values } = parseArgs({
    args: options,
    options: {
      image: { type: 'string' },
      'ready-url': { type: 'string' },
      'ready-timeout': { type: 'string', default: '60' },
      ...WARMUP_OPTIONS,
      timeout: { type: 'string', default: '120' },
      pid: { type: 'string' },
      'leave-running': { type: 'boolean', default: false },
      'no-auto': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.image) throw new UsageError('--image DIR is required');
  const imageDir = resolve(values.image);
  const timeoutMs = seconds(values.timeout, '--timeout');
  const report: Report = { run, json: values.json, progress: progressOn(process.stderr) };
  run.imageDir = imageDir;
  if (values.pid !== undefined) {
    if (command.length > 0) throw new UsageError('give either --pid or a command after --, not both');
    if (values['no-auto']) throw new UsageError('--no-auto goes with a command to start (or with crac run), not --pid');
    return checkpointRunning(positiveInt(values.pid, '--pid'), imageDir, values['leave-running'], timeoutMs, report);
  }
  if (command.length === 0) throw new UsageError('give the command to start after --, or --pid PID');
  if (values['leave-running']) throw new UsageError('--leave-running goes with --pid');
  return launchAndCheckpoint(command, imageDir, {
    readyUrl: values['ready-url'],
    readyTimeoutMs: seconds(values['ready-timeout'], '--ready-timeout'),
    warmup: warmupPlan(values),
    timeoutMs,
    autoRegister: !values['no-auto'],
  }, report);
}

/** How a checkpoint reports: its record for the summary, --json, and the progress line. */
interface Report {
  run: CheckpointRun;
  json: boolean;
  progress: Progress;
}

interface LaunchPlan {
  readyUrl: string | undefined;
  readyTimeoutMs: number;
  warmup: WarmupPlan;
  timeoutMs: number;
  autoRegister: boolean;
}

async function launchAndCheckpoint(command: string[], imageDir: string, plan: LaunchPlan, { run, json, progress }: Report): Promise<number> {
  run.stage = 'preflight';
  checkDumpPrivilege(process.geteuid?.(), 'this command (and so the app it would start)');
  checkpointPreflight('the app was not started');
  createImageDir(imageDir);
  run.stage = 'start';
  const output = { stdout: progress.output(json ? process.stderr : process.stdout), stderr: progress.output(process.stderr) };
  const env = { [LAUNCH_ENV.engine]: 'criu', [LAUNCH_ENV.imageDir]: imageDir, [LAUNCH_ENV.launcher]: 'checkpoint' };
  const app = await launchApp(command, { env, readyPipe: !plan.readyUrl, autoRegister: plan.autoRegister, output });
  run.pid = app.pid;
  let ended = false;
  void app.exited.then(() => (ended = true), () => (ended = true));
  progress.say(`started ${command.join(' ')} (pid ${app.pid})`);
  const stopForwarding = forwardSignals(app); // ^C ends the app too, and so this command
  try {
    run.stage = 'ready';
    progress.show(() => `waiting for the app to be ready${plan.readyUrl ? ` (GET ${plan.readyUrl})` : ''}: ${elapsed(run.startedAt)}`);
    await waitUntilReady(app, plan, () => !ended);
    run.readyAt = Date.now();
    run.stage = 'warmup';
    const warmup: WarmupReport = { sent: 0, statuses: new Map() };
    run.warmup = warmup;
    if (plan.warmup.urls.length > 0) progress.show(() => describeWarmupProgress(plan.warmup, warmup, run.readyAt!));
    await warmUp(plan.warmup, warmup);
    run.warmedUpAt = Date.now();
    if (warmup.sent > 0) progress.say(describeWarmup(warmup));
    run.stage = 'checkpoint';
    const meta = await triggerAndWait(app.pid, imageDir, () => !ended, plan.timeoutMs, 'the app it started is stopped', { run, json, progress });
    const exit = await app.exited;
    await Promise.race([app.outputDone, new Promise((r) => setTimeout(r, 2000))]);
    finish(meta, { run, json, progress });
    if (exit.signal !== 'SIGKILL') say(`note: the app ended with ${exit.signal ?? `exit code ${exit.code}`}, not by CRIU`);
    return 0;
  } catch (error) {
    progress.end();
    if (!ended) {
      app.child.kill('SIGTERM');
      await Promise.race([app.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (!ended) app.child.kill('SIGKILL');
    }
    throw error;
  } finally {
    stopForwarding();
  }
}

/** Until the app is ready (notifyReady() or the ready URL), or an error when it ended first or took too long. */
export async function waitUntilReady(app: LaunchedApp, plan: Pick<LaunchPlan, 'readyUrl' | 'readyTimeoutMs'>, running: () => boolean): Promise<void> {
  const endedEarly = (exit: { code: number | null; signal: NodeJS.Signals | null }): Error =>
    new Error(`the app ended (${exit.signal ?? `exit code ${exit.code}`}) before it was ready`);
  const ended = app.exited.then((exit) => {
    throw endedEarly(exit);
  });
  const ready = (plan.readyUrl ? waitForUrl(plan.readyUrl, plan.readyTimeoutMs, running) : app.ready!).catch(async (error: Error) => {
    // The ready pipe also closes when the app ends: then say how it ended.
    const exit = await Promise.race([app.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 500))]);
    throw exit ? endedEarly(exit) : error;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the app was not ready within ${plan.readyTimeoutMs / 1000} s` +
        (plan.readyUrl ? '' : ': it must call notifyReady() from node-crac (the adapters do once listening), or pass --ready-url'))),
      plan.readyTimeoutMs,
    );
  });
  try {
    await Promise.race([ready, ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checkpoints a running app through its trigger; resolves once the image is
 * sealed, throws when it failed (the app goes on). Without `report`, quietly.
 */
export async function checkpointRunning(pid: number, imageDir: string, leaveRunning: boolean, timeoutMs: number, report?: Report): Promise<number> {
  if (report) {
    report.run.stage = 'preflight';
    report.run.pid = pid;
  }
  if (!catchesTriggerSignal(pid)) {
    throw new Error(`process ${pid} has no checkpoint trigger (${TRIGGER_SIGNAL} would kill it): start it with "crac run", or call installCheckpointTrigger() from node-crac`);
  }
  checkDumpPrivilege(effectiveUid(pid), `process ${pid}`);
  checkpointPreflight(`process ${pid} was not signalled`);
  createImageDir(imageDir);
  const request: TriggerRequest = { imageDir, leaveRunning };
  const requestPath = triggerRequestPath(pidInOwnNamespace(pid));
  rmSync(requestPath, { force: true });
  writeFileSync(requestPath, JSON.stringify(request), { mode: 0o600, flag: 'wx' });
  try {
    if (report) report.run.stage = 'checkpoint';
    const meta = await triggerAndWait(pid, imageDir, () => isAlive(pid), timeoutMs, 'the app goes on', report);
    if (report) finish(meta, report);
    return 0;
  } finally {
    report?.progress.end();
    rmSync(requestPath, { force: true });
  }
}

/** Sends the trigger and waits for the image (waitForImage), showing the checkpoint's progress. */
async function triggerAndWait(pid: number, imageDir: string, appAlive: () => boolean, timeoutMs: number, afterFailure: string, report: Report | undefined): Promise<ImageMeta> {
  const earlier = sealedDigest(imageDir);
  const triggeredAt = Date.now();
  if (report) {
    report.run.triggeredAt = triggeredAt;
    report.progress.show(() => describeCheckpointProgress(imageDir, earlier, triggeredAt));
  }
  process.kill(pid, TRIGGER_SIGNAL);
  return waitForImage(imageDir, earlier, appAlive, timeoutMs, afterFailure);
}

/** The summary: for people on stdout, or with --json on stderr and the JSON alone on stdout. */
function finish(meta: ImageMeta, { run, json, progress }: Report): void {
  progress.end();
  run.stage = 'done';
  printSummary(run.imageDir!, meta, Date.now() - run.triggeredAt!, json ? process.stderr : process.stdout);
  if (json) printJson(checkpointSucceeded(run, meta));
}

/**
 * Until crac.json is sealed (success; `earlier` is the digest of the image that
 * was there before the trigger: it stays until the app's engine clears the
 * directory just before the dump), checkpoint-failed.json appears (the app
 * reported a failure; `afterFailure` says what becomes of the app) or the app
 * is gone without an image.
 */
async function waitForImage(dir: string, earlier: string | undefined, appAlive: () => boolean, timeoutMs: number, afterFailure: string): Promise<ImageMeta> {
  const deadline = Date.now() + timeoutMs;
  let goneSince: number | undefined;
  while (Date.now() < deadline) {
    const image = readImageState(dir);
    if (image.state === 'sealed' && image.meta.manifestDigest !== earlier) return image.meta;
    const failure = readCheckpointFailure(dir);
    if (failure !== undefined) throw new Error(`the checkpoint failed; ${afterFailure}.\n${failure}`);
    if (appAlive()) {
      goneSince = undefined;
    } else {
      // CRIU ends the app before the image is sealed: give the sealing a moment.
      goneSince ??= Date.now();
      if (Date.now() - goneSince > 15_000) throw new Error(`the app ended without writing an image to ${dir} (see ${join(dir, 'dump.log')} if it exists)`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no image in ${dir} after ${timeoutMs / 1000} s`);
}

function sealedDigest(dir: string): string | undefined {
  const image = readImageState(dir);
  return image.state === 'sealed' ? image.meta.manifestDigest : undefined;
}

function printSummary(dir: string, meta: ImageMeta, sinceTriggerMs: number, to: NodeJS.WritableStream): void {
  const mb = (bytes: number | undefined): string => `${((bytes ?? 0) / 1024 / 1024).toFixed(1)} MB`;
  const lines = [
    `Checkpoint written to ${dir}`,
    `  image size        ${mb(meta.imageSizeBytes)}`,
    `  checkpoint time   ${meta.checkpointDurationMs} ms (dump and seal), ${sinceTriggerMs} ms since the trigger`,
    `  heap shrink       ${meta.heap.shrunk ? `RSS ${mb(meta.heap.rssBeforeBytes)} -> ${mb(meta.heap.rssAfterBytes)}` : 'off'}`,
    `  resources         ${meta.resources.length} notified${meta.resources.length ? ':' : ''}`,
    ...meta.resources.map((r) => `                      ${r.name} (${r.durationMs} ms)`),
    `  node ${meta.node.version}, CRIU ${meta.criu.version}`,
    `Restore with: crac restore ${dir}`,
  ];
  to.write(`${lines.join('\n')}\n`);
}

/** Whether `pid` handles the trigger signal (SigCgt in /proc/PID/status). */
function catchesTriggerSignal(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    throw new Error(`no process ${pid}`);
  }
  const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  return ((caught >> 11n) & 1n) === 1n; // SIGUSR2 is 12
}

/**
 * The PID the process sees for itself: a restored copy runs in its own PID
 * namespace, where it keeps its original PID (the last NSpid entry).
 */
function pidInOwnNamespace(pid: number): number {
  const nspid = /^NSpid:\s*([\d\s]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
  return Number(nspid?.at(-1) ?? pid);
}

function isAlive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
