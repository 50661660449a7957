'use strict';
// The restore-speed targets, across examples, for one Node version, judged on
// crac-restore: numbers and comparisons of the run only. A miss says by how
// much and which part of the restore (bench/lib/restoreBreakdown.js) is the largest.

const ms = (v) => `${Math.round(v)} ms`;
const ms2 = (v) => `${v.toFixed(2)} ms`;
const pct1 = (share) => `${(share * 100).toFixed(1)} %`;

/** The largest part of a summary's crac-restore, as "; largest part: name N ms"; empty when the run has no breakdown. */
function largestPart(s) {
  const [top] = [...(s.fastRestoreGroups ?? [])].sort((a, b) => b.ms - a.ms);
  return top ? `; largest part: ${top.group} ${ms(top.ms)}` : '';
}

/** The targets that the summaries allow; none for results from before crac-restore was measured. */
function speedTargets(summaries) {
  const measured = summaries.filter((s) => Number.isFinite(s.fastRestoreMs));
  const of = (name) => measured.find((s) => s.name === name);
  const hello = of('hello');
  const realistic = of('realistic');
  const results = [];
  if (hello) {
    results.push({
      target: '`hello`: `crac-restore` to first 200 at most 40 ms',
      measured: ms(hello.fastRestoreMs),
      met: hello.fastRestoreMs <= 40,
      miss: `${ms(hello.fastRestoreMs - 40)} over${largestPart(hello)}`,
    });
    results.push({
      target: '`hello`: `crac-restore` at most 1/3 of its cold start',
      measured: `${ms(hello.fastRestoreMs)} vs ${ms(hello.coldMs)} cold: ${pct1(hello.fastRestoreShareOfCold)}`,
      met: hello.fastRestoreShareOfCold <= 1 / 3,
      miss: `${pct1(hello.fastRestoreShareOfCold - 1 / 3)} of the cold start over (about ${ms((hello.fastRestoreShareOfCold - 1 / 3) * hello.coldMs)})${largestPart(hello)}`,
    });
  }
  if (realistic) {
    results.push({
      target: '`realistic`: `crac-restore` at most 1/15 of its cold start',
      measured: `${ms(realistic.fastRestoreMs)} vs ${ms(realistic.coldMs)} cold: ${pct1(realistic.fastRestoreShareOfCold)}`,
      met: realistic.fastRestoreShareOfCold <= 1 / 15,
      miss: `${pct1(realistic.fastRestoreShareOfCold - 1 / 15)} of the cold start over (about ${ms((realistic.fastRestoreShareOfCold - 1 / 15) * realistic.coldMs)})${largestPart(realistic)}`,
    });
  }
  if (hello && realistic) {
    results.push({
      target: '`realistic` restores with `crac-restore` in at most 2x the time of `hello`',
      measured: `${ms(realistic.fastRestoreMs)} vs ${ms(hello.fastRestoreMs)}: ${(realistic.fastRestoreMs / hello.fastRestoreMs).toFixed(2)}x`,
      met: realistic.fastRestoreMs <= 2 * hello.fastRestoreMs,
      miss: `${ms(realistic.fastRestoreMs - 2 * hello.fastRestoreMs)} over${largestPart(realistic)}`,
    });
  }
  for (const s of measured) {
    results.push({
      target: `\`${s.name}\`: p99 of the first requests after \`crac-restore\` no worse than after a cold start`,
      measured: `${ms2(s.p99FastRestore)} vs ${ms2(s.p99Cold)}`,
      met: s.p99FastRestore <= s.p99Cold,
      miss: `${ms2(s.p99FastRestore - s.p99Cold)} worse`,
    });
  }
  return results;
}

module.exports = { speedTargets };
