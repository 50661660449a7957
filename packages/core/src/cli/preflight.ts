import { PRIVILEGE_FIX, seccompProblem } from '../engines/criu/privileges.js';
import { bridgeFinding, capabilityFindings, criuLocationFinding, type Finding } from './doctor.js';

/** A checkpoint cannot work here, found before the app was started (or signalled): the doctor's findings that fail. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(
    readonly problems: Finding[],
    notDone: string,
  ) {
    super(
      [
        `checkpoints cannot work on this machine, so ${notDone}:`,
        ...problems.map((p) => `  - ${p.what}${p.fix ? `\n    fix: ${p.fix}` : ''}`),
        'Run "crac doctor" for every check.',
      ].join('\n'),
    );
  }
}

/**
 * What `crac doctor` would fail on that stops a dump, checked before the app
 * starts so that a missing CRIU is named at once instead of after readiness
 * and warm-up: the capabilities a dump needs and no seccomp filter (with
 * CRAC_CRIU_DUMP_ARGS=--unprivileged, only seccomp), node-crac's native parts,
 * and a usable CRIU. Being root is checked by checkDumpPrivilege() before.
 */
export function checkpointPreflight(notDone: string): void {
  const unprivileged = /--unprivileged/.test(process.env.CRAC_CRIU_DUMP_ARGS ?? '');
  const seccomp = seccompProblem();
  const privileges: Finding[] = unprivileged ? (seccomp ? [{ status: 'fail', what: seccomp, fix: PRIVILEGE_FIX }] : []) : capabilityFindings('checkpoint');
  const problems = [...privileges, bridgeFinding(), criuLocationFinding().finding].filter((f) => f.status === 'fail');
  if (problems.length > 0) throw new PreflightError(problems, notDone);
}
