'use strict';
// The client side of every measurement: a first-200 probe and a sequential
// request runner, both to 127.0.0.1 only and bounded in count and time.
const http = require('node:http');

function request(url, { agent = false, method = 'GET', body, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = http.request(url, { agent, method, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.once('error', reject);
    req.end(payload);
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200; resolves with the time
 * (performance.now()) of that answer. `alive()` lets a crashed server fail fast.
 */
async function waitFor200(url, { timeoutMs = 60_000, intervalMs = 2, alive = () => true } = {}) {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (!alive()) throw new Error(`the server exited before ${url} answered 200 (last: ${last})`);
    try {
      const { status } = await request(url, { timeoutMs: 5000 });
      if (status === 200) return performance.now();
      last = `HTTP ${status}`;
    } catch (error) {
      last = error.code || error.message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Sends `count` requests one after another over one keep-alive connection,
 * cycling through `plan` ({ method, path, body }); returns each latency in ms.
 * Every answer must be 2xx, or the measurement is void.
 */
async function measureLatencies(baseUrl, plan, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  try {
    for (let i = 0; i < count; i++) {
      const step = plan[i % plan.length];
      const start = performance.now();
      const { status, body } = await request(baseUrl + step.path, { agent, method: step.method, body: step.body });
      latencies.push(performance.now() - start);
      if (status < 200 || status > 299) throw new Error(`${step.method} ${step.path} answered ${status}: ${body.slice(0, 200)}`);
    }
  } finally {
    agent.destroy();
  }
  return latencies;
}

module.exports = { request, waitFor200, measureLatencies };
