'use strict';
// Starting and stopping what the benchmark runs. Everything is stopped by its
// own PID; output goes to a log file opened for append (a restored process
// re-opens it by path), never to a pipe held by this process.
const { spawn } = require('node:child_process');
const { openSync, closeSync } = require('node:fs');
const net = require('node:net');

/** Starts `command`; `inherited` descriptors become its fds 3, 4, ... */
function start(command, args, { cwd, env, logFile, inherited = [] }) {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', log, log, ...inherited] });
    let running = true;
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running = false;
        resolve({ code, signal });
      });
      child.once('error', (error) => {
        running = false;
        resolve({ code: null, signal: null, error });
      });
    });
    return { child, pid: child.pid, exited, alive: () => running };
  } finally {
    closeSync(log);
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
async function stop(proc, graceMs = 5000) {
  if (!proc.alive()) return proc.exited;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.alive() && proc.child.kill('SIGKILL'), graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** Resolves once nothing accepts connections on 127.0.0.1:port any more. */
async function waitPortFree(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} is still in use after ${timeoutMs} ms`);
}

module.exports = { start, stop, waitPortFree };
