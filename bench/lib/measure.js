'use strict';
// One measured start of a server, cold or restored: time to its first 200,
// its RSS then and after the load, and the latencies of its first requests.
const { start, stop, waitPortFree } = require('./processes');
const { measureLatencies, waitFor200 } = require('./http');
const { pidListeningOn, rssOf } = require('./rss');
const { fastRestore, restore } = require('./crac');
const { percentile } = require('./stats');
const { join } = require('node:path');
const { restoredFromPlan, restorePhases, takeTimings } = require('./restoreBreakdown');

// What starts a restore, by measureRestore's `launcher`.
const LAUNCHERS = { node: restore, native: fastRestore };

async function measureStartedServer(proc, startedAt, { example, port, plan, requests, onFirstOk = () => {} }) {
  const base = `http://127.0.0.1:${port}`;
  try {
    const okAt = await waitFor200(base + example.readyPath, { alive: proc.alive });
    onFirstOk(okAt);
    const pid = pidListeningOn(port);
    if (!pid) throw new Error(`nothing listens on port ${port} after a 200`);
    const rssAtReady = rssOf(pid);
    const latencies = await measureLatencies(base, plan, requests);
    return {
      firstOkMs: okAt - startedAt,
      rssAtReady,
      rssAfterLoad: rssOf(pid),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      // Without the first requests, which open the pool's connections.
      p99AfterFirst10: percentile(latencies.slice(10), 99),
      latencies,
    };
  } finally {
    await stop(proc);
    await waitPortFree(port);
  }
}

/** `node server.js` as a user starts it; with compileCacheDir, under NODE_COMPILE_CACHE. */
function measureColdStart({ node, example, port, plan, requests, logFile, compileCacheDir }) {
  const env = { ...example.env, PORT: String(port) };
  if (compileCacheDir) env.NODE_COMPILE_CACHE = compileCacheDir;
  const startedAt = performance.now();
  const proc = start(node, ['server.js'], { cwd: example.dir, env, logFile });
  return measureStartedServer(proc, startedAt, { example, port, plan, requests });
}

/**
 * A restore as a user runs it, timed from the command's start, with its phases
 * from the timestamps the command and the restored copy wrote: `launcher`
 * 'node' is `crac restore DIR`, 'native' is `crac-restore DIR`.
 */
async function measureRestore({ launcher, node, imageDir, example, port, plan, requests, logFile, workDir }) {
  const timings = { command: join(workDir, `timings-command-${port}.json`), app: join(workDir, `timings-app-${port}.json`) };
  const startedAt = performance.now();
  const proc = LAUNCHERS[launcher]({ node, imageDir, port, logFile, timings });
  let okAt;
  const result = await measureStartedServer(proc, startedAt, { example, port, plan, requests, onFirstOk: (at) => (okAt = at) });
  const command = takeTimings(timings.command);
  const app = takeTimings(timings.app);
  // A crac-restore that handed over to `crac restore` measured the latter.
  if (launcher === 'native' && !restoredFromPlan(command)) {
    throw new Error(`crac-restore of ${imageDir} did not restore from its plan but ran crac restore (CRAC_RESTORE_EXPLAIN=1 says why); see ${logFile}`);
  }
  const wall = (monotonic) => performance.timeOrigin + monotonic;
  return { ...result, phases: restorePhases({ spawnedAt: wall(startedAt), okAt: wall(okAt), command, app }) };
}

module.exports = { measureColdStart, measureRestore, measureStartedServer };
