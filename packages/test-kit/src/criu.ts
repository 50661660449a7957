import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';
import { CRAC_BIN } from './crac.js';

/** Why CRIU cannot be used here (from `crac doctor`), or undefined when it can. */
export function criuProblem(): string | undefined {
  const doctor = spawnSync(process.execPath, [CRAC_BIN, 'doctor'], { encoding: 'utf8' });
  return doctor.status === 0 ? undefined : `crac doctor exited ${doctor.status}:\n${doctor.stdout}${doctor.stderr}`;
}

/**
 * True when real CRIU can run; otherwise fails the test with crac doctor's
 * findings. End-to-end tests never pass without real CRIU, in CI or elsewhere:
 * `bash scripts/setup.sh` provides it on a supported machine. A file with
 * several such tests passes one criuProblem() to all.
 */
export function criuUsable(t: Test, problem = criuProblem()): boolean {
  if (problem === undefined) return true;
  t.fail(`CRIU is not usable here (run "bash scripts/setup.sh", then "crac doctor"):\n${problem}`);
  return false;
}
