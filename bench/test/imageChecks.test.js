'use strict';
// The cost of the checks before a restore: how results.json's imageChecks is
// summarized and rendered, and the measuring script's own refusals.
const t = require('tap');
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { renderReport, imageChecksSection } = require('../lib/report');
const { summarizeImageChecks } = require('../lib/imageCheckCost');

const SCRIPT = join(__dirname, '..', 'lib', 'imageCheckCost.js');

const summary = (name, restoreMs) => ({
  name, description: 'x', runs: 5, coldMs: 1000, compileCacheMs: 900, restoreMs,
  restoreShareOfCold: restoreMs / 1000, speedup: 1000 / restoreMs, checkpointMs: 100, checkpointCommandMs: 800, imageBytes: 16 * 2 ** 20,
  imageNoShrinkBytes: 32 * 2 ** 20, rssBeforeCheckpoint: 80 * 2 ** 20, rssAfterShrink: 70 * 2 ** 20, imageShareOfRss: 0.2,
  rssCold: 7e7, rssRestore: 4e7, rssColdAfterLoad: 8e7, rssRestoreAfterLoad: 5e7, p50Cold: 0.2, p99Cold: 1, p50Restore: 0.2,
  p99Restore: 0.8, p99CompileCache: 1, p99ColdRange: [1, 2], p99RestoreRange: [0.7, 0.9], p99ColdAfterFirst10: 1, p99RestoreAfterFirst10: 0.8, p99RestoreWorseRuns: 0,
  slowestCold: [{ index: 0, step: 'GET /', ms: 3 }], slowestRestore: [{ index: 0, step: 'GET /', ms: 2 }],
});

const checks = (overrides = {}) => ({
  command: 'node bench/run.js --image-checks --node 24.9.0',
  node: 'v24.9.0',
  repeats: 10,
  load: '0.50 / 0.60',
  examples: [
    { name: 'hello', images: 1, imageBytes: 17.5 * 2 ** 20, files: 23, defaultMs: 2.5, verifyMs: 25.25, verifyCommandMs: 72.6 },
    { name: 'koa', images: 1, imageBytes: 15 * 2 ** 20, files: 21, defaultMs: 3, verifyMs: 22, verifyCommandMs: 70 },
  ],
  ...overrides,
});

function reportOf(imageChecks, summaries = [summary('hello', 80), summary('express', 75)]) {
  const machine = { cpu: 'cpu', memory: '24 GiB', os: 'Linux', node: 'v24.9.0', criu: '4.1.1', libraries: 'fastify 5', load: '0.5 / 0.7' };
  return renderReport({ command: 'pnpm bench --runs 5', machine, runs: 5, requests: 1000, compileCache: true, durationS: 120, summaries, imageChecks });
}

t.test('the image checks table: ms per example, the image, and the default checks as a share of the restore', async (t) => {
  const report = reportOf(checks());
  t.match(report, '### Image checks before the restore');
  t.ok(report.indexOf('### Where the restore time goes') < report.indexOf('### Image checks before the restore'), 'after the restore breakdown');
  t.match(report, '| example | image | files | default checks | default checks / restore | `--verify` checks | `crac verify DIR` in all |');
  t.match(report, '| `hello` | 17.5 MB | 23 | 2.50 ms | 3.1 % | 25.25 ms | 73 ms |', '2.5 ms of an 80 ms restore');
  t.match(report, '| `koa` | 15.0 MB | 21 | 3.00 ms | n/a | 22.00 ms | 70 ms |', 'no restore time for koa in the results: no share');
});

t.test('the image checks say how they were measured, in numbers', async (t) => {
  const [, , line] = imageChecksSection(checks(), [summary('hello', 80)], 'pnpm bench --runs 5');
  t.equal(line, 'Measured by `node bench/run.js --image-checks --node 24.9.0` (Node v24.9.0, load average at start / end 0.50 / 0.60) on 1 image per example: ' +
    'each check 10 times per image, each time in a fresh `node` process; medians. The share is of the restore to first 200 measured by `pnpm bench --runs 5` above.');
  const sameRun = checks({ command: 'pnpm bench --runs 5', repeats: 5, examples: checks().examples.map((c) => ({ ...c, images: 5 })) });
  const [, , own] = imageChecksSection(sameRun, [summary('hello', 80)], 'pnpm bench --runs 5');
  t.match(own, /on 5 images per example: each check 5 times per image, .*; medians\.$/, 'measured in the run itself: no note on the share');
});

t.test('results without image checks render no such section', async (t) => {
  t.notMatch(reportOf(undefined), 'Image checks');
  t.notMatch(reportOf(checks({ examples: [] })), 'Image checks');
});

t.test('summarizeImageChecks: medians over the images of an example', async (t) => {
  const m = (defaultMs, verifyMs) => ({ imageBytes: 100, files: 20, repeats: 5, defaultMs, verifyMs, verifyCommandMs: verifyMs + 50 });
  t.same(summarizeImageChecks('hello', [m(3, 30), m(1, 10), m(2, 20)]), {
    name: 'hello', images: 3, imageBytes: 100, files: 20, defaultMs: 2, verifyMs: 20, verifyCommandMs: 70,
  });
});

t.test('the measuring script runs the compiled checks, and says when it cannot', async (t) => {
  const usage = spawnSync(process.execPath, [SCRIPT, 'all', '/tmp'], { encoding: 'utf8' });
  t.equal(usage.status, 2, 'an unknown mode');
  t.match(usage.stderr, 'usage: node imageCheckCost.js default|verify DIR');
  const empty = mkdtempSync(join(tmpdir(), 'node-crac-bench-checks-test-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  for (const mode of ['default', 'verify']) {
    const result = spawnSync(process.execPath, [SCRIPT, mode, empty], { encoding: 'utf8' });
    t.not(result.status, 0, `${mode}: no image`);
    t.match(result.stderr, 'crac.json is missing', `${mode}: the core's own refusal`);
  }
});
