'use strict';
// The "why" under a missed target, from the measured numbers of the run.

const ms = (v) => `${Math.round(v)} ms`;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const span = ([low, high]) => `${low.toFixed(1)}-${high.toFixed(1)} ms`;

function whyRestoreSlow(s) {
  const rest = s.restoreMs - s.criuRestoreMs - s.cracStartMs;
  const parts = [
    [s.criuRestoreMs, `CRIU restoring the ${mb(s.imageBytes)} image (this grows with the image, DESIGN.md 3.5)`],
    [s.cracStartMs, 'starting the `crac` command itself, a Node process, before CRIU begins (a small native launcher would save most of it)'],
    [rest, 'the rest: restore helper and namespaces, the afterRestore hooks (fresh randomness, new environment, PostgreSQL and Redis back, listening again) and the first request'],
  ].sort((a, b) => b[0] - a[0]);
  return [
    `Restore: ${ms(s.restoreMs)} to the first 200 against ${ms(s.coldMs)} for a cold start, ${(s.restoreShareOfCold * 100).toFixed(1)} % of it`,
    '(median of the per-run ratios; the limit is 10 %).',
    `Where it goes, largest first: ${parts.map(([v, what]) => `${ms(v)} ${what}`).join('; ')}.`,
  ].join(' ');
}

function whyImageLarge(s) {
  return [
    `Image: ${mb(s.imageBytes)} against ${mb(s.rssBeforeCheckpoint)} of RSS before the checkpoint. The heap shrink took the RSS`,
    `from ${mb(s.rssBeforeCheckpoint)} to ${mb(s.rssAfterShrink)} (without it the image was ${mb(s.imageNoShrinkBytes)}).`,
    'CRIU dumps every resident anonymous page: what the shrink leaves resident (V8 pages that stay committed, malloc',
    'arenas that cannot be trimmed) is in the image; file-backed pages such as the node binary\'s code are not.',
  ].join(' ');
}

function whyTailWorse(s) {
  const list = (slowest) => slowest.map((r) => `#${r.index + 1} \`${r.step}\` ${r.ms.toFixed(1)} ms`).join(', ');
  return [
    `First requests: p99 ${s.p99Restore.toFixed(2)} ms after a restore against ${s.p99Cold.toFixed(2)} ms after a cold start;`,
    `the restored copy's p99 was the higher one in ${s.p99RestoreWorseRuns} of ${s.runs} runs (ranges over the runs:`,
    `${span(s.p99RestoreRange)} restored, ${span(s.p99ColdRange)} cold). Leaving out the first 10 requests (the pool`,
    `opening its connections again), p99 was ${s.p99RestoreAfterFirst10.toFixed(2)} ms restored against ${s.p99ColdAfterFirst10.toFixed(2)} ms cold.`,
    `The slowest positions in the sequence after a restore (median latency over the runs): ${list(s.slowestRestore)};`,
    `after a cold start: ${list(s.slowestCold)}.`,
    // Observed once by hand (a restored copy run with --trace-gc), not measured by this harness.
    'Seen with `--trace-gc` in a restored copy of this example on this machine (Node 24.9.0): the memory-reducing GC',
    'before the dump leaves V8 with a small heap, so the restored copy scavenges every 1-2 MB of allocation and runs a',
    'mark-compact (about 8 ms, plus 22 ms of incremental marking) around request 280 while its heap grows back; those',
    'were its slowest requests. The smaller image and faster CRIU restore are paid for with these collections.',
  ].join(' ');
}

/** One paragraph per missed target of `realistic`, in the order of the targets table. */
function explainMisses(summary, results) {
  const why = [whyRestoreSlow, whyImageLarge, whyTailWorse];
  return results.map((result, i) => (result.met ? null : why[i](summary))).filter(Boolean);
}

module.exports = { explainMisses };
