import { execFileSync } from 'node:child_process';

/** An error of `criu check` that cannot stop node-crac's checkpoint or restore, and why. */
export interface HarmlessComplaint {
  line: string;
  why: string;
}

/** What `criu check` said: the errors that matter, and the ones that do not here. */
export interface CriuCheckResult {
  /** Empty when CRIU can checkpoint and restore node-crac's processes on this machine. */
  problems: string[];
  harmless: HarmlessComplaint[];
}

// Containers mount /proc/sys read-only and have no /dev/net/tun: `criu check`
// then says "Does not look good" although neither is used by node-crac.
const HARMLESS: { pattern: RegExp; why: string; applies(criuPath: string): boolean }[] = [
  {
    pattern: /ns_last_pid sysctl is inaccessible/,
    why: 'CRIU gives each restored task its pid with clone3(set_tid) on this kernel and never writes ns_last_pid',
    applies: (criuPath) => criuHasFeature(criuPath, 'clone3_set_tid'),
  },
  {
    pattern: /tun: Unable to create tun/,
    why: 'only an app with an open tun device needs it, and the open-resource check refuses such an app before the dump',
    applies: () => true,
  },
];

/** Runs `criu check` and sorts its errors into problems and harmless complaints. */
export function criuCheck(criuPath: string): CriuCheckResult {
  let text: string;
  try {
    execFileSync(criuPath, ['check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return { problems: [], harmless: [] };
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    text = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim() || e.message;
  }
  return sortComplaints(text, (pattern) => HARMLESS.find((h) => h.pattern === pattern)?.applies(criuPath) ?? false);
}

/** Splits the output of a failed `criu check`; `applies` says whether a harmless pattern holds on this machine. */
export function sortComplaints(text: string, applies: (pattern: RegExp) => boolean): CriuCheckResult {
  const errors = [...new Set(text.split('\n').filter((l) => /^Error\b/.test(l.trim())).map((l) => l.trim()))];
  if (errors.length === 0) return { problems: [text.split('\n').slice(0, 5).join('; ')], harmless: [] };
  const problems: string[] = [];
  const harmless: HarmlessComplaint[] = [];
  for (const line of errors) {
    const known = HARMLESS.find((h) => h.pattern.test(line) && applies(h.pattern));
    if (known) harmless.push({ line, why: known.why });
    else problems.push(line);
  }
  return { problems, harmless };
}

/** Whether `criu check --feature NAME` passes. */
export function criuHasFeature(criuPath: string, feature: string): boolean {
  try {
    execFileSync(criuPath, ['check', '--feature', feature], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}
