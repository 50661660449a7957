#!/usr/bin/env node
'use strict';
// The benchmark: for each example, N interleaved runs of a cold start, a cold
// start with Node's compile cache (Node 22+), a checkpoint with and without
// heap shrink, and two restores of the first, by `crac restore` and by
// `crac-restore`; then bench/REPORT.md, bench/results.json and
// bench/chart.svg. Usage: pnpm bench [--runs 5] [--requests 1000]
// [--examples hello,realistic] [--node /path/to/node | --node 24.9.0] [--no-report]
// Each run also times the checks `crac restore` makes on its image (lib/imageCheckCost.js).
// `node bench/run.js --render` measures nothing: it rewrites REPORT.md and
// chart.svg from the committed results.json, after a change to how they are drawn.
// `node bench/run.js --image-checks [--repeats 10] [--examples a,b] [--node ...]`
// measures only those checks, on one fresh image per example, and puts them in
// results.json's imageChecks (the rest of it stays as it is), then renders.
// `node bench/run.js --other-node 22.23.3 [--runs 5]` runs the same measurements
// with another Node and puts them in results.json's otherNodes, then renders.
// `node bench/run.js --connections [--runs 3] [--examples a,b] [--node ...]`
// counts answered, refused and reset new connections during a --leave-running
// checkpoint and a restore, with the port closed by the app and held by the
// launcher (--listen, LISTEN_FDS), into results.json's connections; then renders.
const { execFileSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { EXAMPLES, findExample } = require('./lib/examples');
const { checkpoint } = require('./lib/crac');
const { measureColdStart, measureRestore } = require('./lib/measure');
const { start, stop, waitPortFree } = require('./lib/processes');
const { waitFor200 } = require('./lib/http');
const { freePort } = require('./lib/ports');
const { describeMachine } = require('./lib/machine');
const { RESTORES, summarize } = require('./lib/summary');
const { renderReport } = require('./lib/report');
const { renderChart } = require('./lib/chart');
const { measureImageChecks, summarizeImageChecks } = require('./lib/imageCheckCost');
const { INTERVAL_MS, LEAD_MS, measureConnections, RESTORE_ANSWERS, summarizeConnections, TAIL_MS } = require('./lib/connections');

const WARMUP_REQUESTS_TOTAL = 2000;
// Runs of each image check per image in a full benchmark (--image-checks: --repeats).
const IMAGE_CHECK_REPEATS = 5;

// `pnpm bench -- --runs 3` hands the script a literal `--` first: skip it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
let opts;
try {
  ({ values: opts } = parseArgs({
    args,
    options: {
      runs: { type: 'string', default: '5' },
      requests: { type: 'string', default: '1000' },
      examples: { type: 'string', default: EXAMPLES.map((e) => e.name).join(',') },
      node: { type: 'string', default: process.execPath },
      'no-report': { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      'image-checks': { type: 'boolean', default: false },
      connections: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '10' },
      'other-node': { type: 'string' },
    },
  }));
} catch (error) {
  process.stderr.write(`${error.message}\nusage: pnpm bench [--runs 5] [--requests 1000] [--examples a,b] [--node PATH|VERSION] [--no-report] | --render | --image-checks [--repeats 10] [--examples a,b] [--node PATH|VERSION] | --connections [--runs N] [--examples a,b] [--node PATH|VERSION] | --other-node PATH|VERSION [--runs 5]\n`);
  process.exit(2);
}
const runs = Number(opts.runs);
const requests = Number(opts.requests);
const repeats = Number(opts.repeats);
if (![runs, requests, repeats].every((n) => Number.isInteger(n) && n >= 1)) {
  process.stderr.write('--runs, --requests and --repeats take positive integers\n');
  process.exit(2);
}
const examples = opts.examples.split(',').map(findExample);
// --render starts no Node: none to resolve (nor to provision).
const node = opts.render ? null : resolveNode(opts['other-node'] ?? opts.node);
const RESULTS_FILE = join(__dirname, 'results.json');

/** A path is used as it is; a version (24.9.0) is provisioned by scripts/provision-node.sh. */
function resolveNode(given) {
  if (!/^\d+\.\d+\.\d+$/.test(given)) return given;
  const script = join(__dirname, '..', 'scripts', 'provision-node.sh');
  return execFileSync('bash', [script, given], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
}

const log = (line) => process.stdout.write(`${line}\n`);

/** results.json, then REPORT.md and chart.svg from it; with --no-report, only `part` printed (`what` names it). */
function saveResult(result, part, what) {
  if (opts['no-report']) {
    log(JSON.stringify(part, null, 2));
    return;
  }
  writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  writeReport(result);
  log(`wrote bench/results.json (${what}), bench/REPORT.md, bench/chart.svg`);
}

/** A mode that failed: its work directory emptied but for the servers' log (images hold process memory), the error said, exit code 1. */
function failed(what, work, error) {
  for (const entry of readdirSync(work.dir)) if (join(work.dir, entry) !== work.logFile) rmSync(join(work.dir, entry), { recursive: true, force: true });
  log(`${what} failed: ${error.stack || error}\nserver logs kept in ${work.logFile}`);
  process.exitCode = 1;
}

/** bench/chart.svg and bench/REPORT.md from the results of a run. */
function writeReport(result) {
  writeFileSync(join(__dirname, 'chart.svg'), renderChart(result.summaries));
  writeFileSync(join(__dirname, 'REPORT.md'), renderReport(result));
}

function hasCompileCache() {
  const probe = "process.stdout.write(String(typeof require('node:module').enableCompileCache === 'function'))";
  return execFileSync(node, ['-e', probe], { encoding: 'utf8' }) === 'true';
}

/**
 * One unmeasured start per example: reads its load plan, fills the compile
 * cache, and brings its files into the page cache so that the first measured
 * cold start is not penalized.
 */
async function prepare(example, work) {
  const port = await freePort();
  const env = { ...example.env, PORT: String(port) };
  if (work.compileCache) env.NODE_COMPILE_CACHE = join(work.dir, `compile-cache-${example.name}`);
  const proc = start(node, ['server.js'], { cwd: example.dir, env, logFile: work.logFile });
  try {
    await waitFor200(`http://127.0.0.1:${port}${example.readyPath}`, { alive: proc.alive, intervalMs: 20 });
    return await example.loadPlan(`http://127.0.0.1:${port}`);
  } finally {
    await stop(proc);
    await waitPortFree(port);
  }
}

/** `crac checkpoint` of the example as every run makes it: warmed up by its GET routes. */
async function checkpointExample(example, plan, work, { imageDir, port, env }) {
  const warmupPaths = [...new Set(plan.filter((step) => step.method === 'GET').map((step) => step.path))];
  const warmupRequests = Math.ceil(WARMUP_REQUESTS_TOTAL / warmupPaths.length);
  const result = await checkpoint({ node, example, imageDir, port, warmupPaths, warmupRequests, env, logFile: work.logFile });
  await waitPortFree(port);
  return result;
}

async function oneRun(example, plan, work, run) {
  const port = await freePort();
  const common = { node, example, port, plan, requests, logFile: work.logFile };
  const sample = { cold: await measureColdStart(common) };
  if (work.compileCache) sample.compileCache = await measureColdStart({ ...common, compileCacheDir: join(work.dir, `compile-cache-${example.name}`) });

  const imageDir = join(work.dir, `image-${example.name}-${run}`);
  const shrunk = await checkpointExample(example, plan, work, { imageDir, port });
  sample.checkpoint = { wallMs: shrunk.wallMs, meta: shrunk.meta };
  // Which launcher restores first alternates over the runs: neither always follows the other.
  const restores = run % 2 ? RESTORES : [...RESTORES].reverse();
  for (const { kind, launcher } of restores) {
    sample[kind] = await measureRestore({ launcher, node, imageDir, example, port, plan, requests, logFile: work.logFile, workDir: work.dir });
  }
  sample.imageChecks = measureImageChecks({ node, imageDir, repeats: IMAGE_CHECK_REPEATS });
  rmSync(imageDir, { recursive: true, force: true });

  const fullDir = `${imageDir}-no-shrink`;
  const full = await checkpointExample(example, plan, work, { imageDir: fullDir, port, env: { CRAC_HEAP_SHRINK: '0' } });
  sample.checkpointNoShrink = { wallMs: full.wallMs, meta: full.meta };
  rmSync(fullDir, { recursive: true, force: true });
  return sample;
}

/** Every run of every example, interleaved; the samples per example and its load plan. */
async function measureAll(work) {
  const plans = new Map();
  for (const example of examples) plans.set(example.name, await prepare(example, work));
  const samples = new Map(examples.map((e) => [e.name, []]));
  // Interleaved: run i of every example before run i+1 of any, so drift on the
  // machine (page cache, other load) spreads over all of them alike.
  for (let run = 1; run <= runs; run++) {
    for (const example of examples) {
      const sample = await oneRun(example, plans.get(example.name), work, run);
      samples.get(example.name).push(sample);
      log(`run ${run}/${runs} ${example.name}: cold ${sample.cold.firstOkMs.toFixed(0)} ms, crac restore ${sample.restore.firstOkMs.toFixed(0)} ms, ` +
        `crac-restore ${sample.fastRestore.firstOkMs.toFixed(0)} ms, ` +
        `image ${(sample.checkpoint.meta.imageSizeBytes / 2 ** 20).toFixed(1)} MB`);
    }
  }
  return { samples, summaries: examples.map((example) => summarize(example, samples.get(example.name), plans.get(example.name))) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'node-crac-bench-'));
  const work = { dir, logFile: join(dir, 'servers.log'), compileCache: hasCompileCache() };
  log(`node-crac benchmark: ${runs} runs x ${examples.map((e) => e.name).join(', ')}; node ${node}; logs in ${work.logFile}`);
  const startedAt = Date.now();
  const loadAtStart = loadavg()[0];
  try {
    const { samples, summaries } = await measureAll(work);
    const criuVersion = samples.get(examples[0].name)[0].checkpoint.meta.criu.version;
    const machine = describeMachine({ node, examplesDir: join(__dirname, '..', 'examples'), criuVersion });
    // Other work on the machine shows in every number: say how busy it was.
    machine.load = `${loadAtStart.toFixed(2)} / ${loadavg()[0].toFixed(2)}`;
    const command = ['pnpm bench', ...args].join(' ');
    const imageChecks = {
      command,
      node: machine.node,
      repeats: IMAGE_CHECK_REPEATS,
      load: machine.load,
      examples: examples.map((e) => summarizeImageChecks(e.name, samples.get(e.name).map((s) => s.imageChecks))),
    };
    const earlier = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
    // The other Node versions' runs stay, but not one of the Node measured here.
    const otherNodes = Object.fromEntries(Object.entries(earlier.otherNodes ?? {}).filter(([version]) => version !== machine.node));
    const result = { command, machine, runs, requests, compileCache: work.compileCache, durationS: Math.round((Date.now() - startedAt) / 1000), summaries, imageChecks, otherNodes, connections: earlier.connections };
    saveResult(result, summaries, 'everything');
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    failed('benchmark', work, error);
  }
}

/**
 * --image-checks: one fresh image per example, checkpointed as in a run, and
 * the checks timed on it; the rest of results.json is kept.
 */
async function imageChecksOnly() {
  const dir = mkdtempSync(join(tmpdir(), 'node-crac-bench-checks-'));
  const work = { dir, logFile: join(dir, 'servers.log') };
  const result = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  log(`node-crac image checks: ${repeats} repeats x ${examples.map((e) => e.name).join(', ')}; node ${node}; logs in ${work.logFile}`);
  const loadAtStart = loadavg()[0];
  try {
    const measured = [];
    for (const example of examples) {
      const plan = await prepare(example, work);
      const port = await freePort();
      const imageDir = join(dir, `image-${example.name}`);
      await checkpointExample(example, plan, work, { imageDir, port });
      const m = measureImageChecks({ node, imageDir, repeats });
      rmSync(imageDir, { recursive: true, force: true });
      measured.push(summarizeImageChecks(example.name, [m]));
      log(`${example.name}: ${(m.imageBytes / 2 ** 20).toFixed(1)} MB, default checks ${m.defaultMs.toFixed(2)} ms, ` +
        `--verify checks ${m.verifyMs.toFixed(2)} ms, crac verify ${m.verifyCommandMs.toFixed(0)} ms`);
    }
    result.imageChecks = {
      command: ['node bench/run.js', ...args].join(' '),
      node: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
      repeats,
      load: `${loadAtStart.toFixed(2)} / ${loadavg()[0].toFixed(2)}`,
      examples: measured,
    };
    saveResult(result, result.imageChecks, 'imageChecks');
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    failed('image checks', work, error);
  }
}

/** --other-node: every run with that Node, into results.json's otherNodes; the rest of it stays as it is. */
async function otherNodeOnly() {
  const result = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (version === result.machine.node) {
    process.stderr.write(`--other-node: the main run is on ${version} already: give another version\n`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'node-crac-bench-node-'));
  const work = { dir, logFile: join(dir, 'servers.log'), compileCache: hasCompileCache() };
  log(`node-crac benchmark on ${version}: ${runs} runs x ${examples.map((e) => e.name).join(', ')}; logs in ${work.logFile}`);
  const loadAtStart = loadavg()[0];
  try {
    const { summaries } = await measureAll(work);
    const measured = { command: ['node bench/run.js', ...args].join(' '), node: version, runs, load: `${loadAtStart.toFixed(2)} / ${loadavg()[0].toFixed(2)}`, summaries };
    result.otherNodes = { ...result.otherNodes, [version]: measured };
    saveResult(result, measured, `otherNodes ${version}`);
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    failed('benchmark', work, error);
  }
}

/** --connections: the connection counts into results.json's connections (the rest of it stays as it is). */
async function connectionsOnly() {
  const dir = mkdtempSync(join(tmpdir(), 'node-crac-bench-connections-'));
  const work = { dir, logFile: join(dir, 'servers.log') };
  const result = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  log(`node-crac connections: ${runs} runs x ${examples.map((e) => e.name).join(', ')}; node ${node}; logs in ${work.logFile}`);
  const loadAtStart = loadavg()[0];
  try {
    const measured = await measureConnections({ node, examples, runs, work, log });
    result.connections = {
      command: ['node bench/run.js', ...args].join(' '),
      node: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
      load: `${loadAtStart.toFixed(2)} / ${loadavg()[0].toFixed(2)}`,
      intervalMs: INTERVAL_MS,
      leadMs: LEAD_MS,
      tailMs: TAIL_MS,
      restoreAnswers: RESTORE_ANSWERS,
      examples: summarizeConnections(measured),
    };
    saveResult(result, result.connections, 'connections');
    rmSync(dir, { recursive: true, force: true });
  } catch (error) {
    failed('connections', work, error);
  }
}

if (opts.render) {
  writeReport(JSON.parse(readFileSync(RESULTS_FILE, 'utf8')));
  log('wrote bench/REPORT.md and bench/chart.svg from bench/results.json');
} else if (opts['image-checks']) {
  imageChecksOnly();
} else if (opts['other-node']) {
  otherNodeOnly();
} else if (opts.connections) {
  connectionsOnly();
} else {
  main();
}
