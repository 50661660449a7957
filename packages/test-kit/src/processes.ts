import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CRAC_BIN, CRAC_RESTORE_BIN } from './crac.js';
import { listeningInode } from './procNetTcp.js';
import { removeDirs, savedRestoreLogDirs } from './restoreLogs.js';
import type { Teardown } from './teardown.js';
import { tempDir } from './tempDir.js';

const WAIT_LIMIT_MS = 60_000;

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** A process started by a test, with its output kept in a file for failure messages. */
export interface Started {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<Exit>;
  /** Resolves with the first match of `pattern` in the output from `from` on. */
  waitFor(pattern: RegExp, from?: number): Promise<RegExpMatchArray>;
}

export interface StartOptions {
  inherited?: number[];
  ownSession?: boolean;
}

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Starts `node ...args` with the `node` binary given, killed by its PID
 * (SIGKILL) at the end of the test if still running. Output goes to a file
 * opened for append: Node's stdio 'pipe' would be a unix socketpair, which
 * CRIU cannot re-attach to a restored app (docs/checkpoint-mechanism.md §6), and a restored app
 * writes to its restorer's stdout. `inherited` descriptors become fds 3, 4, ... of the process.
 * `ownSession` makes it lead a session, as crac run does: CRIU refuses a process whose session
 * leader is outside its PID namespace (as a CI runner's is).
 */
export function startNode(t: Teardown, node: string, args: string[], env: Record<string, string> = {}, { inherited = [], ownSession = false }: StartOptions = {}): Started {
  const log = join(tempDir(t, 'crac-out-'), 'output.log');
  const fd = openSync(log, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(node, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd, ...inherited], detached: ownSession });
  } finally {
    closeSync(fd);
  }
  const output = (): string => {
    try {
      return readFileSync(log, 'utf8');
    } catch {
      return '';
    }
  };
  const what = node === CRAC_RESTORE_BIN ? 'crac-restore' : args[0] === CRAC_BIN ? `crac ${args[1]}` : `node ${args[0]}`;
  const savedLogs: string[] = [];
  const exited = new Promise<Exit>((done) =>
    child.once('exit', (code, signal) => {
      savedLogs.push(...savedRestoreLogDirs(output()));
      done({ code, signal });
    }),
  );
  t.teardown(async () => {
    if (running(child)) {
      child.kill('SIGKILL');
      await exited;
    }
    removeDirs(savedLogs);
  });
  const waitFor = async (pattern: RegExp, from = 0): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const match = output().slice(from).match(pattern);
      if (match) return match;
      if (!running(child)) {
        const again = output().slice(from).match(pattern);
        if (again) return again;
        throw new Error(`${what} ended (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${output()}`);
      }
      if (Date.now() > deadline) throw new Error(`no ${pattern} from ${what} within ${WAIT_LIMIT_MS} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, output, exited, waitFor };
}

/** Starts `node bin/crac.js ...args` (see startNode: output in a file, killed by PID at the end of the test). */
export function startCrac(t: Teardown, args: string[], env: Record<string, string> = {}): Started {
  return startNode(t, process.execPath, [CRAC_BIN, ...args], env);
}

/** Starts `crac-restore ...args` (see startNode). */
export function startFastRestore(t: Teardown, args: string[], env: Record<string, string> = {}): Started {
  return startNode(t, CRAC_RESTORE_BIN, args, env);
}

/** Runs a `crac` command to its end; with `limitMs`, killed (by its PID) if it outlives it. */
export async function runCrac(t: Teardown, args: string[], env: Record<string, string> = {}, limitMs?: number): Promise<{ code: number | null; output: string }> {
  const run = startCrac(t, args, env);
  const timer = limitMs === undefined ? undefined : setTimeout(() => run.child.kill('SIGKILL'), limitMs);
  const { code } = await run.exited;
  clearTimeout(timer);
  return { code, output: run.output() };
}

/** Ends a process the test started: SIGTERM to its PID, SIGKILL if it is still there after `graceMs`. */
export async function stopProcess(run: Started, graceMs = 5_000): Promise<void> {
  if (!running(run.child)) return;
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), graceMs);
  await run.exited;
  clearTimeout(timer);
}

/**
 * The PID of the process listening on 127.0.0.1:port (IPv4), found through
 * /proc, so that a test can end a server that outlived its launcher by PID.
 */
export function pidListeningOn(port: number): number | undefined {
  const inode = listeningInode(port);
  if (!inode) return undefined;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`)) return Number(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** PIDs of live processes (zombies left out) whose command line contains `token`. */
export function processesWith(token: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(token) && !/^State:\s*Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'))) {
        pids.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** A token for an app's command line; processes still carrying it at the end of the test are left over and killed. */
export function newToken(t: Teardown): string {
  const token = `crac-e2e-${randomUUID()}`;
  t.teardown(() => {
    for (const pid of processesWith(token)) process.kill(pid, 'SIGKILL');
  });
  return token;
}

/** Waits until no live process carries `token` (a killed namespace takes a moment); returns those left. */
export async function leftOver(token: string, waitMs = 5_000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  let pids = processesWith(token);
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    pids = processesWith(token);
  }
  return pids;
}
