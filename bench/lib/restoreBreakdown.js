'use strict';
// Where a restore's time goes: CRIU's own restore (from its log) and the start
// of the `crac` command (Node plus the CLI's modules). The rest is the restore
// helper, the app's afterRestore hooks and its first request.
const { spawnSync } = require('node:child_process');
const { readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { CRAC_BIN } = require('./crac');

/** `crac restore --keep-log` leaves CRIU's log here (named after the restorer's PID). */
function restoreLogPath(restorerPid) {
  return join(tmpdir(), `node-crac-restore-${restorerPid}.log`);
}

/** CRIU's time from its start to "Restore finished successfully", in ms; the log is removed. */
function takeCriuRestoreMs(restorerPid) {
  const path = restoreLogPath(restorerPid);
  try {
    return criuRestoreMsFromLog(readFileSync(path, 'utf8'));
  } catch {
    return NaN;
  } finally {
    rmSync(path, { force: true });
  }
}

function criuRestoreMsFromLog(text) {
  const match = /^\(\s*([\d.]+)\) Restore finished successfully/m.exec(text);
  return match ? Number(match[1]) * 1000 : NaN;
}

/** How long `crac restore --help` takes: starting Node and loading the restore command's modules. */
function cracCommandStartMs(node) {
  const started = performance.now();
  spawnSync(node, [CRAC_BIN, 'restore', '--help'], { stdio: 'ignore' });
  return performance.now() - started;
}

module.exports = { takeCriuRestoreMs, criuRestoreMsFromLog, cracCommandStartMs };
