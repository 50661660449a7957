'use strict';
// An open-loop load of new connections to 127.0.0.1: every intervalMs a GET
// over a connection of its own (Connection: close), whatever the server does,
// bounded in count. What a checkpoint or a restore does to the listening
// socket shows as refused (ECONNREFUSED) or reset connections.
const http = require('node:http');

const REQUEST_TIMEOUT_MS = 30_000;

function kind(error) {
  if (error.code === 'ECONNREFUSED') return 'refused';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up') return 'reset';
  return error.code || error.message;
}

/** Starts the load; `sent()` and `answered()` count so far; `stop()` sends no more, waits for every request and resolves with each one's { sentAt, endedAt, outcome }. */
function startConnectionLoad({ port, path, intervalMs, limit }) {
  const outcomes = [];
  const pending = [];
  let answered = 0;
  const send = () => {
    const outcome = { sentAt: performance.now(), endedAt: 0, outcome: 'pending' };
    outcomes.push(outcome);
    pending.push(new Promise((resolve) => {
      const done = (what) => {
        outcome.outcome = what;
        outcome.endedAt = performance.now();
        if (what === 'answered') answered++;
        resolve();
      };
      const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        res.resume();
        res.once('error', (error) => done(kind(error)));
        res.once('end', () => done(res.statusCode === 200 ? 'answered' : `HTTP ${res.statusCode}`));
      });
      req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'timedOut' })));
      req.once('error', (error) => done(kind(error)));
      req.end();
    }));
  };
  const timer = setInterval(() => (outcomes.length >= limit ? clearInterval(timer) : send()), intervalMs);
  return {
    answered: () => answered,
    sent: () => outcomes.length,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return outcomes;
    },
  };
}

/** { sent, answered, refused, reset, other } of `outcomes`. */
function countOutcomes(outcomes) {
  const counts = { sent: outcomes.length, answered: 0, refused: 0, reset: 0, other: 0 };
  for (const { outcome } of outcomes) {
    if (outcome in counts && outcome !== 'sent') counts[outcome]++;
    else counts.other++;
  }
  return counts;
}

module.exports = { startConnectionLoad, countOutcomes };
