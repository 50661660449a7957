'use strict';
// `node bench/run.js --connections`: what clients that open new connections
// see during a `--leave-running` checkpoint and during a restore, with the
// port closed by the app as before, and held by the launcher (--listen, or a
// supervisor's socket passed as systemd does: LISTEN_FDS). Only to 127.0.0.1,
// bounded in count and time.
const { closeSync, readFileSync, rmSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { CRAC_BIN } = require('./crac');
const { countOutcomes, startConnectionLoad } = require('./connectionLoad');
const { waitFor200 } = require('./http');
const { freePort } = require('./ports');
const { start, stop, waitPortFree } = require('./processes');

const { loadBridge } = require(join(dirname(require.resolve('node-crac/package.json')), 'dist', 'native', 'bridge.js'));

/** One new connection every INTERVAL_MS (250 a second), at most LIMIT per measurement. */
const INTERVAL_MS = 4;
const LIMIT = 5000;
/** Load before the checkpoint starts, and after it ended. */
const LEAD_MS = 300;
const TAIL_MS = 500;
/** A restore is measured until its copy answered this many, within RESTORE_LIMIT_MS. */
const RESTORE_ANSWERS = 100;
const RESTORE_LIMIT_MS = 30_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The one child of `pid`: the app `crac run` started. */
function childOf(pid) {
  const [child] = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  if (!child) throw new Error(`crac run (pid ${pid}) has no child`);
  return Number(child);
}

/**
 * `crac run [--listen 127.0.0.1:PORT] -- node server.js`, then `crac checkpoint
 * --pid --leave-running` under the load: counts of the connections opened from
 * the start of the checkpoint to the end of the load. Leaves the image in `imageDir`.
 */
async function checkpointUnderLoad({ node, example, listen, imageDir, logFile }) {
  const port = await freePort();
  const args = [CRAC_BIN, 'run', ...(listen ? ['--listen', `127.0.0.1:${port}`] : []), '--', node, 'server.js'];
  const run = start(node, args, { cwd: example.dir, env: { ...example.env, PORT: String(port) }, logFile });
  try {
    await waitFor200(`http://127.0.0.1:${port}${example.readyPath}`, { alive: run.alive, intervalMs: 20 });
    const load = startConnectionLoad({ port, path: example.readyPath, intervalMs: INTERVAL_MS, limit: LIMIT });
    await sleep(LEAD_MS);
    const from = performance.now();
    const checkpoint = start(node, [CRAC_BIN, 'checkpoint', '--pid', String(childOf(run.pid)), '--image', imageDir, '--leave-running'], { logFile });
    const { code } = await checkpoint.exited;
    const checkpointMs = performance.now() - from;
    await sleep(TAIL_MS);
    const outcomes = (await load.stop()).filter((o) => o.sentAt >= from);
    if (code !== 0) throw new Error(`crac checkpoint --pid of ${example.name} failed (exit ${code}); see ${logFile}`);
    return { ...countOutcomes(outcomes), checkpointMs, longestWaitMs: longestWait(outcomes) };
  } finally {
    await stop(run);
    await waitPortFree(port);
  }
}

/**
 * `crac restore` of `imageDir` with the load running from the moment the
 * restore is started until the copy answered RESTORE_ANSWERS: the port
 * 'closed' (--env PORT), bound by the restore itself ('--listen'), or held by a
 * supervisor from before ('LISTEN_FDS': the socket passed as fd 3).
 */
async function restoreUnderLoad({ node, example, imageDir, holder, logFile }) {
  const port = await freePort();
  let fd;
  let restorer;
  if (holder === 'LISTEN_FDS') {
    fd = loadBridge().listenTcp('127.0.0.1', port, 511, false);
    const script = 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"';
    try {
      restorer = start('/bin/sh', ['-c', script, node, CRAC_BIN, 'restore', imageDir], { logFile, inherited: [fd] });
    } finally {
      closeSync(fd);
    }
  }
  const from = performance.now();
  const load = startConnectionLoad({ port, path: example.readyPath, intervalMs: INTERVAL_MS, limit: LIMIT });
  if (holder === 'closed') restorer = start(node, [CRAC_BIN, 'restore', imageDir, '--env', `PORT=${port}`], { logFile });
  if (holder === '--listen') restorer = start(node, [CRAC_BIN, 'restore', imageDir, '--listen', `127.0.0.1:${port}`], { logFile });
  try {
    let firstAnswered;
    while (performance.now() - from < RESTORE_LIMIT_MS && restorer.alive()) {
      if (firstAnswered === undefined && load.answered() > 0) firstAnswered = performance.now();
      if (load.answered() >= RESTORE_ANSWERS) break;
      await sleep(5);
    }
    const outcomes = await load.stop();
    if (load.answered() === 0) throw new Error(`the copy restored from ${imageDir} (${holder}) answered nothing; see ${logFile}`);
    return { ...countOutcomes(outcomes), firstAnswerMs: (firstAnswered ?? performance.now()) - from, longestWaitMs: longestWait(outcomes) };
  } finally {
    await stop(restorer);
    await waitPortFree(port);
  }
}

/** The longest an answered request took, from its connect to its answer. */
function longestWait(outcomes) {
  return Math.max(0, ...outcomes.filter((o) => o.outcome === 'answered').map((o) => o.endedAt - o.sentAt));
}

/**
 * `runs` interleaved rounds per example: checkpoint without and with --listen,
 * then a restore of each image (closed, --listen, LISTEN_FDS). Returns the
 * samples of every round, by example.
 */
async function measureConnections({ node, examples, runs, work, log }) {
  const byExample = examples.map((example) => ({ name: example.name, description: example.description, rounds: [] }));
  for (let run = 1; run <= runs; run++) {
    for (const [i, example] of examples.entries()) {
      const round = { checkpoint: {}, restore: {} };
      for (const listen of [false, true]) {
        const imageDir = join(work.dir, `image-${example.name}-${run}-${listen ? 'listen' : 'closed'}`);
        round.checkpoint[listen ? '--listen' : 'closed'] = await checkpointUnderLoad({ node, example, listen, imageDir, logFile: work.logFile });
        for (const holder of listen ? ['--listen', 'LISTEN_FDS'] : ['closed']) {
          round.restore[holder] = await restoreUnderLoad({ node, example, imageDir, holder, logFile: work.logFile });
        }
        rmSync(imageDir, { recursive: true, force: true });
      }
      byExample[i].rounds.push(round);
      const c = round.checkpoint;
      const r = round.restore;
      log(`run ${run}/${runs} ${example.name}: refused during checkpoint ${c.closed.refused} -> ${c['--listen'].refused}, ` +
        `during restore ${r.closed.refused} -> ${r['--listen'].refused} (--listen), ${r.LISTEN_FDS.refused} (LISTEN_FDS)`);
    }
  }
  return byExample;
}

/** Sums of every count over the rounds, and the medians of the times, per phase and variant. */
function summarizeConnections(byExample) {
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  return byExample.map(({ name, description, rounds }) => {
    const phase = (key, variants, timeKey) => Object.fromEntries(variants.map((variant) => {
      const samples = rounds.map((round) => round[key][variant]);
      const sum = (field) => samples.reduce((total, s) => total + s[field], 0);
      return [variant, {
        sent: sum('sent'), answered: sum('answered'), refused: sum('refused'), reset: sum('reset'), other: sum('other'),
        [timeKey]: median(samples.map((s) => s[timeKey])), longestWaitMs: Math.max(...samples.map((s) => s.longestWaitMs)),
      }];
    }));
    return {
      name,
      description,
      runs: rounds.length,
      checkpoint: phase('checkpoint', ['closed', '--listen'], 'checkpointMs'),
      restore: phase('restore', ['closed', '--listen', 'LISTEN_FDS'], 'firstAnswerMs'),
    };
  });
}

module.exports = { measureConnections, summarizeConnections, INTERVAL_MS, LEAD_MS, TAIL_MS, RESTORE_ANSWERS };
