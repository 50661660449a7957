'use strict';
// The `crac` CLI as a user runs it: `crac checkpoint`, `crac restore` and `crac-restore`.
const { readFileSync } = require('node:fs');
const { delimiter, dirname, join } = require('node:path');
const { start } = require('./processes');

const PACKAGE_DIR = dirname(require.resolve('node-crac/package.json'));
const CRAC_BIN = join(PACKAGE_DIR, 'bin', 'crac.js');
const CRAC_RESTORE_BIN = join(PACKAGE_DIR, 'bin', 'crac-restore');

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

/** The arguments and environment of a restore of `imageDir` onto `port`, with `timings` as restore() takes them. */
function restoreRequest({ imageDir, port, timings }) {
  return {
    args: [imageDir, '--env', `PORT=${port}`, ...(timings ? ['--env', `CRAC_RESTORE_TIMINGS=${timings.app}`] : [])],
    env: timings ? { CRAC_RESTORE_TIMINGS: timings.command } : {},
  };
}

/**
 * Starts `crac restore DIR --env PORT=port` in the background; stop it by its
 * PID. With `timings` ({ command, app }: two files that do not exist yet), the
 * command and the restored copy write there when each of their phases ended
 * (restoreBreakdown.js). The command runs on the apps' Node, as it would where
 * that Node is installed.
 */
function restore({ node = process.execPath, imageDir, port, logFile, timings }) {
  const { args, env } = restoreRequest({ imageDir, port, timings });
  return start(node, [CRAC_BIN, 'restore', ...args], { env, logFile });
}

/**
 * restore() with `crac-restore DIR`, the native launcher, executed as a user
 * runs it. When the image's plan does not hold it runs `node crac.js restore`
 * from PATH: the apps' Node comes first there, so that it is the same Node.
 */
function fastRestore({ node = process.execPath, imageDir, port, logFile, timings }) {
  const { args, env } = restoreRequest({ imageDir, port, timings });
  return start(CRAC_RESTORE_BIN, args, { env: { ...env, PATH: [dirname(node), process.env.PATH].filter(Boolean).join(delimiter) }, logFile });
}

module.exports = { CRAC_BIN, PACKAGE_DIR, checkpoint, fastRestore, restore };
