import { resolve } from 'node:path';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { type Command, say, splitAtDashDash, UsageError } from './command.js';
import { forwardSignals, launchApp, type LaunchedApp } from './launchApp.js';
import { LAUNCH_ENV } from '../launch/protocol.js';

const help = `Usage: crac run [--image DIR] [--no-auto] -- <command...>

Starts <command> ready to be checkpointed later: CRAC_ENGINE=criu, the checkpoint
trigger enabled (SIGUSR2; "crac checkpoint --pid PID --image DIR" sends it),
stdout/stderr as real pipes relayed to this command's, stdin /dev/null, and
io_uring_setup failing with ENOSYS (Node >= 22.17 and 24 otherwise hold an
io_uring ring, which CRIU cannot dump). Every node:http, https, http2 and net
server the app listens on is registered (drained before a checkpoint, listening
again after a restore, on the restore's PORT for the app's port) unless an
adapter or the app registered it itself; see docs/zero-code.md. Signals INT TERM HUP USR1 USR2 QUIT are
forwarded; the exit code is the app's (128+n when killed by signal n).

Options:
  --image DIR      default image directory (CRAC_CHECKPOINT_TO), for checkpoints the
                   app triggers itself or that "crac checkpoint --pid" sends without --image
  --no-auto        do not register the app's servers: only what the app registers itself
  -h, --help       this text`;

export const runCommand: Command = {
  name: 'run',
  help,
  async run(argv) {
    const { options, command } = splitAtDashDash(argv);
    const { values } = parseArgs({ args: options, options: { image: { type: 'string' }, 'no-auto': { type: 'boolean', default: false } } });
    if (command.length === 0) throw new UsageError('give the command to start after --');
    return runApp(command, values.image ? { [LAUNCH_ENV.imageDir]: resolve(values.image) } : {}, { autoRegister: !values['no-auto'] });
  },
};

/** What a caller of runApp does alongside the app: `whileRunning` is started once it runs, not awaited. */
export interface RunOptions {
  readyPipe?: boolean;
  /** Register every server the app listens on (default true; `--no-auto` turns it off). */
  autoRegister?: boolean;
  whileRunning?: (app: LaunchedApp) => Promise<void>;
}

/** Starts `command` as `crac run` does (with `env` added) and waits for it; resolves to its exit code. */
export async function runApp(command: string[], env: Record<string, string>, options: RunOptions = {}): Promise<number> {
  const app = await launchApp(command, { env: { [LAUNCH_ENV.engine]: 'criu', ...env }, readyPipe: options.readyPipe ?? false, autoRegister: options.autoRegister ?? true });
  say(`started ${command.join(' ')} (pid ${app.pid}); checkpoint it with: crac checkpoint --pid ${app.pid} --image DIR`);
  const stopForwarding = forwardSignals(app);
  void options.whileRunning?.(app);
  const exit = await app.exited;
  stopForwarding();
  await Promise.race([app.outputDone, new Promise((r) => setTimeout(r, 2000))]);
  if (exit.signal === 'SIGKILL') say('the app was ended by SIGKILL (CRIU ends a checkpointed app this way)');
  return exit.code ?? 128 + (exit.signal ? constants.signals[exit.signal] : 0);
}
