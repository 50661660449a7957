import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { planRestore } from './restore.js';
import { createImageDir, readCheckpointFailure, readImageState } from '../image/imageDir.js';
import type { ImageMeta } from '../image/imageMeta.js';
import { checkDumpPrivilege, effectiveUid } from '../engines/criu/dumpPrivilege.js';
import { LAUNCH_ENV } from '../launch/protocol.js';
import { type AutoAdapter, autoAdapters } from './autoOption.js';
import { type Command, splitAtDashDash, UsageError } from './command.js';
import { CheckpointRun, checkpointFailed, checkpointSucceeded, printJson } from './jsonSummary.js';
import { type HeldListener, holdListener } from './heldListener.js';
import { describeExit, type Exit, forwardSignals, launchApp, type LaunchedApp, signalGroup, stopApp } from './launchApp.js';
import { findTriggerTarget, sendTrigger } from './launchChannel.js';
import { positiveInt, seconds } from './optionValues.js';
import { checkpointPreflight } from './preflight.js';
import { elapsed, type Progress, progressOn } from './progress.js';
import { describeCheckpointProgress, describeWarmupProgress } from './progressSteps.js';
import { describeWarmup, WARMUP_HELP, WARMUP_OPTIONS, waitForUrl, warmUp, type WarmupPlan, warmupPlan, type WarmupReport, WarmupStatusError } from './warmup.js';

const help = `Usage:
  crac checkpoint --image DIR [--listen [HOST:]PORT] [options] -- <command...>
  crac checkpoint --pid PID --image DIR [--leave-running]

Starts <command> ready to be checkpointed (CRAC_ENGINE=criu, CRAC_CHECKPOINT_TO=DIR,
stdout/stderr as real pipes relayed to this terminal, io_uring blocked), waits until
it is ready, warms it up, checkpoints it and prints a summary. The checkpoint is asked
for over the launcher's private channel, never with a signal the app may handle. With
wrappers (npm start, npx tsx app.ts) the app is the Node process that listens on a TCP
port or calls notifyReady() first. Every node:http, https, http2 and net server the
app listens on is registered (the first on a TCP port makes the app ready) unless an
adapter or the app registered it itself; see docs/zero-code.md. With --pid, checkpoints
an app running under "crac run", a restored copy, or an app that called
installCheckpointTrigger().

Options:
  --image DIR             image directory (created 0700; its files are made 0600)
  --ready-url URL         ready once GET URL answers (< 500); without it the app is
                          ready when its first TCP server listens (or, with --no-auto,
                          when it calls notifyReady() from node-crac; adapters do)
  --ready-timeout S       seconds to wait for readiness (default 60)
${WARMUP_HELP}
  --timeout S             seconds to wait for the image (default 120)
  --no-auto               do not register the app's servers: only what the app registers
                          itself (and calls notifyReady() for, or --ready-url)
  --auto LIBS             also register the clients of these libraries (comma-separated):
                          pg (every Pool, through pg-crac), ioredis (every client,
                          through redis-crac); the adapters must be installed in the app
  --listen [HOST:]PORT    listen on PORT (HOST: a numeric address, default 0.0.0.0) before
                          the app starts and hand the socket to it (PORT, HOST, CRAC_LISTEN):
                          connections during the dump wait instead of being refused, as
                          with crac run --listen; see docs/listen.md
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
      auto: { type: 'string' },
      listen: { type: 'string' },
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
    if (values['no-auto'] || values.auto !== undefined) throw new UsageError(`--${values.auto === undefined ? 'no-auto' : 'auto'} goes with a command to start (or with crac run), not --pid`);
    if (values.listen !== undefined) throw new UsageError('--listen goes with a command to start, not --pid: the launcher of that process (crac run --listen) holds its port');
    return checkpointRunning(positiveInt(values.pid, '--pid'), imageDir, { leaveRunning: values['leave-running'], timeoutMs, report });
  }
  if (command.length === 0) throw new UsageError('give the command to start after --, or --pid PID');
  if (values['leave-running']) throw new UsageError('--leave-running goes with --pid');
  const plan = {
    readyUrl: values['ready-url'],
    readyTimeoutMs: seconds(values['ready-timeout'], '--ready-timeout'),
    warmup: warmupPlan(values),
    timeoutMs,
    autoRegister: !values['no-auto'],
    autoAdapters: autoAdapters(values.auto, values['no-auto']),
  };
  const listener = holdListener(values.listen, false);
  try {
    if (listener) report.progress.say(`holding ${listener.host}:${listener.port} for the app (${listener.origin})`);
    return await launchAndCheckpoint(command, imageDir, { ...plan, listener }, report);
  } finally {
    listener?.close();
  }
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
  autoAdapters: AutoAdapter[];
  listener: HeldListener | undefined;
}

async function launchAndCheckpoint(command: string[], imageDir: string, plan: LaunchPlan, { run, json, progress }: Report): Promise<number> {
  run.stage = 'preflight';
  checkDumpPrivilege(process.geteuid?.(), 'this command (and so the app it would start)');
  checkpointPreflight('the app was not started');
  createImageDir(imageDir);
  run.stage = 'start';
  const output = { stdout: progress.output(json ? process.stderr : process.stdout), stderr: progress.output(process.stderr) };
  let started: number | undefined;
  const app = await launchApp(command, {
    env: { [LAUNCH_ENV.engine]: 'criu', [LAUNCH_ENV.imageDir]: imageDir, [LAUNCH_ENV.awaitsReady]: '1' },
    channel: { onApp: (pid) => pid !== started && progress.say(`the app is pid ${pid}, started by ${basename(command[0]!)}`) },
    autoRegister: plan.autoRegister,
    autoAdapters: plan.autoAdapters,
    listener: plan.listener,
    output,
  });
  started = app.pid;
  run.pid = app.pid;
  let ended = false;
  void app.exited.then(() => (ended = true));
  progress.say(`started ${command.join(' ')} (pid ${app.pid})`);
  const signals = forwardSignals(app); // ^C ends the app too, and so this command
  try {
    run.stage = 'ready';
    progress.show(() => `waiting for the app to be ready${plan.readyUrl ? ` (GET ${plan.readyUrl})` : ''}: ${elapsed(run.startedAt)}`);
    await waitUntilReady(app, plan, () => !ended);
    run.readyAt = Date.now();
    const unsupported = unsupportedWrapper(app.channel.appPid() ?? app.pid);
    if (unsupported) throw new Error(unsupported);
    run.stage = 'warmup';
    const warmup: WarmupReport = { sent: 0, statuses: new Map() };
    run.warmup = warmup;
    if (plan.warmup.urls.length > 0) progress.show(() => describeWarmupProgress(plan.warmup, warmup, run.readyAt!));
    try {
      await warmUp(plan.warmup, warmup);
    } catch (error) {
      const signal = signals.received();
      if (signal) throw new Error(`stopped by ${signal} during the warm-up: the app was ended with it, and no image was written`);
      if (error instanceof WarmupStatusError) throw error; // it says what the warm-up got, and the fix
      throw new Error(`the warm-up failed: ${(error as Error).message}`);
    }
    run.warmedUpAt = Date.now();
    if (warmup.sent > 0) progress.say(describeWarmup(warmup));
    run.stage = 'checkpoint';
    const earlier = checkpointStarts(imageDir, { run, json, progress });
    const target = await app.channel.trigger({ imageDir, leaveRunning: false }, app.pid);
    run.pid = target;
    const meta = await waitForImage(imageDir, target, plan.timeoutMs, (failure) => `the checkpoint failed; the app it started is stopped.\n${failure}`, async () => {
      const exit = target === app.pid ? await app.exited : undefined;
      await Promise.race([app.outputDone, new Promise((r) => setTimeout(r, 1000))]);
      return endedDuringCheckpoint(target, exit, app.stderrTail());
    }, earlier);
    signalGroup(app.pid, 'SIGKILL'); // what a wrapper left: the app itself is gone with the dump
    await Promise.race([app.outputDone, new Promise((r) => setTimeout(r, 2000))]);
    finish(meta, { run, json, progress });
    return 0;
  } catch (error) {
    progress.end();
    await stopApp(app);
    throw error;
  } finally {
    signals.stop();
    app.channel.close();
  }
}

/**
 * Why the app cannot be checkpointed under the wrapper that started it, if it
 * cannot: tsx (npx tsx, node --import tsx) keeps an esbuild service process
 * talking to the app over socketpairs, which an image cannot hold.
 */
function unsupportedWrapper(pid: number): string | undefined {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined; // gone: the wait for the image says how it ended
  }
  if (!argv.some((arg) => /(^|[/\\@])tsx([/\\]|$)/.test(arg))) return undefined;
  return (
    `the app (pid ${pid}) runs under tsx (npx tsx, or node --import tsx), which keeps an esbuild service process connected to it by socketpairs ` +
    'that a checkpoint image cannot hold: compile the app to JavaScript (tsc) and run crac checkpoint -- node dist/app.js'
  );
}

/** Why the app is gone without an image: how it ended (when known) and the last lines it wrote to stderr. */
function endedDuringCheckpoint(pid: number, exit: Exit | undefined, stderr: string[]): string {
  const how = exit ? ` (${describeExit(exit)})` : '';
  const lines = stderr.length > 0 ? `; its last lines on stderr:\n${stderr.map((l) => `  ${l}`).join('\n')}` : '; it wrote nothing to stderr';
  return `the app (pid ${pid}) ended during the checkpoint${how}, without writing an image${lines}`;
}

/** Until the app is ready (its first TCP server, notifyReady() or the ready URL), or an error when it ended first or took too long. */
export async function waitUntilReady(app: LaunchedApp, plan: Pick<LaunchPlan, 'readyUrl' | 'readyTimeoutMs'>, running: () => boolean): Promise<void> {
  const endedEarly = (exit: Exit): Error => new Error(`the app ended (${describeExit(exit)}) before it was ready`);
  const ended = app.exited.then((exit) => {
    throw endedEarly(exit);
  });
  const ready = plan.readyUrl ? waitForUrl(plan.readyUrl, plan.readyTimeoutMs, running) : app.channel.ready;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the app was not ready within ${plan.readyTimeoutMs / 1000} s` +
        (plan.readyUrl ? '' : ': it is ready once a server listens, or when it calls notifyReady() from node-crac (with --no-auto); else pass --ready-url'))),
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
 * sealed, throws when it failed (the app goes on). Without `report`, quietly:
 * no summary, no progress.
 */
export async function checkpointRunning(
  pid: number,
  imageDir: string,
  { leaveRunning, timeoutMs, report: r }: { leaveRunning: boolean; timeoutMs: number; report?: Report },
): Promise<number> {
  if (r) {
    r.run.stage = 'preflight';
    r.run.pid = pid;
  }
  try {
    // First what CRIU would refuse: a process of another user than root is not dumped, whatever its trigger.
    checkDumpPrivilege(effectiveUid(pid), `process ${pid}`);
    const target = findTriggerTarget(pid);
    if (!target) {
      throw new Error(
        `process ${pid} has no checkpoint trigger: it was not started by "crac run" (no launch channel in its environment), is not a restored copy, ` +
          'and did not call installCheckpointTrigger() from node-crac: start it with "crac run", or call installCheckpointTrigger() in it',
      );
    }
    checkpointPreflight(`process ${pid} was not asked to checkpoint`);
    createImageDir(imageDir);
    if (r) r.run.stage = 'checkpoint';
    const earlier = checkpointStarts(imageDir, r);
    const answer = await sendTrigger(target.path, { kind: 'trigger', pid, imageDir, leaveRunning });
    if (answer.kind === 'refused') throw new Error(`the ${target.via === 'launcher' ? 'launcher' : 'trigger'} of process ${pid} refused the checkpoint: ${answer.reason}`);
    // A process's own socket answers with the PID it sees, which in a restored copy is that of its namespace.
    const app = target.via === 'launcher' ? answer.pid : pid;
    const meta = await waitForImage(imageDir, app, timeoutMs, (failure) => `the checkpoint failed; the app goes on.\n${failure}`, async () =>
      endedDuringCheckpoint(app, undefined, []),
    earlier);
    if (r) finish(meta, r);
    return 0;
  } finally {
    r?.progress.end();
  }
}

/**
 * Just before the trigger: the digest of the image already in `dir` (it stays
 * until the app's engine clears the directory just before the dump, so the wait
 * must not take it for the new one), and the checkpoint's progress shown.
 */
function checkpointStarts(imageDir: string, report: Report | undefined): string | undefined {
  const earlier = sealedDigest(imageDir);
  const triggeredAt = Date.now();
  if (report) {
    report.run.triggeredAt = triggeredAt;
    report.progress.show(() => describeCheckpointProgress(imageDir, earlier, triggeredAt));
  }
  return earlier;
}

/** The summary: for people on stdout, or with --json on stderr and the JSON alone on stdout. */
function finish(meta: ImageMeta, { run, json, progress }: Report): void {
  progress.end();
  run.stage = 'done';
  const noPlan = planRestore(run.imageDir!);
  if (noPlan !== undefined) process.stderr.write(`crac checkpoint: note: no restore plan for crac-restore, which will take the full path: ${noPlan}\n`);
  printSummary(run.imageDir!, meta, Date.now() - run.triggeredAt!, json ? process.stderr : process.stdout);
  if (json) printJson(checkpointSucceeded(run, meta));
}

/**
 * Until crac.json is sealed (success; `earlier` is the digest of the image that
 * was there before the trigger: it stays until the app's engine clears the
 * directory just before the dump), checkpoint-failed.json appears (the app
 * reported a failure; `failed` says what becomes of the app) or the app `pid`
 * is gone without an image (`gone` says how it ended).
 */
async function waitForImage(
  dir: string,
  pid: number,
  timeoutMs: number,
  failed: (failure: string) => string,
  gone: () => Promise<string>,
  earlier: string | undefined,
): Promise<ImageMeta> {
  const deadline = Date.now() + timeoutMs;
  let goneSince: number | undefined;
  while (Date.now() < deadline) {
    const image = readImageState(dir);
    if (image.state === 'sealed' && image.meta.manifestDigest !== earlier) return image.meta;
    const failure = readCheckpointFailure(dir);
    if (failure !== undefined) throw new Error(failed(failure));
    if (isAlive(pid)) {
      goneSince = undefined;
    } else {
      // CRIU seals the image before it ends the app: a moment for the file system, no more.
      goneSince ??= Date.now();
      if (Date.now() - goneSince > 1000) {
        const log = join(dir, 'dump.log');
        throw new Error(`${await gone()}${existsSync(log) ? `\nCRIU's log: ${log}` : ''}`);
      }
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

function isAlive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
