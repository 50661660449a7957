'use strict';
// The measured numbers behind each missed target of `realistic`, beyond the
// one line of the targets table. Numbers and comparisons only: explanations
// are hand-written, in docs/benchmark.md.

const ms = (v) => `${Math.round(v)} ms`;
const ms2 = (v) => `${v.toFixed(2)} ms`;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const pct1 = (share) => `${(share * 100).toFixed(1)} %`;
const span = ([low, high]) => `${low.toFixed(1)}-${high.toFixed(1)} ms`;

function restoreDetails(s) {
  const parts = [...(s.restoreGroups ?? [])].sort((a, b) => b.ms - a.ms);
  return [
    `Restore: ${ms(s.restoreMs)} to the first 200 against ${ms(s.coldMs)} for a cold start, ${pct1(s.restoreShareOfCold)} of it`,
    `(median of the per-run ratios).${parts.length ? ` Largest part first: ${parts.map((p) => `${p.group} ${ms(p.ms)}`).join(', ')}.` : ''}`,
  ].join(' ');
}

function imageDetails(s) {
  return [
    `Image: ${mb(s.imageBytes)} against ${mb(s.rssBeforeCheckpoint)} of RSS before the checkpoint. The heap shrink took the RSS`,
    `from ${mb(s.rssBeforeCheckpoint)} to ${mb(s.rssAfterShrink)}; without it the image was ${mb(s.imageNoShrinkBytes)}.`,
  ].join(' ');
}

function tailDetails(s) {
  return [
    `First requests: p99 ${ms2(s.p99Restore)} after a restore against ${ms2(s.p99Cold)} after a cold start;`,
    `the restored copy's p99 was the higher one in ${s.p99RestoreWorseRuns} of ${s.runs} runs (ranges over the runs:`,
    `${span(s.p99RestoreRange)} restored, ${span(s.p99ColdRange)} cold). Without the first 10 requests,`,
    `p99 was ${ms2(s.p99RestoreAfterFirst10)} restored against ${ms2(s.p99ColdAfterFirst10)} cold.`,
  ].join(' ');
}

/** One paragraph per missed target, in the order of the targets table. */
function detailsOfMisses(summary, results) {
  const details = [restoreDetails, imageDetails, tailDetails];
  return results.map((result, i) => (result.met ? null : details[i](summary))).filter(Boolean);
}

module.exports = { detailsOfMisses };
