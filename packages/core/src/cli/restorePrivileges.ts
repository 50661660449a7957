import { readFileSync } from 'node:fs';

// Capability bits (linux/capability.h).
const NEEDED: [name: string, bit: bigint][] = [
  ['CAP_SYS_ADMIN', 21n],
  ['CAP_SYS_PTRACE', 19n],
];

/**
 * Why this process cannot restore an image, or undefined when it can: a
 * restore runs CRIU in a new PID and mount namespace (CAP_SYS_ADMIN) and
 * lets it take over processes (CAP_SYS_PTRACE); CAP_SYS_ADMIN also covers
 * CRIU's own need for CAP_CHECKPOINT_RESTORE. Judged by the effective
 * capabilities, not the uid: root in a container may lack them.
 */
export function restorePrivilegeProblem(status = readFileSync('/proc/self/status', 'utf8')): string | undefined {
  const effective = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  const has = (bit: bigint): boolean => ((effective >> bit) & 1n) === 1n;
  const missing = NEEDED.filter(([, bit]) => !has(bit)).map(([name]) => name);
  if (missing.length === 0) return undefined;
  const uid = process.geteuid?.() ?? 0;
  return (
    `restoring needs ${missing.join(' and ')}, ` +
    `which this process (uid ${uid}) does not have: run it as root, or grant the container those capabilities`
  );
}
