'use strict';
// Medians over the runs of one example (ratios are medians of per-run ratios).
const { median } = require('./stats');
const { groupPhases } = require('./restoreBreakdown');

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

function summarize(example, samples, plan) {
  const m = (pick) => median(samples.map(pick));
  return {
    name: example.name,
    description: example.description,
    runs: samples.length,
    coldMs: m((s) => s.cold.firstOkMs),
    compileCacheMs: samples[0].compileCache ? m((s) => s.compileCache.firstOkMs) : null,
    restoreMs: m((s) => s.restore.firstOkMs),
    restorePhases: medianParts(samples.map((s) => s.restore.phases), 'phase'),
    restoreGroups: medianParts(samples.map((s) => groupPhases(s.restore.phases)), 'group'),
    restoreShareOfCold: m((s) => s.restore.firstOkMs / s.cold.firstOkMs),
    speedup: m((s) => s.cold.firstOkMs / s.restore.firstOkMs),
    checkpointMs: m((s) => s.checkpoint.meta.checkpointDurationMs),
    checkpointCommandMs: m((s) => s.checkpoint.wallMs),
    imageBytes: m((s) => s.checkpoint.meta.imageSizeBytes),
    imageNoShrinkBytes: m((s) => s.checkpointNoShrink.meta.imageSizeBytes),
    rssBeforeCheckpoint: m((s) => s.checkpoint.meta.heap.rssBeforeBytes),
    rssAfterShrink: m((s) => s.checkpoint.meta.heap.rssAfterBytes),
    imageShareOfRss: m((s) => s.checkpoint.meta.imageSizeBytes / s.checkpoint.meta.heap.rssBeforeBytes),
    rssCold: m((s) => s.cold.rssAtReady),
    rssRestore: m((s) => s.restore.rssAtReady),
    rssColdAfterLoad: m((s) => s.cold.rssAfterLoad),
    rssRestoreAfterLoad: m((s) => s.restore.rssAfterLoad),
    p50Cold: m((s) => s.cold.p50),
    p99Cold: m((s) => s.cold.p99),
    p50Restore: m((s) => s.restore.p50),
    p99Restore: m((s) => s.restore.p99),
    p99CompileCache: samples[0].compileCache ? m((s) => s.compileCache.p99) : null,
    p99ColdAfterFirst10: m((s) => s.cold.p99AfterFirst10),
    p99RestoreAfterFirst10: m((s) => s.restore.p99AfterFirst10),
    // Each run measures its cold start and its restore back to back: compare them pairwise.
    p99RestoreWorseRuns: samples.filter((s) => s.restore.p99 > s.cold.p99).length,
    p99ColdRange: range(samples.map((s) => s.cold.p99)),
    p99RestoreRange: range(samples.map((s) => s.restore.p99)),
    slowestCold: slowestRequests(samples, 'cold', plan),
    slowestRestore: slowestRequests(samples, 'restore', plan),
  };
}

module.exports = { summarize };
