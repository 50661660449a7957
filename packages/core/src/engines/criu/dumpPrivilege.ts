import { readFileSync } from 'node:fs';
import { describeOwner } from '../../trust/trustedPath.js';

/**
 * CRIU dumps a process only as root (ptrace, /proc/PID/map_files, namespaces;
 * measured: capabilities alone do not do, deploy/README.md). Without root it
 * exits before writing even its log, so node-crac checks first: the
 * app is then never started or frozen, and nothing is written.
 */

/** CRIU cannot dump for this user; the message names the user and the fix. */
export class DumpPrivilegeError extends Error {
  override name = 'DumpPrivilegeError';
}

/** Throws a DumpPrivilegeError when a process with effective uid `uid` cannot dump itself with CRIU. */
export function checkDumpPrivilege(uid: number | undefined, who: string): void {
  if (uid === undefined || uid === 0) return;
  throw new DumpPrivilegeError(
    `${who} runs as ${describeOwner(uid)}, not root, and CRIU dumps a process only as root: run it as root (sudo)`,
  );
}

/** The effective uid of process `pid` (the second field of Uid: in /proc/PID/status), or undefined. */
export function effectiveUid(pid: number): number | undefined {
  try {
    const uid = /^Uid:\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return uid === undefined ? undefined : Number(uid);
  } catch {
    return undefined;
  }
}
