/**
 * The contract between a launcher (`crac run`, `crac checkpoint`) and the app
 * it starts: what goes through the environment and what goes through the
 * launch channel. Both sides import it from here.
 *
 * The launch channel is a unix socket the launcher listens on, in a private
 * directory of its own. Every Node process it starts (the app, and wrappers
 * such as npm or npx, since the preload comes through NODE_OPTIONS) connects
 * to it. The process that listens on a TCP port or calls notifyReady() first
 * claims the app role: it is the one made ready, triggered and dumped. The
 * trigger goes only over this channel (or a process's own trigger socket,
 * triggerSocket.ts), never as a signal an app may handle.
 */

/** The environment a launcher gives the app. */
export const LAUNCH_ENV = {
  /** 'criu': checkpoints write a real image. */
  engine: 'CRAC_ENGINE',
  /** Default image directory of a checkpoint the app takes itself. */
  imageDir: 'CRAC_CHECKPOINT_TO',
  /** '1': a checkpoint the app takes itself keeps it running. */
  leaveRunning: 'CRAC_LEAVE_RUNNING',
  /** The path of the launch channel's socket. */
  channel: 'CRAC_LAUNCH_SOCKET',
  /** '1': the launcher waits for notifyReady() and takes the checkpoint itself (`crac checkpoint`, not `crac run`). */
  awaitsReady: 'CRAC_AWAITS_READY',
  /**
   * What the preload registers, comma-separated: 'servers' (every server the
   * app listens on; `--no-auto` leaves the variable unset), and with `--auto`
   * 'pg' (pg pools, through pg-crac) and 'ioredis' (clients, through redis-crac).
   */
  autoRegister: 'CRAC_AUTO',
  /**
   * `pid:starttime:fd:host:port`: process `pid` (started at `starttime`, field 22
   * of /proc/PID/stat, so that a reused PID is told apart) holds descriptor `fd`,
   * a TCP socket listening on `host`:`port`. The app listens on duplicates of it
   * (http/handedListener.ts), so the port never closes while the launcher lives.
   * An empty starttime only with pid 1: PID 1 of the app's own PID namespace (a
   * restore's), which no other process can be while the app lives.
   */
  listen: 'CRAC_LISTEN',
} as const;

/** A line from an app process to its launcher. */
export type AppMessage =
  /** Sent on every connect (again after a checkpoint that left the process running). */
  | { kind: 'hello'; pid: number; app: boolean }
  /** The process listens on a TCP port: it claims the app role unless another did. */
  | { kind: 'listening'; pid: number }
  /** notifyReady(): the app is warm enough to be checkpointed (claims the role too). */
  | { kind: 'ready'; pid: number };

/** What a checkpoint of the app asks for. */
export interface TriggerRequest {
  imageDir: string;
  leaveRunning: boolean;
}

/**
 * A line from the launcher to a process: checkpoint (to the app); or
 * dismissed, to a process the app started, which is in the app's process
 * group already and must not hold a connection into the app's image.
 */
export type LauncherMessage = ({ kind: 'checkpoint' } & TriggerRequest) | { kind: 'dismissed' };

/** A line from `crac checkpoint --pid` to the launcher of that process, and the answer. */
export type ControlMessage = { kind: 'trigger'; pid: number } & TriggerRequest;
export type ControlAnswer = { kind: 'triggered'; pid: number } | { kind: 'refused'; reason: string };

/** Splits a stream of JSON lines; calls `onMessage` for each whole line that parses to an object. */
export function jsonLines(onMessage: (message: Record<string, unknown>) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      try {
        const message: unknown = JSON.parse(line);
        if (message && typeof message === 'object') onMessage(message as Record<string, unknown>);
      } catch {
        // not a line of ours: ignored
      }
    }
  };
}

/** The name, in the user's runtime directory, of the trigger socket of the incarnation `instance` (triggerSocket.ts). */
export function triggerSocketName(instance: string): string {
  return `trigger-${instance}.sock`;
}

/** Whether `name` is one of triggerSocketName()'s. */
export function isTriggerSocketName(name: string): boolean {
  return /^trigger-[0-9a-f-]{36}\.sock$/.test(name);
}

/** The prefix of a launcher's private directory in the user's runtime directory (the launch channel's socket is in it). */
export const LAUNCH_DIR_PREFIX = 'launch-';

/** The launch channel's socket in that directory. */
export const LAUNCH_SOCKET_NAME = 'channel.sock';
