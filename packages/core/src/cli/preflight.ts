import { PRIVILEGE_FIX, seccompProblem } from '../engines/criu/privileges.js';
import { bridgeFinding, capabilityFindings, criuLocationFinding, type Finding } from './doctor.js';
import { PreflightError } from './preflightError.js';

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
