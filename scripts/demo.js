#!/usr/bin/env node
'use strict';
// `pnpm demo`: the realistic example started cold and timed to its first 200,
// checkpointed after a warm-up with `crac checkpoint`, restored with
// `crac restore` and timed, again with `crac-restore` (without starting Node),
// then restored twice at once on two ports. Prints a
// table; stops everything it started (by PID) and removes the image.
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { findExample } = require('../bench/lib/examples');
const { checkpoint, fastRestore, restore } = require('../bench/lib/crac');
const { start, stop, waitPortFree } = require('../bench/lib/processes');
const { request, waitFor200 } = require('../bench/lib/http');
const { freePort } = require('../bench/lib/ports');
const { pidListeningOn, rssOf } = require('../bench/lib/rss');

const WARMUP_REQUESTS_TOTAL = 2000;
const example = findExample('realistic');
const workDir = mkdtempSync(join(tmpdir(), 'node-crac-demo-'));
const logFile = join(workDir, 'servers.log');
const running = new Set();

const say = (line) => process.stdout.write(`${line}\n`);
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Starts a server process, waits for its first 200 and returns the time it took. */
async function timedStart(launch, port) {
  const startedAt = performance.now();
  const proc = launch();
  running.add(proc);
  const okAt = await waitFor200(`http://127.0.0.1:${port}${example.readyPath}`, { alive: proc.alive });
  return { proc, ms: okAt - startedAt, rss: rssOf(pidListeningOn(port)) };
}

async function stopServer(proc, port) {
  await stop(proc);
  running.delete(proc);
  await waitPortFree(port);
}

async function main() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  say(`1. cold start: node server.js in examples/${example.name} (${example.description})`);
  const cold = await timedStart(() => start(process.execPath, ['server.js'], { cwd: example.dir, env: { ...example.env, PORT: String(port) }, logFile }), port);
  say(`   first 200 after ${Math.round(cold.ms)} ms`);
  const plan = await example.loadPlan(base);
  await stopServer(cold.proc, port);

  say('2. crac checkpoint: start it again, warm it up, write the image');
  const warmupPaths = [...new Set(plan.filter((s) => s.method === 'GET').map((s) => s.path))];
  const imageDir = join(workDir, 'image');
  const { meta, wallMs } = await checkpoint({
    node: process.execPath, example, imageDir, port, warmupPaths,
    warmupRequests: Math.ceil(WARMUP_REQUESTS_TOTAL / warmupPaths.length), logFile,
  });
  say(`   image ${mb(meta.imageSizeBytes)} (RSS ${mb(meta.heap.rssBeforeBytes)} before the heap shrink), checkpoint ${meta.checkpointDurationMs} ms`);

  say(`3. crac restore ${imageDir}`);
  // Each restore on a port of its own: one freed a phase ago may be taken by then.
  const restoredPort = await freePort();
  const restored = await timedStart(() => restore({ imageDir, port: restoredPort, logFile }), restoredPort);
  const health = JSON.parse((await request(`http://127.0.0.1:${restoredPort}/health`)).body);
  say(`   first 200 after ${Math.round(restored.ms)} ms; /health: PostgreSQL and Redis ${health.status}`);
  await stopServer(restored.proc, restoredPort);

  say(`4. crac-restore ${imageDir}: the same restore without starting Node`);
  const fastPort = await freePort();
  const fast = await timedStart(() => fastRestore({ imageDir, port: fastPort, logFile }), fastPort);
  say(`   first 200 after ${Math.round(fast.ms)} ms`);
  await stopServer(fast.proc, fastPort);

  say('5. two copies of the image at once, on two ports');
  const ports = [await freePort(), await freePort()];
  const copies = await Promise.all(ports.map((p) => timedStart(() => restore({ imageDir, port: p, logFile }), p)));
  const answers = await Promise.all(ports.map(async (p) => (await request(`http://127.0.0.1:${p}/api/orders/count`)).status));
  say(`   both answer: ${ports.map((p, i) => `:${p} -> ${answers[i]}`).join(', ')}`);
  await Promise.all(copies.map((copy, i) => stopServer(copy.proc, ports[i])));

  const rows = [
    ['cold start (node server.js)', `${Math.round(cold.ms)} ms`, mb(cold.rss)],
    ['crac restore', `${Math.round(restored.ms)} ms (${(cold.ms / restored.ms).toFixed(1)}x faster)`, mb(restored.rss)],
    ['crac-restore', `${Math.round(fast.ms)} ms (${(cold.ms / fast.ms).toFixed(1)}x faster)`, mb(fast.rss)],
    ...copies.map((copy, i) => [`two at once, copy ${i + 1} (port ${ports[i]})`, `${Math.round(copy.ms)} ms`, mb(copy.rss)]),
  ];
  say('');
  say(`examples/${example.name}: time to the first HTTP 200`);
  say(`| start | first 200 | RSS |\n|---|---:|---:|`);
  for (const r of rows) say(`| ${r.join(' | ')} |`);
  say(`checkpoint: ${Math.round(wallMs)} ms for the whole crac checkpoint command (start, warm-up ${WARMUP_REQUESTS_TOTAL} requests, dump); image ${mb(meta.imageSizeBytes)}`);
}

async function cleanUp() {
  await Promise.all([...running].map((proc) => stop(proc)));
  rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}

main()
  .catch((error) => {
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      // no server ever wrote anything
    }
    process.stderr.write(`demo failed: ${error.message}\n${tail ? `--- last lines of the servers' output ---\n${tail}\n` : ''}`);
    process.exitCode = 1;
  })
  .finally(cleanUp);
