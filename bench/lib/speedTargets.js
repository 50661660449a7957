'use strict';
// The restore-speed targets, across examples, for one Node version: numbers
// and comparisons of the run only. A miss says by how much and which part of
// the restore (bench/lib/restoreBreakdown.js) is the largest.

const ms = (v) => `${Math.round(v)} ms`;
const ms2 = (v) => `${v.toFixed(2)} ms`;
const pct1 = (share) => `${(share * 100).toFixed(1)} %`;

/** The largest part of a summary's restore, as "name N ms"; empty when the run has no breakdown. */
function largestPart(s) {
  const [top] = [...(s.restoreGroups ?? [])].sort((a, b) => b.ms - a.ms);
  return top ? `; largest part: ${top.group} ${ms(top.ms)}` : '';
}

function speedTargets(summaries) {
  const of = (name) => summaries.find((s) => s.name === name);
  const hello = of('hello');
  const realistic = of('realistic');
  const results = [];
  if (hello) {
    results.push({
      target: '`hello`: restore to first 200 at most 40 ms',
      measured: ms(hello.restoreMs),
      met: hello.restoreMs <= 40,
      miss: `${ms(hello.restoreMs - 40)} over${largestPart(hello)}`,
    });
    results.push({
      target: '`hello`: restore at most 1/3 of its cold start',
      measured: `${ms(hello.restoreMs)} vs ${ms(hello.coldMs)} cold: ${pct1(hello.restoreShareOfCold)}`,
      met: hello.restoreShareOfCold <= 1 / 3,
      miss: `${pct1(hello.restoreShareOfCold - 1 / 3)} of the cold start over (about ${ms((hello.restoreShareOfCold - 1 / 3) * hello.coldMs)})${largestPart(hello)}`,
    });
  }
  if (realistic) {
    results.push({
      target: '`realistic`: restore at most 1/15 of its cold start',
      measured: `${ms(realistic.restoreMs)} vs ${ms(realistic.coldMs)} cold: ${pct1(realistic.restoreShareOfCold)}`,
      met: realistic.restoreShareOfCold <= 1 / 15,
      miss: `${pct1(realistic.restoreShareOfCold - 1 / 15)} of the cold start over (about ${ms((realistic.restoreShareOfCold - 1 / 15) * realistic.coldMs)})${largestPart(realistic)}`,
    });
  }
  if (hello && realistic) {
    results.push({
      target: '`realistic` restores in at most 2x the time of `hello`',
      measured: `${ms(realistic.restoreMs)} vs ${ms(hello.restoreMs)}: ${(realistic.restoreMs / hello.restoreMs).toFixed(2)}x`,
      met: realistic.restoreMs <= 2 * hello.restoreMs,
      miss: `${ms(realistic.restoreMs - 2 * hello.restoreMs)} over${largestPart(realistic)}`,
    });
  }
  for (const s of summaries) {
    results.push({
      target: `\`${s.name}\`: p99 of the first requests after a restore no worse than after a cold start`,
      measured: `${ms2(s.p99Restore)} vs ${ms2(s.p99Cold)}`,
      met: s.p99Restore <= s.p99Cold,
      miss: `${ms2(s.p99Restore - s.p99Cold)} worse`,
    });
  }
  return results;
}

module.exports = { speedTargets };
