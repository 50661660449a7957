'use strict';
// Where a restore's time goes, from timestamps taken where each phase ends:
// the benchmark's spawn of `crac restore` or `crac-restore` and its first 200,
// the launcher's own phases and CRIU's (CRAC_RESTORE_TIMINGS in its environment),
// and the restored copy's steps and afterRestore hooks (the same variable, given
// with --env). All are wall-clock times of one machine.
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { PACKAGE_DIR } = require('./crac');
// Not in node-crac's exports: the function that `crac restore` reads CRIU's phases with.
const { criuPhases } = require(join(PACKAGE_DIR, 'dist', 'cli', 'restoreTimings.js'));

// Phase names as the restored copy reports them, and as the report shows them.
const RENAMED = { engine: 'handover to the app' };

/**
 * The phases chart and summary group, in order; each phase belongs to the first
 * group that takes it. `formerly`: the name in results.json written before a rename.
 */
const GROUPS = [
  { name: 'launcher start', formerly: '`crac` command start', takes: (p) => ['node exec', 'node bootstrap and crac modules', 'launcher exec'].includes(p) },
  { name: 'image checks', takes: (p) => p === 'image checks' },
  { name: 'locate CRIU, start the helper', takes: (p) => p === 'locate criu, start the helper' },
  { name: 'helper, namespaces', takes: (p) => p === 'helper, namespaces, criu exec' },
  { name: 'CRIU kernel probes', takes: (p) => p === 'criu kernel probes' },
  { name: 'CRIU restore', takes: (p) => p.startsWith('criu ') },
  { name: 'handover, core steps', takes: (p) => !p.startsWith('afterRestore: ') && p !== 'first request' },
  { name: 'afterRestore hooks', takes: (p) => p.startsWith('afterRestore: ') },
  { name: 'first request', takes: (p) => p === 'first request' },
];

/** The GROUPS entry of a group named so in a summary, under its name or the one it had before. */
function groupNamed(name) {
  return GROUPS.find((g) => g.name === name || g.formerly === name);
}

/** A timings file's content, removed once read; undefined when it was not written. */
function takeTimings(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * The ends of the launcher's phases in a timings record: from its process's
 * start, then its own, then CRIU's. crac-restore (launcher "native") starts no
 * Node and leaves CRIU's phases to be read from the log it hands over.
 */
function launcherEnds(record) {
  const criu = record.criu.length === 0 && record.criuLog ? criuPhases(record.criuLog) : record.criu;
  return [{ phase: record.launcher === 'native' ? 'launcher exec' : 'node exec', at: record.processStart }, ...record.command, ...criu];
}

/**
 * Whether a crac-restore timings record is of a restore from its plan. When
 * CRIU fails there, crac-restore hands over to `crac restore`, which cannot
 * write its record over this one (the file must be new): the record stays, with
 * the failed CRIU's log.
 */
function restoredFromPlan(record) {
  return record?.launcher === 'native' && /^\(\s*[\d.]+\) Restore finished successfully/m.test(record.criuLog);
}

/**
 * The restore's phases in order, each { phase, ms }: from `spawnedAt` (wall ms)
 * to the end of each phase in turn, then to `okAt`, the first 200. A part that
 * left no timestamps merges into the phase after it.
 */
function restorePhases({ spawnedAt, okAt, command, app }) {
  const ends = [];
  if (command) ends.push(...launcherEnds(command));
  if (app) ends.push(...app.resumed.map((end) => ({ phase: RENAMED[end.phase] ?? end.phase, at: end.at })));
  ends.push({ phase: 'first request', at: okAt });
  const phases = [];
  let from = spawnedAt;
  for (const { phase, at } of ends) {
    phases.push({ phase, ms: at - from });
    from = at;
  }
  return phases;
}

/** The phases summed per group, in the groups' order; groups without a phase are left out. */
function groupPhases(phases) {
  const sums = new Map();
  for (const { phase, ms } of phases) {
    const group = GROUPS.find((g) => g.takes(phase)).name;
    sums.set(group, (sums.get(group) ?? 0) + ms);
  }
  return GROUPS.filter((g) => sums.has(g.name)).map((g) => ({ group: g.name, ms: sums.get(g.name) }));
}

module.exports = { GROUPS, groupNamed, groupPhases, restoredFromPlan, restorePhases, takeTimings };
