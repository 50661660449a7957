import { join } from 'node:path';
import { userRuntimeDir } from '../trust/privateTemp.js';

/**
 * The contract between a launcher (`crac run`, `crac checkpoint`) and the app
 * it starts: what goes through the environment, which signal triggers a
 * checkpoint, and how readiness is reported. Both sides import it from here.
 */

/** The environment a launcher gives the app. */
export const LAUNCH_ENV = {
  /** 'criu': checkpoints write a real image. */
  engine: 'CRAC_ENGINE',
  /** Default image directory of a triggered checkpoint. */
  imageDir: 'CRAC_CHECKPOINT_TO',
  /** '1': a triggered checkpoint keeps the app running. */
  leaveRunning: 'CRAC_LEAVE_RUNNING',
  /** 'signal': the preload installs the checkpoint trigger. */
  trigger: 'CRAC_TRIGGER',
  /** 'checkpoint' under `crac checkpoint -- cmd`, which waits for the checkpoint and reports its failure. */
  launcher: 'CRAC_LAUNCHER',
  /** 'servers': the preload registers every server the app listens on (`--no-auto` leaves it unset). */
  autoRegister: 'CRAC_AUTO',
  /** The descriptor of the ready pipe's write end. */
  readyFd: 'CRAC_READY_FD',
} as const;

/** The ready pipe's descriptor in the app. */
export const READY_FD = 3;

/** What notifyReady() writes to the ready pipe. */
export const READY_MESSAGE = 'ready\n';

/** Sent by the launcher to checkpoint the app. */
export const TRIGGER_SIGNAL = 'SIGUSR2';

/** What `crac checkpoint --pid` asks of a running app, left in a file before it signals. */
export interface TriggerRequest {
  imageDir?: string;
  leaveRunning?: boolean;
}

/**
 * Where `crac checkpoint --pid` leaves its request for the app with that PID
 * (as the app sees its PID): in the user's private runtime directory, since
 * the name is predictable.
 */
export function triggerRequestPath(pid: number): string {
  return join(userRuntimeDir(), `trigger-${pid}.json`);
}
