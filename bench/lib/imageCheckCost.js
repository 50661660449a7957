'use strict';
// The cost of the checks `crac restore` runs on an image before CRIU starts.
//
// As a script, `node imageCheckCost.js default|verify DIR` runs the compiled
// checks of packages/core/dist once, in this fresh process, exactly as
// src/cli/restore.ts calls them, and prints the time around them (module
// loading excluded: that is part of the `crac` command's start) as JSON:
//   default: readSealedImage (trusted directory, crac.json and its digest),
//            checkImageFiles (sizes, no stray files), checkImageRunsHere
//   verify:  the same with verifyImageContent (SHA-256 of every file) in
//            place of checkImageFiles, as `crac restore --verify` runs them
// As a module, measureImageChecks() runs the script `repeats` times per mode,
// and `crac verify DIR` as a whole command, and returns the medians.
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { median } = require('./stats');

const CORE_DIST = join(dirname(require.resolve('node-crac/package.json')), 'dist');
const CRAC_BIN = join(dirname(require.resolve('node-crac/package.json')), 'bin', 'crac.js');
const MODES = ['default', 'verify'];

/** One set of checks in this process; returns the milliseconds they took. */
function runChecks(mode, dir) {
  const { readSealedImage } = require(join(CORE_DIST, 'image', 'imageDir.js'));
  const { checkImageFiles, verifyImageContent } = require(join(CORE_DIST, 'image', 'imageIntegrity.js'));
  const { checkImageRunsHere } = require(join(CORE_DIST, 'image', 'imageChecks.js'));
  const started = performance.now();
  const meta = readSealedImage(dir);
  if (mode === 'verify') verifyImageContent(dir, meta);
  else checkImageFiles(dir, meta);
  checkImageRunsHere(meta);
  return performance.now() - started;
}

function failed(what, result) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  return new Error(`${what} failed (${result.error?.message ?? result.signal ?? `exit ${result.status}`})${output ? `:\n${output}` : ''}`);
}

/** The checks of `mode` in a fresh `node` process: the in-process milliseconds. */
function checksInFreshProcess(node, mode, dir) {
  const result = spawnSync(node, [__filename, mode, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw failed(`image checks (${mode}) of ${dir}`, result);
  return JSON.parse(result.stdout).ms;
}

/** `crac verify DIR` as a user runs it, from spawn to exit. */
function verifyCommandMs(node, dir) {
  const started = performance.now();
  const result = spawnSync(node, [CRAC_BIN, 'verify', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (result.status !== 0) throw failed(`crac verify ${dir}`, result);
  return ms;
}

/**
 * Medians of `repeats` runs of each: the default checks, the --verify checks
 * and `crac verify DIR`, interleaved. With the image's size and file count
 * from its crac.json.
 */
function measureImageChecks({ node = process.execPath, imageDir, repeats = 10 }) {
  const dir = resolve(imageDir);
  const meta = JSON.parse(readFileSync(join(dir, 'crac.json'), 'utf8'));
  const times = { defaultMs: [], verifyMs: [], verifyCommandMs: [] };
  for (let i = 0; i < repeats; i++) {
    times.defaultMs.push(checksInFreshProcess(node, 'default', dir));
    times.verifyMs.push(checksInFreshProcess(node, 'verify', dir));
    times.verifyCommandMs.push(verifyCommandMs(node, dir));
  }
  return {
    imageBytes: meta.imageSizeBytes,
    files: Object.keys(meta.files ?? {}).length,
    repeats,
    defaultMs: median(times.defaultMs),
    verifyMs: median(times.verifyMs),
    verifyCommandMs: median(times.verifyCommandMs),
  };
}

/** One example's row of results.json's imageChecks from its images' measurements (medians over the images). */
function summarizeImageChecks(name, measurements) {
  const m = (key) => median(measurements.map((x) => x[key]));
  return {
    name,
    images: measurements.length,
    imageBytes: m('imageBytes'),
    files: m('files'),
    defaultMs: m('defaultMs'),
    verifyMs: m('verifyMs'),
    verifyCommandMs: m('verifyCommandMs'),
  };
}

if (require.main === module) {
  const [mode, dir] = process.argv.slice(2);
  if (!MODES.includes(mode) || !dir) {
    process.stderr.write(`usage: node imageCheckCost.js ${MODES.join('|')} DIR\n`);
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify({ mode, ms: runChecks(mode, resolve(dir)) })}\n`);
}

module.exports = { measureImageChecks, summarizeImageChecks, runChecks };
