import { readFileSync } from 'node:fs';

/** The two steps that need privileges. */
export type Step = 'checkpoint' | 'restore';

/** A capability that CRIU (or the restore helper) needs here, and what fails without it. */
export interface NeededCapability {
  name: string;
  /** Bit number in linux/capability.h. */
  bit: number;
  neededFor: readonly Step[];
  /** What fails without it, as measured in a container (deploy/README.md). */
  without: string;
}

/**
 * What checkpoint and restore need beyond the capabilities the app itself
 * holds (CRIU restores the app's capability sets, so a restore also needs
 * every capability the app had when it was checkpointed). Checked by
 * capability, not by uid: root in a container holds only what was granted.
 */
export const NEEDED_CAPABILITIES: readonly NeededCapability[] = [
  {
    name: 'CAP_SYS_ADMIN',
    bit: 21,
    neededFor: ['checkpoint', 'restore'],
    without: 'checkpoint: CRIU cannot probe the kernel ("Unable create a network namespace"); restore: no PID and mount namespace for the restored copy',
  },
  {
    name: 'CAP_NET_ADMIN',
    bit: 12,
    neededFor: ['restore'],
    without: 'restore: CRIU cannot set the restored sockets\' buffer sizes ("Unable to set socket SO_SNDBUFFORCE")',
  },
  {
    name: 'CAP_SYS_TIME',
    bit: 25,
    neededFor: ['restore'],
    without: 'restore: CRIU cannot set the time namespace\'s clock ("Unable to set a monotonic clock offset")',
  },
];

/** The effective capability set and seccomp mode of a process, from its /proc/PID/status text. */
export interface Privileges {
  effective: bigint;
  /** 0: none, 1: strict, 2: a filter (a container's default profile). */
  seccomp: number;
}

export function readPrivileges(status = readFileSync('/proc/self/status', 'utf8')): Privileges {
  const effective = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  const seccomp = Number(/^Seccomp:\s*(\d+)/m.exec(status)?.[1] ?? '0');
  return { effective, seccomp };
}

export function hasCapability(privileges: Privileges, capability: NeededCapability): boolean {
  return ((privileges.effective >> BigInt(capability.bit)) & 1n) === 1n;
}

/** The capabilities `step` needs that this process lacks. */
export function missingCapabilities(step: Step, privileges = readPrivileges()): NeededCapability[] {
  return NEEDED_CAPABILITIES.filter((c) => c.neededFor.includes(step) && !hasCapability(privileges, c));
}

/** Why CRIU fails under this process's seccomp filter, or undefined when none applies. */
export function seccompProblem(privileges = readPrivileges()): string | undefined {
  if (privileges.seccomp === 0) return undefined;
  return `a seccomp filter applies (Seccomp: ${privileges.seccomp}): CRIU cannot suspend it to dump the app ("suspending seccomp failed") nor splice the restored pipes' data ("Error splicing data")`;
}

// Bit n is CAP_<name> (linux/capability.h).
const CAPABILITY_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE',
  'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE',
  'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

/**
 * The capabilities in `recorded` (a CapEff in hex, as crac.json records the
 * checkpointed app's) that this process lacks, by name. CRIU restores the
 * app's capability sets and cannot grant one the restorer lacks; it then
 * does not fail cleanly ("Unable to restore capabilities"), so this is
 * checked before it starts.
 */
export function capabilitiesLacking(recorded: string, privileges = readPrivileges()): string[] {
  const lacking = BigInt(`0x${recorded}`) & ~privileges.effective;
  const names: string[] = [];
  for (let bit = 0; (lacking >> BigInt(bit)) > 0n; bit++) {
    if (((lacking >> BigInt(bit)) & 1n) === 1n) names.push(`CAP_${CAPABILITY_NAMES[bit] ?? bit}`);
  }
  return names;
}

/** The flags that grant what is missing, for the usual runtimes. */
export const PRIVILEGE_FIX =
  'run as root with CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_SYS_TIME and no seccomp filter: podman/docker run --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_TIME --security-opt seccomp=unconfined; Kubernetes: securityContext.capabilities.add [SYS_ADMIN, NET_ADMIN, SYS_TIME] and seccompProfile.type Unconfined (deploy/README.md)';
