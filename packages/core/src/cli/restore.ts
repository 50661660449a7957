import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { restoreArgs } from '../engines/criu/criuArgs.js';
import { missingCapabilities, PRIVILEGE_FIX, readPrivileges, seccompProblem } from '../engines/criu/privileges.js';
import { criuErrorHint, criuErrorLines, readCriuLogBounded } from '../engines/criu/criuLog.js';
import { checkImageRunsHere } from '../image/imageChecks.js';
import { checkAppUnchanged, hostDifferences } from '../image/compatibility.js';
import { freeBytes, readSealedImage } from '../image/imageDir.js';
import { RESTORE_FAILED_EXIT_CODE } from '../resumed/restoreFailure.js';
import { checkImageFiles, verifyImageContent } from '../image/imageIntegrity.js';
import { createPrivateTempDir, createProcessDir, userRuntimeDir } from '../trust/privateTemp.js';
import { collectEnv } from './envFile.js';
import { type CriuLocation, locateCriu } from '../engines/criu/locate.js';
import { bundledCriuCommand } from '../engines/criu/bundled.js';
import { type KdatCachePlan, planKdatCache } from '../engines/criu/kdatCache.js';
import type { ImageMeta } from '../image/imageMeta.js';
import { WORK_DIR_SLOT, writeRestorePlan } from './restorePlan.js';
import { RestoreTimings } from './restoreTimings.js';
import type { RestorePayload } from '../engines/engine.js';
import { loadBridge, type NativeBridge, restoreHelperPath } from '../native/bridge.js';
import { type Command, splitAtDashDash, UsageError } from './command.js';
import { relay } from './launchApp.js';
import { type HeldListener, holdListenerForRestore, listenerEnv } from './heldListener.js';

const help = `Usage: crac restore DIR [--env K=V | --env K ...] [--env-file FILE] [--verify] [--listen [HOST:]PORT [--reuse-port]] [-- args...]

Restores the checkpoint image in DIR in the foreground. The restored app writes to
this command's stdout/stderr, gets the signals INT TERM HUP USR1 USR2 QUIT sent to
it, and this command exits with the app's exit code (128+n when killed by signal n).
Each restore runs in its own PID and mount namespace, so one image can be restored
many times at once; killing this command (even with SIGKILL) ends the restored app.

Options:
  --env K=V        set K in the restored app's process.env before any afterRestore hook (repeatable);
                   visible to every local user in this command's command line: not for secrets
  --env K          the same with the value of K in this command's own environment
  --env-file FILE  K=V lines (# comments); FILE must be yours or root's and writable by nobody else.
                   Use --env K or --env-file for secrets: their values never appear in a command line
  --verify         check the SHA-256 of every image file first (as crac verify does); without it,
                   restore checks ownership, modes, sizes and the manifest's own digest
  --keep-log       keep CRIU's restore log (otherwise kept only when the restore fails)
  --keep-failed    keep a restored app running when its restore failed (an afterRestore hook
                   failed), for debugging; by default it prints the causes and ends, and this
                   command exits with ${RESTORE_FAILED_EXIT_CODE}
  --listen [HOST:]PORT  listen on PORT (HOST: a numeric address, default 0.0.0.0) before CRIU
                   starts and hand the socket to the restored app (PORT, HOST and CRAC_LISTEN
                   in its environment): clients connecting during the restore wait in its
                   backlog instead of being refused. The socket is kept while the copy runs.
                   Under systemd socket activation (LISTEN_FDS) the socket systemd passes is
                   used the same way; see docs/listen.md
  --reuse-port     with --listen: SO_REUSEPORT, so that a new copy can take the port over
                   from a running one also started with --reuse-port (start the new one,
                   then end the old one): a replacement with no refused connection
  --resume-timeout S  seconds the restored app has to take its restore payload once CRIU is
                   done (default 30); then it is ended as stuck
  -h, --help       this text

Arguments after -- are handed to the app (restoreArguments() from node-crac).
Environment: CRAC_CRIU_PATH picks the CRIU binary; CRAC_CRIU_RESTORE_ARGS adds CRIU options;
CRAC_CRIU_LOG_LIMIT_MB (default 64) stops a CRIU whose log grows past it;
CRAC_CRIU_KDAT_CACHE=0 turns off the cache of CRIU's kernel probes (crac doctor says whether it is used);
CRAC_RESTORE_TIMINGS=FILE writes when each phase of the restore ended (for the benchmark).`;

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'];
// A pipe holds this much without a reader; the payload is written before CRIU starts.
const MAX_PAYLOAD_BYTES = 60 * 1024;
/** The descriptor of the held listening socket in the restore helper, CRIU and the waiter (after payload 3 and log 4). */
const LISTENER_FD = 5;

export const restoreCommand: Command = {
  name: 'restore',
  help,
  async run(argv) {
    const { options, command: args } = splitAtDashDash(argv);
    const { values, positionals } = parseArgs({
      args: options,
      allowPositionals: true,
      options: {
        env: { type: 'string', multiple: true, default: [] },
        'env-file': { type: 'string', multiple: true, default: [] },
        verify: { type: 'boolean', default: false },
        'keep-log': { type: 'boolean', default: false },
        'keep-failed': { type: 'boolean', default: false },
        'resume-timeout': { type: 'string', default: '30' },
        listen: { type: 'string' },
        'reuse-port': { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one image directory');
    const imageDir = resolve(positionals[0]!);
    const env = collectEnv(values['env-file'], values.env);
    const resumeTimeoutS = Number(values['resume-timeout']);
    if (!Number.isFinite(resumeTimeoutS) || resumeTimeoutS <= 0) throw new UsageError(`--resume-timeout wants a number of seconds, got "${values['resume-timeout']}"`);
    const listener = holdListenerForRestore(values.listen, values['reuse-port'], 'the restored app');
    try {
      return await restore(
        imageDir,
        { env, args, restoreWallTime: Date.now() },
        { keepLog: values['keep-log'], keepFailed: values['keep-failed'], verify: values.verify, resumeTimeoutMs: resumeTimeoutS * 1000, listener },
      );
    } finally {
      listener?.close();
    }
  },
};

export interface RestoreOptions {
  keepLog: boolean;
  keepFailed: boolean;
  verify: boolean;
  resumeTimeoutMs: number;
  /** The listening socket to hand to the restored app (its caller holds it before and closes it after). */
  listener?: HeldListener;
  /** When CRIU could not restore the image (nothing of it ran): start the app another way (crac start). */
  coldStart?: () => Promise<number>;
}

// CRIU can loop on a damaged image and write ~47 MB/s of log: past this it is stopped.
const DEFAULT_LOG_LIMIT_MB = 64;
const MONITOR_INTERVAL_MS = 25;

/** Restores `imageDir` in the foreground; resolves to the exit code to mirror. */
export async function restore(imageDir: string, payload: RestorePayload, options: RestoreOptions): Promise<number> {
  const { keepLog } = options;
  const timings = new RestoreTimings(process.env.CRAC_RESTORE_TIMINGS);
  timings.mark('node bootstrap and crac modules');
  const meta = checkedImage(imageDir, options.verify);
  timings.mark('image checks');
  const criu = locateCriu();
  const notes = hostDifferences(meta, criu.version);
  for (const note of notes) say(`note: ${note}`);
  const helper = restoreHelperPath();
  const bridge = loadBridge();
  const logLimit = logLimitBytes();

  // The copy is in a PID namespace of its own, where this process has no pid: PID 1 there
  // (CRIU, then our waiter, which CRIU execs in its place) inherits the socket as LISTENER_FD.
  const listenPayload = options.listener ? { ...payload, env: { ...listenerEnv(options.listener, { pid: 1, fd: LISTENER_FD }, payload.env), ...payload.env } } : payload;
  const text = JSON.stringify({ ...listenPayload, ...(options.keepFailed ? { keepFailed: true } : {}) });
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw new UsageError(`the --env values and arguments are too large (over ${MAX_PAYLOAD_BYTES} bytes)`);
  // This command keeps a read end of the payload pipe: once nobody writes to it, a
  // read tells whether the restored app took the payload (EOF) or not (the payload).
  const [payloadRead, payloadWrite] = bridge.pipe();
  writeSync(payloadWrite, text);
  closeSync(payloadWrite);

  // CRIU writes its log into a file that is already unlinked (through fd 4), so that
  // nothing is left behind however this ends; it is saved only when asked or on failure,
  // in a fresh private directory: the log holds process state. CRIU works (stats-restore)
  // in a directory of this process's, so that it writes nothing into the image, and a
  // restore killed before it removed that directory has it removed by the next.
  let workDir: ReturnType<typeof createProcessDir>;
  let logFd: number;
  try {
    workDir = createProcessDir('restore');
  } catch (error) {
    closeSync(payloadRead);
    throw new Error(`cannot create a directory for CRIU's log in ${tmpdir()}: ${(error as Error).message}${tmpdirFullHint(error)}`);
  }
  try {
    const openPath = join(workDir.path, 'restore.log');
    logFd = openSync(openPath, 'wx+', 0o600);
    unlinkSync(openPath);
  } catch (error) {
    closeSync(payloadRead);
    workDir.remove();
    throw new Error(`cannot create CRIU's log in ${workDir.path}: ${(error as Error).message}${tmpdirFullHint(error)}`);
  }
  const kdat = planKdatCache(criu.path, helper, [imageDir, workDir.path]);
  const criuArgv = criuRestoreArgv(criu, helper, imageDir, meta, workDir.path, kdat.use || timings.wanted);
  const stdout = stdioForApp(1, process.stdout, bridge);
  const stderr = stdioForApp(2, process.stderr, bridge);
  let child;
  try {
    child = spawn(helper, ['launch', String(process.pid), ...criuArgv], {
      stdio: ['inherit', stdout.fd, stderr.fd, payloadRead, logFd, ...(options.listener ? [options.listener.fd] : [])],
      env: kdat.use ? { ...process.env, ...kdat.env } : process.env,
    });
  } catch (error) {
    closeSync(payloadRead);
    closeSync(logFd);
    workDir.remove();
    throw error;
  } finally {
    stdout.handedOver();
    stderr.handedOver();
  }
  timings.mark('locate criu, start the helper');
  writePlan(imageDir, meta, criu, helper, kdat, notes); // while CRIU restores
  // A second INT or TERM ends the restore at once: the helper's death takes the namespace with it.
  let stopRequests = 0;
  const forward = (signal: NodeJS.Signals): void => {
    if ((signal === 'SIGINT' || signal === 'SIGTERM') && ++stopRequests > 1) child.kill('SIGKILL');
    else child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', fail);
  });

  // While it runs: CRIU's log stays under its limit, and once CRIU has handed over
  // (the namespace's PID 1 is our waiter) the app holds the payload pipe and takes it in time.
  const waiterExe = realpathOrSelf(helper);
  const payloadPipe = `pipe:[${fstatSync(payloadRead).ino}]`;
  let criuDone = false;
  let payloadTaken: boolean | undefined;
  let stopped: 'runaway' | 'unattached' | 'stuck' | undefined;
  let criuDoneAt = 0;
  const monitor = setInterval(() => {
    if (stopped) return;
    if (!criuDone && fstatSync(logFd).size > logLimit) {
      stopped = 'runaway';
      child.kill('SIGKILL');
      return;
    }
    const app = criuDone || child.pid === undefined ? undefined : restoredApp(child.pid, waiterExe);
    if (app !== undefined) {
      criuDone = true;
      criuDoneAt = Date.now();
      // CRIU puts the payload pipe only where crac.json's status pipe inode points: when that
      // record does not belong to these CRIU files, the app holds no end of it and can never resume.
      if (!holdsFile(app, payloadPipe) && !(payloadTaken = takenFrom(payloadRead))) {
        stopped = 'unattached';
        child.kill('SIGKILL');
        return;
      }
    }
    if (criuDone && payloadTaken === undefined && Date.now() - criuDoneAt > options.resumeTimeoutMs) {
      payloadTaken = takenFrom(payloadRead);
      if (!payloadTaken) {
        stopped = 'stuck';
        child.kill('SIGKILL');
      }
    }
  }, MONITOR_INTERVAL_MS);
  let exit;
  try {
    exit = await exited;
  } finally {
    clearInterval(monitor);
    for (const signal of FORWARDED) process.off(signal, forward);
  }
  await Promise.race([Promise.all([stdout.relayed, stderr.relayed]), new Promise((r) => setTimeout(r, 2000))]);

  const code = exit.code ?? 128 + signalNumber(exit.signal);
  payloadTaken ??= takenFrom(payloadRead);
  closeSync(payloadRead);
  const log = readCriuLogBounded(logFd);
  closeSync(logFd);
  timings.write(log);
  // The app took its payload: CRIU restored it, whatever its log says (a full $TMPDIR leaves it empty).
  const criuRestored = criuDone || log.includes('Restore finished successfully');
  const restored = payloadTaken || criuRestored;
  // A copy that found no payload on its status pipe ends at once with RESTORE_FAILED_EXIT_CODE, maybe before the monitor looked.
  if (!stopped && !payloadTaken && criuRestored && code === RESTORE_FAILED_EXIT_CODE) stopped = 'unattached';
  const failed = stopped !== undefined || (code !== 0 && !restored);
  workDir.remove();
  const saved = keepLog || failed ? saveLog(log) : undefined;
  const logNote = saved?.path ? `log: ${saved.path}` : log === '' ? `CRIU's log is empty${tmpdirFullHint()}` : `the log could not be saved: ${saved?.error}${tmpdirFullHint()}`;

  if (stopped === 'runaway') {
    say(
      `CRIU wrote over ${logLimit / 1024 / 1024} MB of log restoring ${imageDir} without finishing and was stopped (a damaged image can make it loop); ` +
        `check the image with "crac verify ${imageDir}" or checkpoint again (CRAC_CRIU_LOG_LIMIT_MB raises the limit); ${logNote}`,
    );
    return options.coldStart ? options.coldStart() : 1;
  }
  if (stopped === 'unattached') {
    say(
      `the restored app never got its restore payload, so it was ended before it resumed: CRIU puts the payload in place of the status pipe ` +
        `that ${join(imageDir, 'crac.json')} names (inode ${meta.statusPipe.inode}), and the restored app holds no such pipe, ` +
        `so that record does not belong to these CRIU files (was crac.json edited, or copied from another image?): checkpoint again; ${logNote}`,
    );
    return options.coldStart ? options.coldStart() : 1;
  }
  if (stopped === 'stuck') {
    say(
      `the restored app holds its restore payload but did not read it within ${options.resumeTimeoutMs / 1000} s after CRIU restored it, so it never resumed, and it was ended: ` +
        `it is not blocked on the status pipe that ${join(imageDir, 'crac.json')} names (inode ${meta.statusPipe.inode}), ` +
        `so that record may not belong to these CRIU files: checkpoint again (--resume-timeout S waits longer); ${logNote}`,
    );
    return options.coldStart ? options.coldStart() : 1;
  }
  if (failed) {
    const lines = criuErrorLines(log);
    const hint = privilegeHint() ?? criuErrorHint(lines);
    process.stderr.write(
      [`crac restore: CRIU could not restore ${imageDir} (exit code ${code}); ${logNote}`, ...lines.map((l) => `  ${l}`), ...(hint ? [`Hint: ${hint}`] : [])].join('\n') + '\n',
    );
    if (options.coldStart) return options.coldStart();
    return code === 0 ? 1 : code;
  }
  if (code === RESTORE_FAILED_EXIT_CODE) {
    say(
      `the app was restored from ${imageDir}, but its restore failed (the causes are above, each naming its resource) and the copy ended; ` +
        'fix them, or add --keep-failed to keep a failed copy running for debugging',
    );
  }
  if (keepLog) say(saved?.path ? `CRIU log: ${saved.path}` : logNote);
  return code;
}

/** The image in `imageDir` once every check before a restore passed (with `verify`, its content's digests too); throws the first that fails. */
function checkedImage(imageDir: string, verify: boolean): ImageMeta {
  const meta = readSealedImage(imageDir);
  if (verify) verifyImageContent(imageDir, meta);
  else checkImageFiles(imageDir, meta);
  checkImageRunsHere(meta);
  checkAppUnchanged(meta);
  return meta;
}

/** CRIU's command line for a restore of `imageDir`: its descriptors as the restore helper hands them over, the helper as its waiter. */
function criuRestoreArgv(criu: CriuLocation, helper: string, imageDir: string, meta: ImageMeta, workDir: string, actionScript: boolean): string[] {
  return restoreArgs(criu.path, imageDir, meta, { payload: 3, stdout: 1, stderr: 2 }, { log: '/proc/self/fd/4', workDir }, [helper, 'wait'],
    actionScript ? ['--action-script', helper] : []);
}

/** The plan for crac-restore, from checks that just passed; a failure only means crac-restore takes the full path. */
function writePlan(imageDir: string, meta: ImageMeta, criu: CriuLocation, helper: string, kdat: KdatCachePlan, notes: string[]): { path: string } | { error: string } {
  const [, ...criuArgs] = criuRestoreArgv(criu, helper, imageDir, meta, WORK_DIR_SLOT, kdat.use);
  // The bundled CRIU is a script that execs its loader: the plan execs the loader itself.
  const bundled = criu.source === 'bundled' ? bundledCriuCommand(criu.path) : { command: [criu.path], files: [] };
  return writeRestorePlan({
    imageDir, meta, criuPath: criu.path, helperPath: helper, notes,
    criuArgv: [...bundled.command, ...criuArgs], criuFiles: bundled.files,
    criuEnv: kdat.use ? kdat.env : {},
  });
}

/**
 * After a checkpoint: checks the image in `imageDir` as a restore does and writes
 * its plan, so that the first crac-restore is fast too. Why there is no plan, or undefined.
 */
export function planRestore(imageDir: string): string | undefined {
  try {
    const meta = checkedImage(imageDir, false);
    const criu = locateCriu();
    const helper = restoreHelperPath();
    const written = writePlan(imageDir, meta, criu, helper, planKdatCache(criu.path, helper, [imageDir, userRuntimeDir()]), hostDifferences(meta, criu.version));
    return 'error' in written ? written.error : undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function say(line: string): void {
  process.stderr.write(`crac restore: ${line}\n`);
}

function logLimitBytes(): number {
  const mb = Number(process.env.CRAC_CRIU_LOG_LIMIT_MB ?? DEFAULT_LOG_LIMIT_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_LOG_LIMIT_MB) * 1024 * 1024;
}

/** The log in a fresh private directory, `$TMPDIR/node-crac-restore-XXXXXX/restore.log`, or why it could not be written there. */
function saveLog(log: string): { path?: string; error?: string } {
  let dir: ReturnType<typeof createPrivateTempDir>;
  try {
    dir = createPrivateTempDir('node-crac-restore');
  } catch (error) {
    return { error: (error as Error).message };
  }
  const path = join(dir.path, 'restore.log');
  try {
    writeFileSync(path, log, { mode: 0o600, flag: 'wx' });
    return { path };
  } catch (error) {
    dir.remove();
    return { error: `${path}: ${(error as Error).message}` };
  }
}

/** Says that $TMPDIR is full when `error` says so (no inode left either gives ENOSPC) or little room is left. */
function tmpdirFullHint(error?: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const free = freeBytes(tmpdir());
  return code === 'ENOSPC' || code === 'EDQUOT' || (free !== undefined && free < 1024 * 1024) ? ` (${tmpdir()} is full: free space there, or set TMPDIR to another directory)` : '';
}

/**
 * Whether the restored app took its payload. Nobody holds the pipe's write
 * end, so this read never blocks: EOF when the app read it all, the payload
 * itself (taken for good: then the app will never get it) when not.
 */
function takenFrom(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) === 0;
  } catch {
    return false;
  }
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The restored app's PID once CRIU is done: PID 1 of the restore namespace (the
 * launch helper's child) is then our waiter, exec'd by CRIU, and the app is its child.
 */
function restoredApp(launchPid: number, waiterExe: string): number | undefined {
  const firstChild = (pid: number): number | undefined => Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || undefined;
  try {
    const init = firstChild(launchPid);
    if (init === undefined) return undefined;
    if (readlinkSync(`/proc/${init}/exe`) !== waiterExe || readFileSync(`/proc/${init}/cmdline`, 'utf8').split('\0')[1] !== 'wait') return undefined;
    return firstChild(init);
  } catch {
    return undefined;
  }
}

/** Whether process `pid` has a descriptor open on `target` (as /proc/PID/fd shows it, e.g. "pipe:[123]"). */
function holdsFile(pid: number, target: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === target;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * The descriptor given to CRIU for the restored app's stdout or stderr. CRIU
 * reopens an inherited pipe through /proc/self/fd with the dumped pipe's flags:
 * ours, if a file, would become a new open file description at offset 0 without
 * O_APPEND (the app's stdout and stderr then overwrite each other and our own
 * lines), and a socket (a Node parent's stdio 'pipe') cannot be reopened at all
 * ("Unable to reopen the pipe /proc/self/fd/1"). So unless ours is a pipe, the
 * app gets a pipe relayed to ours.
 */
function stdioForApp(fd: 1 | 2, to: NodeJS.WriteStream, bridge: NativeBridge): { fd: number; relayed: Promise<void>; handedOver(): void } {
  if (fstatSync(fd).isFIFO()) return { fd, relayed: Promise.resolve(), handedOver() {} };
  const [read, write] = bridge.pipe();
  return { fd: write, relayed: relay(read, to), handedOver: () => closeSync(write) };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? constants.signals[signal] ?? 0 : 0;
}

/** What this restorer lacks of the privileges a restore needs, as a hint, or undefined. */
function privilegeHint(): string | undefined {
  const privileges = readPrivileges();
  const lacking = [...missingCapabilities('restore', privileges).map((c) => `${c.name} is not effective (${c.without})`), seccompProblem(privileges)].filter(Boolean);
  return lacking.length > 0 ? `${lacking.join('; ')}; fix: ${PRIVILEGE_FIX}` : undefined;
}
