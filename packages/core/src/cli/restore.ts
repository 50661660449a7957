import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { restoreArgs } from '../engines/criu/criuArgs.js';
import { criuErrorHint, criuErrorLines, readCriuLog } from '../engines/criu/criuLog.js';
import { checkImageRunsHere } from '../image/imageChecks.js';
import { readSealedImage } from '../image/imageDir.js';
import { checkImageFiles, verifyImageContent } from '../image/imageIntegrity.js';
import { createPrivateTempDir } from '../trust/privateTemp.js';
import { readEnvFile } from './envFile.js';
import { locateCriu } from '../engines/criu/locate.js';
import type { RestorePayload } from '../engines/engine.js';
import { loadBridge, type NativeBridge, restoreHelperPath } from '../native/bridge.js';
import { type Command, splitAtDashDash, UsageError } from './command.js';
import { relay } from './launchApp.js';

const help = `Usage: crac restore DIR [--env K=V | --env K ...] [--env-file FILE] [--verify] [-- args...]

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
  -h, --help       this text

Arguments after -- are handed to the app (restoreArguments() from node-crac).
Environment: CRAC_CRIU_PATH picks the CRIU binary; CRAC_CRIU_RESTORE_ARGS adds CRIU options.`;

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'];
// A pipe holds this much without a reader; the payload is written before CRIU starts.
const MAX_PAYLOAD_BYTES = 60 * 1024;

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
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one image directory');
    const imageDir = resolve(positionals[0]!);
    const env: Record<string, string> = {};
    for (const file of values['env-file']) Object.assign(env, readEnvFile(resolve(file)));
    for (const pair of values.env) {
      const eq = pair.indexOf('=');
      if (eq === 0) throw new UsageError(`--env wants K=V or K, got "${pair}"`);
      if (eq > 0) {
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
        continue;
      }
      const value = process.env[pair];
      if (value === undefined) throw new UsageError(`--env ${pair}: ${pair} is not set in this command's environment (set it, or pass --env ${pair}=VALUE)`);
      env[pair] = value;
    }
    return restore(imageDir, { env, args, restoreWallTime: Date.now() }, { keepLog: values['keep-log'], verify: values.verify });
  },
};

async function restore(imageDir: string, payload: RestorePayload, options: { keepLog: boolean; verify: boolean }): Promise<number> {
  const { keepLog } = options;
  const meta = readSealedImage(imageDir);
  if (options.verify) verifyImageContent(imageDir, meta);
  else checkImageFiles(imageDir, meta);
  checkImageRunsHere(meta);
  const criu = locateCriu();
  const helper = restoreHelperPath();
  const bridge = loadBridge();

  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw new UsageError(`the --env values and arguments are too large (over ${MAX_PAYLOAD_BYTES} bytes)`);
  const [payloadRead, payloadWrite] = bridge.pipe();
  writeSync(payloadWrite, text);
  closeSync(payloadWrite);

  // CRIU writes its log into a file that is already unlinked (through fd 4), so that
  // nothing is left behind however this ends; it is saved only when asked or on failure,
  // in a fresh private directory: the log holds process state.
  const logDir = createPrivateTempDir('node-crac-restore');
  const logPath = join(logDir.path, 'restore.log');
  const logFd = openSync(logPath, 'wx+', 0o600);
  unlinkSync(logPath);
  const criuArgv = restoreArgs(criu.path, imageDir, meta, { payload: 3, stdout: 1, stderr: 2 }, '/proc/self/fd/4', [helper, 'wait']);
  const stdout = stdioForApp(1, process.stdout, bridge);
  const stderr = stdioForApp(2, process.stderr, bridge);
  let child;
  try {
    child = spawn(helper, ['launch', String(process.pid), ...criuArgv], { stdio: ['inherit', stdout.fd, stderr.fd, payloadRead, logFd] });
  } catch (error) {
    logDir.remove();
    throw error;
  } finally {
    closeSync(payloadRead);
    stdout.handedOver();
    stderr.handedOver();
  }
  // A second INT or TERM ends the restore at once: the helper's death takes the namespace with it.
  let stopRequests = 0;
  const forward = (signal: NodeJS.Signals): void => {
    if ((signal === 'SIGINT' || signal === 'SIGTERM') && ++stopRequests > 1) child.kill('SIGKILL');
    else child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', fail);
  });
  for (const signal of FORWARDED) process.off(signal, forward);
  await Promise.race([Promise.all([stdout.relayed, stderr.relayed]), new Promise((r) => setTimeout(r, 2000))]);

  const code = exit.code ?? 128 + signalNumber(exit.signal);
  const log = readCriuLog(logFd);
  closeSync(logFd);
  const restored = log.includes('Restore finished successfully'); // a non-zero exit is then the app's
  if (keepLog || (code !== 0 && !restored)) writeFileSync(logPath, log, { mode: 0o600, flag: 'wx' });
  else logDir.remove();
  if (code !== 0 && !restored) {
    const lines = criuErrorLines(log);
    const hint = criuErrorHint(lines);
    process.stderr.write(
      [`crac restore: CRIU could not restore ${imageDir} (exit code ${code}); log: ${logPath}`, ...lines.map((l) => `  ${l}`), ...(hint ? [`Hint: ${hint}`] : [])].join('\n') + '\n',
    );
    return code;
  }
  if (keepLog) process.stderr.write(`crac restore: CRIU log: ${logPath}\n`);
  return code;
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
