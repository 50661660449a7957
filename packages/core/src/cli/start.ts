import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { locateCriu } from '../engines/criu/locate.js';
import { checkAppUnchanged } from '../image/compatibility.js';
import { checkImageRunsHere } from '../image/imageChecks.js';
import { readSealedImage } from '../image/imageDir.js';
import { checkImageFiles, verifyImageContent } from '../image/imageIntegrity.js';
import { LAUNCH_ENV } from '../launch/protocol.js';
import { loadBridge, restoreHelperPath } from '../native/bridge.js';
import { type Command, say, splitAtDashDash, UsageError } from './command.js';
import { collectEnv } from './envFile.js';
import { restore } from './restore.js';
import { restorePrivilegeProblem } from './restorePrivileges.js';
import type { LaunchedApp } from './launchApp.js';
import { runApp } from './run.js';
import { saveColdImage } from './saveColdImage.js';
import { holdListenerForRestore } from './heldListener.js';

const help = `Usage: crac start --image DIR [--env K=V | --env K ...] [--env-file FILE] [--verify] [--save] [--listen [HOST:]PORT [--reuse-port]] -- <command...>

Restores the image in DIR when it can run here (as crac restore does), and
otherwise starts <command> cold (as crac run does), saying why on stderr: no
image, a damaged or untrusted one, one made for another CPU or Node binary, app
files changed since the checkpoint, no usable CRIU, no privileges to restore, or
CRIU failing to restore it. Either way the app gets the --env values, this
command forwards INT TERM HUP USR1 USR2 QUIT to it and exits with its exit code
(128+n when killed by signal n). This is the command for a container or a
Deployment: it never fails to start the app because of its image.

Options:
  --image DIR      the image to restore; the cold app's default image directory
  --env K=V        set K in the app's environment (repeatable); visible in this
                   command's command line: not for secrets
  --env K          the same with the value of K in this command's own environment
  --env-file FILE  K=V lines; FILE must be yours or root's and writable by nobody else
  --verify         check the SHA-256 of every image file before restoring
  --resume-timeout S  as in crac restore (default 30)
  --listen [HOST:]PORT  listen on PORT before anything starts and hand the socket to the
                   app, restored or cold (as crac restore --listen and crac run --listen);
                   systemd socket activation (LISTEN_FDS) is used the same way
  --reuse-port     with --listen: SO_REUSEPORT, to take the port over from a running copy
                   started with --reuse-port too (see crac restore)
  --save           when started cold: once the app is ready (notifyReady(), or --ready-url),
                   checkpoint it without stopping it (leave running) and put that image in
                   DIR, so that the next crac start restores; a failure is told, the app goes on
  --ready-url URL  with --save: ready once GET URL answers (< 500)
  --ready-timeout S  with --save: seconds to wait for readiness (default 60)
  -h, --help       this text`;

export const startCommand: Command = {
  name: 'start',
  help,
  async run(argv) {
    const { options, command } = splitAtDashDash(argv);
    const { values } = parseArgs({
      args: options,
      options: {
        image: { type: 'string' },
        env: { type: 'string', multiple: true, default: [] },
        'env-file': { type: 'string', multiple: true, default: [] },
        verify: { type: 'boolean', default: false },
        'resume-timeout': { type: 'string', default: '30' },
        save: { type: 'boolean', default: false },
        'ready-url': { type: 'string' },
        'ready-timeout': { type: 'string', default: '60' },
        listen: { type: 'string' },
        'reuse-port': { type: 'boolean', default: false },
      },
    });
    if (!values.image) throw new UsageError('--image DIR is required');
    if (command.length === 0) throw new UsageError('give the command that starts the app cold after --');
    const resumeTimeoutS = Number(values['resume-timeout']);
    if (!Number.isFinite(resumeTimeoutS) || resumeTimeoutS <= 0) throw new UsageError(`--resume-timeout wants a number of seconds, got "${values['resume-timeout']}"`);
    const readyTimeoutS = Number(values['ready-timeout']);
    if (!Number.isFinite(readyTimeoutS) || readyTimeoutS <= 0) throw new UsageError(`--ready-timeout wants a number of seconds, got "${values['ready-timeout']}"`);
    if (!values.save && values['ready-url'] !== undefined) throw new UsageError('--ready-url goes with --save');
    const imageDir = resolve(values.image);
    const env = collectEnv(values['env-file'], values.env);
    const savePlan = { readyUrl: values['ready-url'], readyTimeoutMs: readyTimeoutS * 1000 };
    const cold = (reason: string): Promise<number> => {
      say(`starting cold: ${reason}`);
      const save = values.save ? { awaitsReady: !savePlan.readyUrl, whileRunning: (app: LaunchedApp) => saveColdImage(app, imageDir, savePlan) } : {};
      return runApp(command, { [LAUNCH_ENV.imageDir]: imageDir, ...env }, { ...save, listener });
    };

    // Held from before the restore (or the cold start) to the app's end, whichever way it starts.
    const listener = holdListenerForRestore(values.listen, values['reuse-port'], 'the app');
    try {
      const reason = whyNotRestorable(imageDir, values.verify);
      if (reason) return await cold(reason);
      say(`restoring ${imageDir}`);
      try {
        return await restore(
          imageDir,
          { env, args: [], restoreWallTime: Date.now() },
          { keepLog: false, keepFailed: false, verify: false, resumeTimeoutMs: resumeTimeoutS * 1000, listener, coldStart: () => cold('CRIU could not restore the image (see above)') },
        );
      } catch (error) {
        // restore() throws only before it started anything; the image was checked in full above when asked.
        if (error instanceof UsageError) throw error;
        return await cold(`the restore could not start: ${(error as Error).message}`);
      }
    } finally {
      listener?.close();
    }
  },
};

/** Why the image in `imageDir` cannot be restored here, or undefined when it can be tried. */
function whyNotRestorable(imageDir: string, verify: boolean): string | undefined {
  const privileges = restorePrivilegeProblem();
  if (privileges) return privileges;
  let meta;
  try {
    meta = readSealedImage(imageDir);
    if (verify) verifyImageContent(imageDir, meta);
    else checkImageFiles(imageDir, meta);
  } catch (error) {
    return `no usable image: ${(error as Error).message}`;
  }
  try {
    checkImageRunsHere(meta);
    checkAppUnchanged(meta);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    locateCriu();
  } catch (error) {
    return (error as Error).message;
  }
  try {
    restoreHelperPath();
    loadBridge();
  } catch (error) {
    return `node-crac's native part cannot restore: ${(error as Error).message}`;
  }
  return undefined;
}
