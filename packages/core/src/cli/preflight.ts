import { bridgeFinding, capabilityFindings, criuLocationFinding } from './doctor.js';
import { PreflightError } from './preflightError.js';

/**
 * What `crac doctor` would fail on that stops a dump, checked before the app
 * starts so that a missing CRIU is named at once instead of after readiness
 * and warm-up: the capabilities a dump needs and no seccomp filter,
 * node-crac's native parts, and a usable CRIU. Being root is checked by
 * checkDumpPrivilege() before.
 */
export function checkpointPreflight(notDone: string): void {
  const problems = [...capabilityFindings('checkpoint'), bridgeFinding(), criuLocationFinding().finding].filter((f) => f.status === 'fail');
  if (problems.length > 0) throw new PreflightError(problems, notDone);
}
