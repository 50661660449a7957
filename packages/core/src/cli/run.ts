import { resolve } from 'node:path';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { type AutoAdapter, autoAdapters } from './autoOption.js';
import { type Command, say, splitAtDashDash, UsageError } from './command.js';
import { type HeldListener, holdListener } from './heldListener.js';
import { forwardSignals, launchApp, type LaunchedApp, signalGroup } from './launchApp.js';
import { LAUNCH_ENV, type ControlAnswer, type TriggerRequest } from '../launch/protocol.js';

const help = `Usage: crac run [--image DIR] [--no-auto | --auto pg,ioredis] [--listen [HOST:]PORT] -- <command...>

Starts <command> ready to be checkpointed later: CRAC_ENGINE=criu, the launch
channel that "crac checkpoint --pid PID --image DIR" triggers the checkpoint
through (a private unix socket, never a signal the app may handle), stdout/stderr
as real pipes relayed to this command's, stdin /dev/null, and io_uring_setup
failing with ENOSYS (Node >= 22.17 and 24 otherwise hold an io_uring ring, which
CRIU cannot dump). Every node:http, https, http2 and net server the app listens
on is registered (drained before a checkpoint, listening again after a restore,
on the restore's PORT for the app's port) unless an adapter or the app
registered it itself; see docs/zero-code.md. Signals INT TERM HUP USR1 USR2 QUIT
are forwarded; the exit code is the app's (128+n when killed by signal n).

Options:
  --image DIR      default image directory (CRAC_CHECKPOINT_TO), for checkpoints the
                   app takes itself
  --no-auto        do not register the app's servers: only what the app registers itself
  --auto LIBS      also register the clients of these libraries (comma-separated): pg
                   (every Pool, through pg-crac), ioredis (every client, through
                   redis-crac); the adapters must be installed in the app
  --listen [HOST:]PORT  listen on PORT (HOST: a numeric address, default 0.0.0.0) before the
                   app starts, and keep that socket while this command runs: the app gets
                   PORT (and HOST) and listens on it through a duplicate, so connections
                   that arrive during a checkpoint wait instead of being refused; see
                   docs/listen.md. Under systemd socket activation (LISTEN_FDS) the socket
                   systemd passes is used the same way
  -h, --help       this text`;

export const runCommand: Command = {
  name: 'run',
  help,
  async run(argv) {
    const { options, command } = splitAtDashDash(argv);
    const { values } = parseArgs({
      args: options,
      options: { image: { type: 'string' }, 'no-auto': { type: 'boolean', default: false }, auto: { type: 'string' }, listen: { type: 'string' } },
    });
    const adapters = autoAdapters(values.auto, values['no-auto']);
    if (command.length === 0) throw new UsageError('give the command to start after --');
    const listener = holdListener(values.listen, false);
    try {
      if (listener) say(`holding ${listener.host}:${listener.port} for the app (${listener.origin})`);
      return await runApp(command, values.image ? { [LAUNCH_ENV.imageDir]: resolve(values.image) } : {}, { autoRegister: !values['no-auto'], autoAdapters: adapters, listener });
    } finally {
      listener?.close();
    }
  },
};

/** What a caller of runApp does alongside the app: `whileRunning` is started once it runs, not awaited. */
export interface RunOptions {
  /** Register every server the app listens on (default true; `--no-auto` turns it off). */
  autoRegister?: boolean;
  /** The libraries whose clients are registered too (`--auto`). */
  autoAdapters?: AutoAdapter[];
  /** The app reports readiness over the launch channel (notifyReady() returns true), as under `crac checkpoint`. */
  awaitsReady?: boolean;
  /** The socket the launcher holds for the app (its caller closes it). */
  listener?: HeldListener;
  whileRunning?: (app: LaunchedApp) => Promise<void>;
}

/** Starts `command` as `crac run` does (with `env` added) and waits for it; resolves to its exit code. */
export async function runApp(command: string[], env: Record<string, string>, options: RunOptions = {}): Promise<number> {
  let app: LaunchedApp | undefined;
  app = await launchApp(command, {
    env: { [LAUNCH_ENV.engine]: 'criu', ...(options.awaitsReady ? { [LAUNCH_ENV.awaitsReady]: '1' } : {}), ...env },
    channel: {
      onApp: (pid) => pid !== app?.pid && say(`the app is pid ${pid}; checkpoint it with: crac checkpoint --pid ${pid} --image DIR`),
      onControl: async (pid, request) => (app ? triggerFor(app, pid, request) : { kind: 'refused', reason: 'the app is not started yet' }),
    },
    autoRegister: options.autoRegister ?? true,
    autoAdapters: options.autoAdapters,
    listener: options.listener,
  });
  say(`started ${command.join(' ')} (pid ${app.pid}); checkpoint it with: crac checkpoint --pid ${app.pid} --image DIR`);
  const signals = forwardSignals(app);
  void options.whileRunning?.(app);
  const exit = await app.exited;
  signals.stop();
  signalGroup(app.pid, 'SIGKILL'); // nothing the app started outlives it
  await Promise.race([app.outputDone, new Promise((r) => setTimeout(r, 2000))]);
  app.channel.close();
  if (exit.signal === 'SIGKILL') say('the app was ended by SIGKILL (CRIU ends a checkpointed app this way)');
  return exit.code ?? 128 + (exit.signal ? constants.signals[exit.signal] : 0);
}

/** A trigger from `crac checkpoint --pid`: for the app, named by its PID or by the PID of the command that started it. */
async function triggerFor(app: LaunchedApp, pid: number, request: TriggerRequest): Promise<ControlAnswer> {
  const appPid = app.channel.appPid() ?? app.pid;
  if (pid !== appPid && pid !== app.pid) return { kind: 'refused', reason: `process ${pid} is not the app this crac run started (pid ${appPid})` };
  try {
    return { kind: 'triggered', pid: await app.channel.trigger(request, app.pid) };
  } catch (error) {
    return { kind: 'refused', reason: (error as Error).message };
  }
}
