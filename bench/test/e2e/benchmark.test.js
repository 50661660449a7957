'use strict';
// End-to-end runs of the benchmark's two commands with real CRIU, short and
// with --no-report (the committed results stay as they are): the restore's
// phases come from timestamps of both launchers, of CRIU and of the restored
// copy, and the image-size curve restores eagerly and lazily. What they
// measure is not asserted: speed belongs in the report.
const t = require('tap');
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const BENCH = join(__dirname, '..', '..');
const workDirs = (prefix) => readdirSync(tmpdir()).filter((name) => name.startsWith(prefix));

/** Runs a benchmark script; its exit status, and the JSON it printed after its progress lines. */
function runScript(t, script, args, workDirPrefix) {
  const before = new Set(workDirs(workDirPrefix));
  const result = spawnSync(process.execPath, [join(BENCH, script), ...args, '--no-report'], { encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) t.comment(`${result.stdout}\n${result.stderr}`);
  t.equal(result.status, 0, `${script} exits 0`);
  t.same(workDirs(workDirPrefix).filter((name) => !before.has(name)), [], 'its work directory is gone');
  const json = result.stdout.search(/^[[{]$/m);
  return json < 0 ? undefined : JSON.parse(result.stdout.slice(json));
}

// CRIU's phases and the restored copy's, after each launcher's own.
const RESTORE_PHASES = [
  'image checks',
  'locate criu, start the helper',
  'helper, namespaces, criu exec',
  'criu kernel probes',
  'criu reads the image',
  'criu pre-restore action',
  'criu files and mappings',
  'criu memory pages',
  'criu the rest',
  'handover to the app',
  'fresh randomness',
  'restore environment',
  'reopen files',
  'afterRestore: fastify server',
  'first request',
];

t.test('pnpm bench: each launcher\'s restore of hello in its measured phases, which add up to its first 200', async (t) => {
  const summaries = runScript(t, 'run.js', ['--runs', '1', '--examples', 'hello', '--requests', '50'], 'node-crac-bench-');
  t.equal(summaries?.length, 1, 'one summary, of hello');
  const [hello] = summaries ?? [{}];
  for (const [kind, launcherPhases] of [['fastRestore', ['launcher exec']], ['restore', ['node exec', 'node bootstrap and crac modules']]]) {
    const phases = hello[`${kind}Phases`] ?? [];
    t.same(phases.map((p) => p.phase), [...launcherPhases, ...RESTORE_PHASES], `${kind}: every phase, in order`);
    t.ok(phases.every((p) => Number.isFinite(p.ms)), `${kind}: each phase has a duration`);
    const sum = phases.reduce((total, p) => total + p.ms, 0);
    t.ok(Math.abs(sum - hello[`${kind}Ms`]) < 0.01, `${kind}: the phases add up to the first 200 (${sum} against ${hello[`${kind}Ms`]} ms)`);
  }
});

t.test('node bench/imageSize.js: the same image restored eagerly and lazily', async (t) => {
  const result = runScript(t, 'imageSize.js', ['--sizes', '20', '--runs', '1', '--requests', '50'], 'crac-bench-image-size-');
  const [size] = result?.sizes ?? [{ runs: [] }];
  t.equal(size.heapMb, 20);
  t.ok(size.imageSizeBytes > 20 * 2 ** 20, `the image holds the heap (${size.imageSizeBytes} bytes)`);
  for (const mode of ['eager', 'lazy']) {
    t.ok(size.runs[0]?.[mode]?.firstOkMs > 0, `${mode}: answered 200`);
    t.ok(Number.isFinite(size.runs[0]?.[mode]?.p99), `${mode}: its first requests answered`);
  }
});
