'use strict';
// The `crac` CLI as a user runs it: `crac checkpoint` and `crac restore`.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { start } = require('./processes');

const CRAC_BIN = join(dirname(require.resolve('node-crac/package.json')), 'bin', 'crac.js');

/**
 * `crac checkpoint` of `node server.js` in the example's folder, then GET
 * warm-up requests; resolves with crac.json. Readiness comes from the adapter
 * (notifyReady once it listens and ran the app's own warm-up), so the
 * command's requests never overlap the app's warm-up.
 */
async function checkpoint({ node, example, imageDir, port, warmupPaths, warmupRequests, env = {}, logFile }) {
  const base = `http://127.0.0.1:${port}`;
  const args = [CRAC_BIN, 'checkpoint', '--image', imageDir];
  for (const path of warmupPaths) args.push('--warmup-url', base + path);
  args.push('--warmup-requests', String(warmupRequests), '--', node, 'server.js');
  const started = performance.now();
  const proc = start(node, args, { cwd: example.dir, env: { ...example.env, ...env, PORT: String(port) }, logFile });
  const { code, signal } = await proc.exited;
  if (code !== 0) throw new Error(`crac checkpoint of ${example.name} failed (${signal ?? `exit ${code}`}); see ${logFile}`);
  return { meta: JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')), wallMs: performance.now() - started };
}

/**
 * Starts `crac restore DIR --env PORT=port` in the background; stop it by its
 * PID. With `timings` ({ command, app }: two files that do not exist yet), the
 * command and the restored copy write there when each of their phases ended
 * (restoreBreakdown.js). The command runs on the apps' Node, as it would where
 * that Node is installed.
 */
function restore({ node = process.execPath, imageDir, port, logFile, timings }) {
  const args = [CRAC_BIN, 'restore', imageDir, '--env', `PORT=${port}`, ...(timings ? ['--env', `CRAC_RESTORE_TIMINGS=${timings.app}`] : [])];
  return start(node, args, { env: timings ? { CRAC_RESTORE_TIMINGS: timings.command } : {}, logFile });
}

module.exports = { CRAC_BIN, checkpoint, restore };
