'use strict';
// The "why" under a missed target, from the measured numbers of the run.

const ms = (v) => `${Math.round(v)} ms`;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function whyRestoreSlow(s) {
  const rest = s.restoreMs - s.criuRestoreMs - s.cracStartMs;
  return [
    `Restore: ${ms(s.restoreMs)} to the first 200, against a limit of ${ms(s.coldMs / 10)} (1/10 of the ${ms(s.coldMs)} cold start).`,
    `CRIU itself took ${ms(s.criuRestoreMs)} to restore the ${mb(s.imageBytes)} image; starting the Node-based \`crac\` command`,
    `took ${ms(s.cracStartMs)} before CRIU even began; the remaining ${ms(rest)} are the restore helper and namespaces,`,
    'the afterRestore hooks (fresh randomness, new environment, listening again, PostgreSQL and Redis reconnecting) and',
    "the first request. CRIU's share grows with the image (DESIGN.md 3.5), so a smaller image (next target) is the first",
    'lever; the fixed start of the `crac` command (a Node process) is the second: a small native launcher would remove',
    'most of it.',
  ].join(' ');
}

function whyImageLarge(s) {
  return [
    `Image: ${mb(s.imageBytes)} against ${mb(s.rssBeforeCheckpoint)} of RSS before the checkpoint. The heap shrink took the RSS`,
    `only from ${mb(s.rssBeforeCheckpoint)} to ${mb(s.rssAfterShrink)}: a full GC frees V8's objects but V8 keeps their pages`,
    'committed and resident, and CRIU dumps every resident anonymous page (file-backed pages such as the node binary\'s',
    'code are not in the image, which is why the image is below the RSS at all). Without the shrink the image was',
    `${mb(s.imageNoShrinkBytes)}. A memory-reducing, compacting GC gives the pages back: on this machine, with this example`,
    "warmed up the same way, V8's `gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })` plus `malloc_trim(0)`",
    'took Node 24.9.0 from 300 MB to 112 MB of RSS, where a plain `gc()` went from 277 MB to 260 MB (Node 20\'s V8',
    'ignores the flavor). That is the change to make in the core\'s heap shrink.',
  ].join(' ');
}

function whyTailWorse(s) {
  const list = (slowest) => slowest.map((r) => `#${r.index + 1} \`${r.step}\` ${r.ms.toFixed(1)} ms`).join(', ');
  return [
    `First requests: p99 ${s.p99Restore.toFixed(2)} ms after a restore against ${s.p99Cold.toFixed(2)} ms after a cold start.`,
    `The slowest positions in the sequence after a restore (median latency over the runs): ${list(s.slowestRestore)};`,
    `after a cold start: ${list(s.slowestCold)}.`,
    `Across the runs the p99 ranged over ${span(s.p99ColdRange)} after a cold start and ${span(s.p99RestoreRange)} after a restore,`,
    overlaps(s.p99ColdRange, s.p99RestoreRange)
      ? 'so the two overlap: the difference is within the run-to-run spread of this machine.'
      : 'so the two do not overlap: the restored copy is slower at the tail.',
  ].join(' ');
}

const span = ([low, high]) => `${low.toFixed(1)}-${high.toFixed(1)} ms`;
const overlaps = (a, b) => a[0] <= b[1] && b[0] <= a[1];

/** One paragraph per missed target of `realistic`, in the order of the targets table. */
function explainMisses(summary, results) {
  const why = [whyRestoreSlow, whyImageLarge, whyTailWorse];
  return results.map((result, i) => (result.met ? null : why[i](summary))).filter(Boolean);
}

module.exports = { explainMisses };
