'use strict';
// Where a restore's time goes, from timestamps taken where each phase ends:
// the benchmark's spawn of `crac restore` and its first 200, the command's own
// phases and CRIU's (CRAC_RESTORE_TIMINGS in its environment), and the restored
// copy's steps and afterRestore hooks (the same variable, given with --env).
// All are wall-clock times of one machine.
const { readFileSync, rmSync } = require('node:fs');

// Phase names as the restored copy reports them, and as the report shows them.
const RENAMED = { engine: 'handover to the app' };

/** The phases chart and summary group, in order; each phase belongs to the first group that takes it. */
const GROUPS = [
  { name: '`crac` command start', takes: (p) => p === 'node exec' || p === 'node bootstrap and crac modules' },
  { name: 'image checks', takes: (p) => p === 'image checks' },
  { name: 'locate CRIU, start the helper', takes: (p) => p === 'locate criu, start the helper' },
  { name: 'helper, namespaces', takes: (p) => p === 'helper, namespaces, criu exec' },
  { name: 'CRIU kernel probes', takes: (p) => p === 'criu kernel probes' },
  { name: 'CRIU restore', takes: (p) => p.startsWith('criu ') },
  { name: 'handover, core steps', takes: (p) => !p.startsWith('afterRestore: ') && p !== 'first request' },
  { name: 'afterRestore hooks', takes: (p) => p.startsWith('afterRestore: ') },
  { name: 'first request', takes: (p) => p === 'first request' },
];

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
 * The restore's phases in order, each { phase, ms }: from `spawnedAt` (wall ms)
 * to the end of each phase in turn, then to `okAt`, the first 200. A part that
 * left no timestamps merges into the phase after it.
 */
function restorePhases({ spawnedAt, okAt, command, app }) {
  const ends = [];
  if (command) {
    ends.push({ phase: 'node exec', at: command.processStart }, ...command.command, ...command.criu);
  }
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

module.exports = { GROUPS, groupPhases, restorePhases, takeTimings };
