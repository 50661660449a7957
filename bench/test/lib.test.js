'use strict';
// The harness's own pieces: statistics, targets, the report and the RSS lookup.
const t = require('tap');
const http = require('node:http');
const { median, percentile } = require('../lib/stats');
const { pidListeningOn, rssOf } = require('../lib/rss');
const { targets } = require('../lib/report');

t.test('median and nearest-rank percentile', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  const thousand = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1..1000, unsorted
  t.equal(percentile(thousand, 50), 500);
  t.equal(percentile(thousand, 99), 990);
  t.equal(percentile([7], 99), 7);
});

t.test('targets say by how much a miss is', async (t) => {
  const [restore, image, p99] = targets({
    coldMs: 1000, restoreMs: 150, restoreShareOfCold: 0.15, speedup: 6.7,
    imageBytes: 70 * 2 ** 20, rssBeforeCheckpoint: 100 * 2 ** 20, imageShareOfRss: 0.7,
    p99Cold: 5, p99Restore: 4,
  });
  t.equal(restore.met, false);
  t.equal(restore.miss, '5.0 % of the cold start over the limit (about 50 ms)');
  t.equal(image.met, false);
  t.equal(image.miss, '10.0 % of the RSS over the limit (about 10.0 MB)');
  t.equal(p99.met, true);
});

t.test('pidListeningOn finds the process behind a port', async (t) => {
  const server = http.createServer((req, res) => res.end());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  t.equal(pidListeningOn(server.address().port), process.pid);
  t.ok(rssOf(process.pid) > 1e6, 'an RSS in bytes');
});

t.test('the restore phases, from the timestamps where each ends', async (t) => {
  const { groupPhases, restorePhases } = require('../lib/restoreBreakdown');
  const command = {
    processStart: 1005,
    command: [{ phase: 'node bootstrap and crac modules', at: 1030 }, { phase: 'image checks', at: 1035 }, { phase: 'locate criu, start the helper', at: 1037 }],
    criu: [{ phase: 'helper, namespaces, criu exec', at: 1040 }, { phase: 'criu kernel probes', at: 1041 }, { phase: 'criu memory pages', at: 1050 }, { phase: 'criu the rest', at: 1052 }],
  };
  const app = { resumed: [{ phase: 'engine', at: 1053 }, { phase: 'restore environment', at: 1054 }, { phase: 'afterRestore: pool', at: 1060 }, { phase: 'afterRestore: server', at: 1061 }] };
  const phases = restorePhases({ spawnedAt: 1000, okAt: 1065, command, app });
  t.same(phases.map((p) => [p.phase, p.ms]), [
    ['node exec', 5], ['node bootstrap and crac modules', 25], ['image checks', 5], ['locate criu, start the helper', 2],
    ['helper, namespaces, criu exec', 3], ['criu kernel probes', 1], ['criu memory pages', 9], ['criu the rest', 2],
    ['handover to the app', 1], ['restore environment', 1], ['afterRestore: pool', 6], ['afterRestore: server', 1], ['first request', 4],
  ]);
  t.equal(phases.reduce((sum, p) => sum + p.ms, 0), 65, 'the phases add up to the restore to first 200');
  t.same(groupPhases(phases), [
    { group: 'launcher start', ms: 30 }, { group: 'image checks', ms: 5 }, { group: 'locate CRIU, start the helper', ms: 2 },
    { group: 'helper, namespaces', ms: 3 }, { group: 'CRIU kernel probes', ms: 1 }, { group: 'CRIU restore', ms: 11 },
    { group: 'handover, core steps', ms: 2 }, { group: 'afterRestore hooks', ms: 7 }, { group: 'first request', ms: 4 },
  ]);
  const bare = restorePhases({ spawnedAt: 1000, okAt: 1065 });
  t.same(bare, [{ phase: 'first request', ms: 65 }], 'without timestamps, one phase');
});

// CRIU's log as crac-restore hands it over: the helper, as the action script, anchors it at 1010 ms wall time.
const CRIU_LOG = [
  '(00.000000) CRIU run id = 1',
  '(00.001000) cpu: x86_family 6 x86_vendor_id GenuineIntel',
  '(00.001500) Running pre-restore scripts',
  '\t[/helper]',
  'crac_restore_helper: action pre-restore at 1.011500',
  '(00.003000) Forking task with 7 pid (flags 0x0)',
  '(00.005000) pie: 7: Preadv 0x7f0000000000 4096',
  '(00.008000) pie: 7: `- returned 4096',
  '(00.010000) pie: 7: `- returned 8192',
  '(00.012000) Restore finished successfully. Tasks resumed.',
].join('\n');

t.test('a crac-restore record: its exec, its own phases and CRIU\'s read from its log', async (t) => {
  const { groupPhases, restorePhases } = require('../lib/restoreBreakdown');
  const command = {
    launcher: 'native', processStart: 1002, criu: [], criuLog: CRIU_LOG,
    command: [{ phase: 'image checks', at: 1003 }, { phase: 'locate criu, start the helper', at: 1004 }],
  };
  const phases = restorePhases({ spawnedAt: 1000, okAt: 1025, command, app: { resumed: [{ phase: 'engine', at: 1023 }] } });
  t.same(phases.map((p) => [p.phase, Math.round(p.ms * 1000) / 1000]), [
    ['launcher exec', 2], ['image checks', 1], ['locate criu, start the helper', 1], ['helper, namespaces, criu exec', 6],
    ['criu kernel probes', 1], ['criu reads the image', 0.5], ['criu pre-restore action', 1.5], ['criu files and mappings', 2],
    ['criu memory pages', 5], ['criu the rest', 2], ['handover to the app', 1], ['first request', 2],
  ]);
  t.same(groupPhases(phases).slice(0, 2).map((g) => [g.group, Math.round(g.ms)]), [['launcher start', 2], ['image checks', 1]]);
});

t.test('a crac-restore record shows whether it restored from its plan', async (t) => {
  const { restoredFromPlan } = require('../lib/restoreBreakdown');
  const native = { launcher: 'native', processStart: 1002, command: [], criu: [], criuLog: CRIU_LOG };
  t.equal(restoredFromPlan(native), true);
  const failed = CRIU_LOG.replace(/\(00\.012000\) Restore finished.*/, '(00.003093) Error (criu/cr-restore.c:2005): Aborting restore due to pre-restore script ret code -1');
  t.equal(restoredFromPlan({ ...native, criuLog: failed }), false, 'CRIU failed: it handed over to crac restore');
  t.equal(restoredFromPlan({ processStart: 1002, command: [], criu: [] }), false, 'crac restore wrote it: there was no plan that held');
  t.equal(restoredFromPlan(undefined), false, 'no record');
});

const { renderReport } = require('../lib/report');

/** The crac-restore fields of the `realistic` summary below: 120 ms, within 1/15 of its cold start. */
const FAST_RESTORE = {
  fastRestoreMs: 120, fastRestoreShareOfCold: 0.06,
  fastRestoreGroups: [{ group: 'launcher start', ms: 2 }, { group: 'CRIU restore', ms: 80 }, { group: 'afterRestore hooks', ms: 30 }],
  fastRestorePhases: [{ phase: 'launcher exec', ms: 2 }, { phase: 'criu the rest', ms: 80 }, { phase: 'afterRestore: pool', ms: 30 }],
  rssFastRestore: 9e7, rssFastRestoreAfterLoad: 9.5e7, p50FastRestore: 1, p99FastRestore: 5.5, p99FastRestoreAfterFirst10: 4.4,
  p99FastRestoreWorseRuns: 2, p99FastRestoreRange: [5, 6], slowestFastRestore: [{ index: 1, step: 'GET /api/orders', ms: 7 }],
};

/** One `realistic` example whose `crac restore` misses all three targets, with `overrides`. */
function summaryOf(overrides = {}) {
  return {
    name: 'realistic', description: 'x', runs: 5, coldMs: 2000, compileCacheMs: 1900, restoreMs: 250,
    restoreGroups: [{ group: 'launcher start', ms: 60 }, { group: 'CRIU restore', ms: 120 }, { group: 'afterRestore hooks', ms: 70 }],
    restorePhases: [{ phase: 'node exec', ms: 10 }, { phase: 'node bootstrap and crac modules', ms: 50 }, { phase: 'criu the rest', ms: 120 }, { phase: 'afterRestore: pool', ms: 70 }],
    restoreShareOfCold: 0.125, speedup: 8, checkpointMs: 300, checkpointCommandMs: 5000, imageBytes: 150 * 2 ** 20,
    imageNoShrinkBytes: 170 * 2 ** 20, rssBeforeCheckpoint: 200 * 2 ** 20, rssAfterShrink: 190 * 2 ** 20, imageShareOfRss: 0.75,
    rssCold: 1e8, rssRestore: 9e7, rssColdAfterLoad: 1.1e8, rssRestoreAfterLoad: 9.5e7, p50Cold: 1, p99Cold: 5, p50Restore: 1,
    p99Restore: 6, p99CompileCache: 5, p99ColdRange: [4, 6], p99RestoreRange: [5, 7], p99ColdAfterFirst10: 4, p99RestoreAfterFirst10: 4.5, p99RestoreWorseRuns: 3,
    slowestCold: [{ index: 0, step: 'GET /health', ms: 9 }], slowestRestore: [{ index: 1, step: 'GET /api/orders', ms: 8 }],
    ...FAST_RESTORE,
    ...overrides,
  };
}

/** The report of one summary, summaryOf(overrides) unless given. */
function reportOf(overrides = {}, summary = summaryOf(overrides)) {
  const machine = { cpu: 'cpu', memory: '24 GiB', os: 'Linux', node: 'v24.9.0', criu: '4.1.1', libraries: 'fastify 5', load: '0.5 / 0.7' };
  return renderReport({ command: 'pnpm bench', machine, runs: 5, requests: 1000, compileCache: true, durationS: 120, summaries: [summary] });
}

/** A summary as results.json held it before crac-restore was measured, when the first group had another name. */
function olderSummary() {
  const summary = summaryOf({ restoreGroups: [{ group: '`crac` command start', ms: 60 }, { group: 'CRIU restore', ms: 120 }] });
  for (const key of Object.keys(FAST_RESTORE)) delete summary[key];
  return summary;
}

/** The report's paragraphs of text: everything but headings, tables and images. */
const paragraphsOf = (report) => report.split(/\n\n+/).filter((p) => p.trim() && !/^(#|\||!\[)/.test(p));

t.test('renderReport writes every section from a results.json', async (t) => {
  const report = reportOf();
  const headings = ['## Machine', '## Targets (`realistic`, restored with crac restore)', '## Restore-speed targets (Node v24.9.0, restored with crac-restore)',
    '## Start: time to the first HTTP 200', '### Where the restore time goes: crac-restore', '### Where the restore time goes: crac restore',
    '## Memory: image size and RSS', '## Latency of the first 1000 requests'];
  for (const heading of headings) t.ok(report.includes(heading), heading);
  t.match(report, /!\[[^\]]+\]\(chart\.svg\)/, 'the chart');
  t.match(report, /\*\*missed\*\*: 2\.5 % of the cold start over the limit \(about 50 ms\)/, 'restore target missed by 2.5 points');
  t.match(report, /Restore: 250 ms to the first 200 .* Largest part first: CRIU restore 120 ms, afterRestore hooks 70 ms, launcher start 60 ms\./, 'the restore in its parts');
  t.match(report, /Image: 150\.0 MB against 200\.0 MB of RSS .* from 200\.0 MB to 190\.0 MB; without it the image was 170\.0 MB\./, 'the image against the RSS');
  t.match(report, /higher one in 3 of 5 runs/, 'tail latency compared run by run');
});

t.test('the Start and latency tables have both restores', async (t) => {
  const report = reportOf();
  t.match(report, '| example | cold start | cold, compile cache | crac restore | crac restore / cold | speed-up | crac-restore | crac-restore / cold | checkpoint (dump + seal) | `crac checkpoint` in all |');
  t.match(report, '| `realistic` | 2000 ms | 1900 ms | 250 ms | 13 % | 8.0x | 120 ms | 6 % | 300 ms | 5000 ms |');
  t.match(report, '| example | p50 cold | p50 restored | p99 cold | p99 cold, compile cache | p99 restored | p99 restored, crac-restore | p99 without the first 10: cold | restored |');
  t.match(report, '| `realistic` | 1.00 ms | 1.00 ms | 5.00 ms | 5.00 ms | 6.00 ms | 5.50 ms | 4.00 ms | 4.50 ms |');
});

t.test('the report states what the run measured, and no prose of its own', async (t) => {
  const missed = paragraphsOf(reportOf());
  t.equal(missed.length, 4, 'the header and one paragraph per missed target');
  for (const paragraph of missed) t.match(paragraph, /\d/, `states numbers: ${paragraph.slice(0, 40)}`);
  const met = paragraphsOf(reportOf({ restoreShareOfCold: 0.05, imageShareOfRss: 0.3, p99Restore: 4 }));
  t.equal(met.length, 1, 'all targets met: the header only');
});

t.test('the report links only to files in the repository', async (t) => {
  const { existsSync } = require('node:fs');
  const { join } = require('node:path');
  const links = [...reportOf().matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
  t.same(links, ['results.json', '../docs/benchmark.md', 'chart.svg']);
  for (const link of links) t.ok(existsSync(join(__dirname, '..', link)), link);
});

t.test('the report shows the measured phases per group and one by one, crac-restore first', async (t) => {
  const report = reportOf();
  const fast = report.indexOf('### Where the restore time goes: crac-restore');
  const node = report.indexOf('### Where the restore time goes: crac restore');
  t.ok(fast >= 0 && fast < node, 'crac-restore, then crac restore');
  const table = (heading) => report.slice(report.indexOf(heading), report.indexOf('\n### ', report.indexOf(heading) + 1));
  t.match(table('### Where the restore time goes: crac-restore'), /\| example \| restore to first 200 \| launcher start \| CRIU restore \| afterRestore hooks \|\n\| --- \| ---: \| ---: \| ---: \| ---: \|\n\| `realistic` \| 120 ms \| 2\.00 ms \| 80\.00 ms \| 30\.00 ms \|/);
  t.match(table('### Where the restore time goes: crac-restore'), /\| launcher exec \| 2\.00 ms \|/);
  t.match(table('### Where the restore time goes: crac restore'), /\| `realistic` \| 250 ms \| 60\.00 ms \| 120\.00 ms \| 70\.00 ms \|/);
  t.match(table('### Where the restore time goes: crac restore'), /\| node bootstrap and crac modules \| 50\.00 ms \|/);
  t.match(report, /\| afterRestore: pool \| 70\.00 ms \|/);
  t.notMatch(reportOf({ restoreGroups: [], restorePhases: [], fastRestoreGroups: [], fastRestorePhases: [] }), '### Where the restore time goes', 'no section for results without phases');
});

t.test('results from before crac-restore was measured render, with n/a and without its sections', async (t) => {
  const report = reportOf({}, olderSummary());
  t.match(report, '| `realistic` | 2000 ms | 1900 ms | 250 ms | 13 % | 8.0x | n/a | n/a | 300 ms | 5000 ms |');
  t.match(report, '| `realistic` | 1.00 ms | 1.00 ms | 5.00 ms | 5.00 ms | 6.00 ms | n/a | 4.00 ms | 4.50 ms |');
  t.notMatch(report, '### Where the restore time goes: crac-restore');
  t.notMatch(report, '## Restore-speed targets', 'the targets are judged on crac-restore');
  t.match(report, /\| example \| restore to first 200 \| launcher start \| CRIU restore \|\n\| --- \| ---: \| ---: \| ---: \|\n\| `realistic` \| 250 ms \| 60\.00 ms \| 120\.00 ms \|/, 'the group under its former name');
  t.notMatch(report, /NaN|undefined/);
});

t.test('the restore-speed targets are judged on crac-restore, and say by how much a miss is and which part is the largest', async (t) => {
  const { speedTargets } = require('../lib/speedTargets');
  const hello = { name: 'hello', coldMs: 120, restoreMs: 90, restoreShareOfCold: 0.75, p99Cold: 1, p99Restore: 2, fastRestoreMs: 60, fastRestoreShareOfCold: 0.5,
    p99FastRestore: 0.8, fastRestoreGroups: [{ group: 'CRIU restore', ms: 20 }, { group: 'launcher start', ms: 30 }] };
  const realistic = { name: 'realistic', coldMs: 1500, restoreMs: 200, restoreShareOfCold: 0.13, p99Cold: 3, p99Restore: 4, fastRestoreMs: 150,
    fastRestoreShareOfCold: 0.1, p99FastRestore: 4, fastRestoreGroups: [] };
  const results = speedTargets([hello, realistic]);
  const by = (prefix) => results.find((r) => r.target.startsWith(prefix));
  t.same(by('`hello`: `crac-restore` to first 200').miss, '20 ms over; largest part: launcher start 30 ms');
  t.same(by('`hello`: `crac-restore` at most 1/3').miss, '16.7 % of the cold start over (about 20 ms); largest part: launcher start 30 ms');
  t.same(by('`realistic`: `crac-restore` at most 1/15').miss, '3.3 % of the cold start over (about 50 ms)');
  t.same(by('`realistic` restores with `crac-restore` in at most 2x').miss, '30 ms over');
  t.equal(by('`hello`: p99').met, true, 'judged on crac-restore, not on crac restore');
  t.same(by('`realistic`: p99').miss, '1.00 ms worse');
  t.same(speedTargets([{ ...hello, fastRestoreMs: 30, fastRestoreShareOfCold: 0.25 }]).map((r) => r.met), [true, true, true], 'only the targets its examples allow');
  t.same(speedTargets([{ name: 'hello', coldMs: 120, restoreMs: 90, restoreShareOfCold: 0.75, p99Cold: 1, p99Restore: 2 }]), [], 'none without crac-restore');
});

t.test('the report has the targets and the tables of other Node versions', async (t) => {
  const { otherNodesSection } = require('../lib/report');
  const report = reportOf();
  t.match(report, /## Restore-speed targets \(Node v24\.9\.0, restored with crac-restore\)\n\n\| target \| measured \| result \|/);
  t.match(report, /`realistic`: `crac-restore` at most 1\/15 of its cold start \| 120 ms vs 2000 ms cold: 6\.0 % \| met/);
  t.match(report, /`realistic`: p99 of the first requests after `crac-restore` no worse than after a cold start \| 5\.50 ms vs 5\.00 ms \| \*\*missed\*\*: 0\.50 ms worse \|/);
  t.notMatch(report, '## Other Node versions');
  const summary = { name: 'hello', coldMs: 130, restoreMs: 90, restoreShareOfCold: 0.69, imageBytes: 40 * 2 ** 20, rssBeforeCheckpoint: 90 * 2 ** 20, p99Cold: 1.2, p99Restore: 0.9,
    restoreGroups: [], fastRestoreMs: 35, fastRestoreShareOfCold: 0.27, p99FastRestore: 1.1, fastRestoreGroups: [] };
  const other = (summaries) => otherNodesSection({ 'v20.20.2': { command: 'node bench/run.js --other-node 20.20.2', node: 'v20.20.2', runs: 5, load: '0.1 / 0.5', summaries } }).join('\n');
  const section = other([summary]);
  t.match(section, /### Node v20\.20\.2\n\nMeasured by `node bench\/run\.js --other-node 20\.20\.2` \(5 interleaved runs; load average at start \/ end 0\.1 \/ 0\.5\)\./);
  t.match(section, '| `hello` | 130 ms | 90 ms | 69 % | 35 ms | 27 % | 40.0 MB | 90.0 MB | 1.20 ms | 0.90 ms | 1.10 ms |');
  t.match(section, '| `hello`: `crac-restore` to first 200 at most 40 ms | 35 ms | met |');
  const older = other([{ ...summary, fastRestoreMs: undefined, fastRestoreShareOfCold: undefined, p99FastRestore: undefined }]);
  t.match(older, '| `hello` | 130 ms | 90 ms | 69 % | n/a | n/a | 40.0 MB | 90.0 MB | 1.20 ms | 0.90 ms | n/a |');
  t.notMatch(older, '| target |', 'no targets without crac-restore');
  t.same(otherNodesSection(undefined), []);
});
