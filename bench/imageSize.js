#!/usr/bin/env node
'use strict';
// The image-size curve: a server holding 20 to 500 MB (fixtures/large-heap),
// checkpointed once per size, then restored eagerly and lazily in alternating
// order; bench/image-size.json and bench/IMAGE-SIZE.md. Lazy restore is not a
// node-crac feature: this measures whether it would pay off.
// Usage: node bench/imageSize.js [--sizes 20,100,250,500] [--runs 3] [--requests 1000] [--no-report]
// (`--no-report` prints the measured sizes as JSON and writes nothing).
// `--render` measures nothing: it rewrites IMAGE-SIZE.md from image-size.json.
const { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { cpus, tmpdir } = require('node:os');
const { join } = require('node:path');
const { parseArgs } = require('node:util');
const { checkpoint, PACKAGE_DIR, restore } = require('./lib/crac');
const { measureStartedServer } = require('./lib/measure');
const { start, stop, waitPortFree } = require('./lib/processes');
const { freePort } = require('./lib/ports');
const { imageSizeReport, MODES, summarizeImageSizes } = require('./lib/imageSize');

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: {
    sizes: { type: 'string', default: '20,100,250,500' },
    runs: { type: 'string', default: '3' },
    requests: { type: 'string', default: '1000' },
    render: { type: 'boolean', default: false },
    'no-report': { type: 'boolean', default: false },
  },
});
const RESULTS_FILE = join(__dirname, 'image-size.json');
const writeReport = (result) => writeFileSync(join(__dirname, 'IMAGE-SIZE.md'), imageSizeReport({ ...result, summary: summarizeImageSizes(result.sizes) }));
if (opts.render) {
  writeReport(JSON.parse(readFileSync(RESULTS_FILE, 'utf8')));
  process.exit(0);
}
const sizes = opts.sizes.split(',').map(Number);
const runs = Number(opts.runs);
const requests = Number(opts.requests);
if (![...sizes, runs, requests].every((n) => Number.isInteger(n) && n >= 1)) {
  process.stderr.write('usage: node bench/imageSize.js [--sizes 20,100,250,500] [--runs 3] [--requests 1000] [--no-report] (positive integers)\n');
  process.exit(2);
}
const { locateCriu } = require(join(PACKAGE_DIR, 'dist', 'engines', 'criu', 'locate.js'));
const criu = locateCriu();
const log = (line) => process.stdout.write(`${line}\n`);

async function waitForFile(path, alive, timeoutMs = 10_000) {
  for (const deadline = Date.now() + timeoutMs; !existsSync(path); await new Promise((r) => setTimeout(r, 1))) {
    if (!alive()) throw new Error(`criu lazy-pages ended before it made ${path}`);
    if (Date.now() > deadline) throw new Error(`criu lazy-pages made no ${path} in ${timeoutMs} ms`);
  }
}

/** One restore of imageDir, eager or lazy, timed from its first command to the first 200. */
async function measure(mode, { imageDir, example, workDir, logFile }) {
  const port = await freePort();
  const plan = [{ method: 'GET', path: '/' }];
  const startedAt = performance.now();
  if (mode === 'eager') return measureStartedServer(restore({ imageDir, port, logFile }), startedAt, { example, port, plan, requests });
  const lazyDir = mkdtempSync(join(workDir, 'lazy-'));
  const daemon = start(criu.path, ['lazy-pages', '-D', imageDir, '-W', lazyDir, '-o', join(lazyDir, 'lazy-pages.log')], { logFile });
  try {
    await waitForFile(join(lazyDir, 'lazy-pages.socket'), daemon.alive);
    const proc = start(process.execPath, [join(PACKAGE_DIR, 'bin', 'crac.js'), 'restore', imageDir, '--env', `PORT=${port}`], {
      env: { CRAC_CRIU_RESTORE_ARGS: `--lazy-pages -W ${lazyDir}` },
      logFile,
    });
    return await measureStartedServer(proc, startedAt, { example, port, plan, requests });
  } finally {
    await stop(daemon);
    rmSync(lazyDir, { recursive: true, force: true });
  }
}

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), 'crac-bench-image-size-'));
  const logFile = join(workDir, 'servers.log');
  try {
    const measured = [];
    for (const heapMb of sizes) {
      const example = { name: `large-heap ${heapMb} MB`, dir: join(__dirname, 'fixtures', 'large-heap'), readyPath: '/', env: { HEAP_MB: String(heapMb) } };
      const imageDir = join(workDir, `image-${heapMb}`);
      const port = await freePort();
      const { meta } = await checkpoint({ node: process.execPath, example, imageDir, port, warmupPaths: ['/'], warmupRequests: 200, logFile });
      await waitPortFree(port);
      const size = { heapMb, imageSizeBytes: meta.imageSizeBytes, runs: [] };
      for (let run = 0; run < runs; run++) {
        const record = {};
        for (const mode of run % 2 === 0 ? MODES : [...MODES].reverse()) {
          const { latencies, ...result } = await measure(mode, { imageDir, example, workDir, logFile });
          record[mode] = result;
          log(`${heapMb} MB, run ${run + 1}, ${mode}: first 200 after ${result.firstOkMs.toFixed(0)} ms, p99 ${result.p99.toFixed(2)} ms`);
        }
        size.runs.push(record);
      }
      measured.push(size);
      rmSync(imageDir, { recursive: true, force: true });
    }
    const command = `node bench/imageSize.js --sizes ${sizes.join(',')} --runs ${runs}`;
    const result = { command, node: process.version, criu: criu.version, machine: `${cpus()[0]?.model} (${cpus().length} cores)`, requests, sizes: measured };
    if (opts['no-report']) {
      log(JSON.stringify(result, null, 2));
    } else {
      writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
      writeReport(result);
      log('wrote bench/image-size.json, bench/IMAGE-SIZE.md');
    }
    rmSync(workDir, { recursive: true, force: true });
  } catch (error) {
    log(`${error.stack || error}\nserver logs kept in ${logFile}`);
    for (const name of readdirSync(workDir)) if (name !== 'servers.log') rmSync(join(workDir, name), { recursive: true, force: true });
    process.exitCode = 1;
  }
}

main();
