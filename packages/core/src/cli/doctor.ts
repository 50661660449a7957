import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { criuCheck, criuHasFeature } from '../engines/criu/criuCheck.js';
import { describeKdatCache, planKdatCache } from '../engines/criu/kdatCache.js';
import { CriuNotFoundError, type CriuLocation, describeSkipped, locateCriu, type SkippedCriu } from '../engines/criu/locate.js';
import { hasCapability, NEEDED_CAPABILITIES, PRIVILEGE_FIX, readPrivileges, seccompProblem, type Step } from '../engines/criu/privileges.js';
import { ioUringBlockerPath, loadBridge, restoreHelperPath } from '../native/bridge.js';
import { reusePortNote } from './heldListener.js';
import type { Command } from './command.js';
import { doctorSummary, printJson } from './jsonSummary.js';

const help = `Usage: crac doctor [--json]

Checks whether checkpoints can work on this machine: which CRIU is used (CRAC_CRIU_PATH,
PATH and the sbin directories, or the one @node-crac/criu-linux-x64 bundles; only a binary
that root or you own, in directories nobody else can write) and why any other was
skipped, its version (>= 4) and "criu check", privileges (uid 0, each needed capability
in CapEff, no seccomp filter), time namespaces, the cache of CRIU's kernel probes across
restores, io_uring, the session, the Node version and node-crac's native bridge.
Prints a verdict and a fix for each problem; exits non-zero when checkpoints cannot work.

Options:
  --json      print the findings and the verdict as one JSON object instead
  -h, --help  this text`;

export type Status = 'ok' | 'warn' | 'fail';
export interface Finding {
  status: Status;
  what: string;
  fix?: string;
}

export const doctorCommand: Command = {
  name: 'doctor',
  help,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } } });
    const findings = diagnose();
    if (values.json) {
      printJson(doctorSummary(findings));
      return findings.some((f) => f.status === 'fail') ? 1 : 0;
    }
    const mark: Record<Status, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
    for (const f of findings) {
      process.stdout.write(`[${mark[f.status]}] ${f.what}\n`);
      if (f.fix) process.stdout.write(`       fix: ${f.fix.replace(/\n/g, '\n            ')}\n`);
    }
    const failures = findings.filter((f) => f.status === 'fail').length;
    process.stdout.write(
      failures === 0
        ? '\nVerdict: checkpoints can work on this machine.\n'
        : `\nVerdict: checkpoints cannot work on this machine (${failures} problem${failures > 1 ? 's' : ''} above).\n`,
    );
    return failures === 0 ? 0 : 1;
  },
};

function diagnose(): Finding[] {
  if (process.platform !== 'linux') {
    return [{ status: 'fail', what: `platform ${process.platform}: CRIU runs on Linux only`, fix: 'use CRAC_ENGINE=simulate here, checkpoint on Linux' }];
  }
  const privileges = privilegeFindings();
  const findings: Finding[] = [nodeFinding(), ...privileges, bridgeFinding()];
  const { criu, skipped, finding } = criuLocationFinding();
  findings.push(finding);
  // Every candidate passed over and why: not trusted (owner, mode), too old, or `criu check` failed.
  for (const s of skipped) findings.push({ status: 'warn', what: `CRIU skipped: ${s.path} (${s.source}): ${s.problem}`, ...(s.fix ? { fix: s.fix } : {}) });
  if (criu) {
    const { problems, harmless } = criuCheck(criu.path);
    findings.push(
      problems.length > 0
        ? {
            status: 'fail',
            what: `"criu check" fails: ${problems.join('; ')}`,
            fix: privileges.some((f) => f.status === 'fail')
              ? 'grant the privileges above first: CRIU checks the kernel with them'
              : 'run "criu check -v4" to see which kernel feature is missing; CRIU >= 4 is needed on recent kernels',
          }
        : { status: 'ok', what: harmless.length > 0 ? '"criu check": only complaints that do not matter to node-crac (below)' : '"criu check": looks good' },
    );
    for (const h of harmless) findings.push({ status: 'ok', what: `"criu check" says "${h.line}": harmless, ${h.why}` });
    findings.push(timensFinding(criu.path), kdatCacheFinding(criu.path));
  }
  findings.push(ioUringFinding(), sessionFinding(), migrateReqFinding());
  return findings;
}

/** Which CRIU is used, as one finding, with the candidates passed over. */
export function criuLocationFinding(): { criu: CriuLocation | undefined; skipped: SkippedCriu[]; finding: Finding } {
  try {
    const criu = locateCriu();
    return { criu, skipped: criu.skipped, finding: { status: 'ok', what: `CRIU ${criu.version} at ${criu.path} (from ${criu.source})` } };
  } catch (error) {
    const explicit = process.env.CRAC_CRIU_PATH;
    if (error instanceof CriuNotFoundError && explicit) {
      // An explicit choice that is refused: say why, and do not look elsewhere.
      const refused = error.skipped[0];
      return {
        criu: undefined,
        skipped: [],
        finding: {
          status: 'fail',
          what: `CRAC_CRIU_PATH=${explicit} is refused (an explicit choice: nothing else is tried): ${refused?.problem ?? error.reasons.join('; ')}`,
          fix: refused?.fix ?? 'set CRAC_CRIU_PATH to a CRIU >= 4 binary, or unset it',
        },
      };
    }
    const skipped = error instanceof CriuNotFoundError ? error.skipped : [];
    const reasons = error instanceof CriuNotFoundError
      ? error.reasons.filter((r) => !skipped.some((s) => r === describeSkipped(s))).join('; ')
      : (error as Error).message;
    return {
      criu: undefined,
      skipped,
      finding: {
        status: 'fail',
        what: `no usable CRIU >= 4${reasons ? ` (${reasons})` : ''}`,
        fix: 'reinstall node-crac with its optional dependencies (it bundles CRIU for x64 Linux), install CRIU >= 4 (Debian 13, Ubuntu 24.04+), or set CRAC_CRIU_PATH',
      },
    };
  }
}

function nodeFinding(): Finding {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 20) return { status: 'fail', what: `Node ${process.version} is too old`, fix: 'use Node 20, 22 or 24' };
  const ring = major > 22 || (major === 22 && minor >= 17);
  return {
    status: 'ok',
    what: `Node ${process.version}` + (ring ? ' (opens an io_uring ring: start apps with "crac run"/"crac checkpoint", which block it)' : ''),
  };
}

/** Each privilege on its own line: root in a container holds only the capabilities it was granted. */
function privilegeFindings(): Finding[] {
  const uid = process.geteuid?.();
  return [
    uid === 0
      ? { status: 'ok', what: 'uid 0 (CRIU refuses to run as another user)' }
      : { status: 'fail', what: `uid ${uid ?? '?'}: CRIU refuses to checkpoint or restore as a user other than root`, fix: PRIVILEGE_FIX },
    ...capabilityFindings(),
  ];
}

/** Each needed capability (those `step` needs, or all), then seccomp. */
export function capabilityFindings(step?: Step): Finding[] {
  const privileges = readPrivileges();
  const findings: Finding[] = [];
  for (const capability of NEEDED_CAPABILITIES.filter((c) => step === undefined || c.neededFor.includes(step))) {
    findings.push(
      hasCapability(privileges, capability)
        ? { status: 'ok', what: `${capability.name}: effective (${capability.neededFor.join(' and ')})` }
        : { status: 'fail', what: `${capability.name} is not effective; without it, ${capability.without}`, fix: PRIVILEGE_FIX },
    );
  }
  const seccomp = seccompProblem(privileges);
  findings.push(seccomp ? { status: 'fail', what: seccomp, fix: PRIVILEGE_FIX } : { status: 'ok', what: 'seccomp: no filter' });
  return findings;
}

export function bridgeFinding(): Finding {
  try {
    loadBridge();
    restoreHelperPath();
    ioUringBlockerPath();
    return { status: 'ok', what: 'native bridge, restore helper and io_uring blocker are built' };
  } catch (error) {
    return { status: 'fail', what: (error as Error).message, fix: 'reinstall node-crac (it ships binaries for linux-x64 glibc), or build them from source: npm run build:native in node-crac\'s folder' };
  }
}

function timensFinding(criuPath: string): Finding {
  if (criuHasFeature(criuPath, 'timens')) {
    return { status: 'ok', what: 'time namespaces: supported (timers and performance.now() continue across a restore)' };
  }
  return {
    status: 'warn',
    what: 'time namespaces: not supported; the monotonic clock jumps at restore (timers may fire early or late)',
    fix: 'a kernel >= 5.6 with CONFIG_TIME_NS',
  };
}

function kdatCacheFinding(criuPath: string): Finding {
  let helper: string;
  try {
    helper = restoreHelperPath();
  } catch {
    return { status: 'warn', what: "CRIU's kernel probes are not cached across restores: the restore helper is not built" };
  }
  const plan = planKdatCache(criuPath, helper, []);
  if (plan.use || plan.reason.startsWith('not needed')) return { status: 'ok', what: describeKdatCache(plan) };
  return {
    status: 'warn',
    what: `${describeKdatCache(plan)}; every restore spends ~40 ms probing the kernel`,
    fix: plan.reason.startsWith('turned off') ? 'unset CRAC_CRIU_KDAT_CACHE' : 'see docs/checkpoint-mechanism.md, "CRIU\'s kernel probes"',
  };
}

// CRIU refuses a process whose session leader it cannot see (containers, sandboxed CI).
function sessionFinding(): Finding {
  const sids = /^NSsid:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
  if (sids.at(-1) !== '0') return { status: 'ok', what: 'session: its leader is inside this PID namespace' };
  return {
    status: 'warn',
    what: 'session: its leader is outside this PID namespace; CRIU cannot dump an app that stays in it',
    fix: 'start apps with "crac run"/"crac checkpoint" (they give the app its own session) or with setsid',
  };
}

/** Not a checkpoint matter: what replacing a copy with `crac restore --reuse-port` does to the old copy's queue. */
function migrateReqFinding(): Finding {
  const note = reusePortNote();
  return { status: 'ok', what: note ? `--reuse-port replacement: ${note}` : '--reuse-port replacement: net.ipv4.tcp_migrate_req is 1, queued connections move to the new copy' };
}

function ioUringFinding(): Finding {
  let disabled: string;
  try {
    disabled = readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim();
  } catch {
    return { status: 'ok', what: 'io_uring: no io_uring_disabled switch in this kernel (crac run blocks io_uring per process)' };
  }
  if (disabled === '2') return { status: 'ok', what: 'io_uring: disabled system-wide (kernel.io_uring_disabled=2)' };
  return {
    status: 'ok',
    what: `io_uring: enabled (kernel.io_uring_disabled=${disabled}); crac run/checkpoint block it per process (LD_PRELOAD)`,
  };
}
