'use strict';
// Medians over the runs of one example (ratios are medians of per-run ratios),
// with a restore by each launcher.
const { median } = require('./stats');
const { groupPhases } = require('./restoreBreakdown');

/**
 * The restores of each run, in the order the report shows them: the sample's
 * key (`kind`, which the summary's fields are named after), measureRestore's
 * launcher, and the command.
 */
const RESTORES = [
  { kind: 'fastRestore', launcher: 'native', command: 'crac-restore' },
  { kind: 'restore', launcher: 'node', command: 'crac restore' },
];

/**
 * The requests that are slow in every run: the median latency at each position
 * of the request sequence, highest first (the first request after a restore,
 * the first use of a route after a cold start, ...).
 */
function slowestRequests(samples, kind, plan, count = 5) {
  const runs = samples.map((s) => s[kind].latencies);
  return runs[0]
    .map((_, index) => ({ index, step: `${plan[index % plan.length].method} ${plan[index % plan.length].path}`, ms: median(runs.map((r) => r[index])) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
}

/** Median ms of each named part over the runs that have it, in the order they first appear. */
function medianParts(perRun, key) {
  const names = [...new Set(perRun.flatMap((parts) => parts.map((p) => p[key])))];
  return names.map((name) => ({ [key]: name, ms: median(perRun.flatMap((parts) => parts.filter((p) => p[key] === name).map((p) => p.ms))) }));
}

function range(values) {
  return [Math.min(...values), Math.max(...values)];
}

/**
 * The medians of one launcher's restores, in fields named after its `kind`:
 * restoreMs, p99Restore, ...; fastRestoreMs, p99FastRestore, ...
 */
function restoreSummary(samples, kind, plan) {
  const m = (pick) => median(samples.map(pick));
  const Kind = kind[0].toUpperCase() + kind.slice(1);
  return {
    [`${kind}Ms`]: m((s) => s[kind].firstOkMs),
    [`${kind}Phases`]: medianParts(samples.map((s) => s[kind].phases), 'phase'),
    [`${kind}Groups`]: medianParts(samples.map((s) => groupPhases(s[kind].phases)), 'group'),
    [`${kind}ShareOfCold`]: m((s) => s[kind].firstOkMs / s.cold.firstOkMs),
    [`rss${Kind}`]: m((s) => s[kind].rssAtReady),
    [`rss${Kind}AfterLoad`]: m((s) => s[kind].rssAfterLoad),
    [`p50${Kind}`]: m((s) => s[kind].p50),
    [`p99${Kind}`]: m((s) => s[kind].p99),
    [`p99${Kind}AfterFirst10`]: m((s) => s[kind].p99AfterFirst10),
    // Each run measures its cold start and its restores back to back: compare them pairwise.
    [`p99${Kind}WorseRuns`]: samples.filter((s) => s[kind].p99 > s.cold.p99).length,
    [`p99${Kind}Range`]: range(samples.map((s) => s[kind].p99)),
    [`slowest${Kind}`]: slowestRequests(samples, kind, plan),
  };
}

function summarize(example, samples, plan) {
  const m = (pick) => median(samples.map(pick));
  return {
    name: example.name,
    description: example.description,
    runs: samples.length,
    coldMs: m((s) => s.cold.firstOkMs),
    compileCacheMs: samples[0].compileCache ? m((s) => s.compileCache.firstOkMs) : null,
    speedup: m((s) => s.cold.firstOkMs / s.restore.firstOkMs),
    checkpointMs: m((s) => s.checkpoint.meta.checkpointDurationMs),
    checkpointCommandMs: m((s) => s.checkpoint.wallMs),
    imageBytes: m((s) => s.checkpoint.meta.imageSizeBytes),
    imageNoShrinkBytes: m((s) => s.checkpointNoShrink.meta.imageSizeBytes),
    rssBeforeCheckpoint: m((s) => s.checkpoint.meta.heap.rssBeforeBytes),
    rssAfterShrink: m((s) => s.checkpoint.meta.heap.rssAfterBytes),
    imageShareOfRss: m((s) => s.checkpoint.meta.imageSizeBytes / s.checkpoint.meta.heap.rssBeforeBytes),
    rssCold: m((s) => s.cold.rssAtReady),
    rssColdAfterLoad: m((s) => s.cold.rssAfterLoad),
    p50Cold: m((s) => s.cold.p50),
    p99Cold: m((s) => s.cold.p99),
    p99CompileCache: samples[0].compileCache ? m((s) => s.compileCache.p99) : null,
    p99ColdAfterFirst10: m((s) => s.cold.p99AfterFirst10),
    p99ColdRange: range(samples.map((s) => s.cold.p99)),
    slowestCold: slowestRequests(samples, 'cold', plan),
    ...Object.assign({}, ...RESTORES.map(({ kind }) => restoreSummary(samples, kind, plan))),
  };
}

module.exports = { RESTORES, summarize };
