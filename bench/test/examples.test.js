'use strict';
// Every example boots cold (plain `node server.js`, no CRIU) and answers its
// ready route and each request of its load plan with a 2xx.
const t = require('tap');
const { EXAMPLES } = require('../lib/examples');
const { start, stop, waitPortFree } = require('../lib/processes');
const { measureLatencies, waitFor200 } = require('../lib/http');
const { freePort } = require('../lib/ports');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const workDir = mkdtempSync(join(tmpdir(), 'node-crac-examples-test-'));
t.teardown(() => rmSync(workDir, { recursive: true, force: true }));

for (const example of EXAMPLES) {
  t.test(`${example.name} starts cold and answers 200`, async (t) => {
    const port = await freePort();
    const logFile = join(workDir, `${example.name}.log`);
    // LOG_LEVEL info: the startup line must reach stdout, whatever the benchmark's setting.
    const env = { ...example.env, PORT: String(port), LOG_LEVEL: 'info' };
    const proc = start(process.execPath, ['server.js'], { cwd: example.dir, env, logFile });
    t.teardown(async () => {
      await stop(proc);
      await waitPortFree(port);
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor200(base + example.readyPath, { alive: proc.alive, timeoutMs: 30_000, intervalMs: 20 });
    } catch (error) {
      t.fail(`${error.message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      return;
    }
    t.pass(`GET ${example.readyPath} answered 200`);
    const plan = await example.loadPlan(base);
    const latencies = await measureLatencies(base, plan, plan.length);
    t.equal(latencies.length, plan.length, `every request of the load plan (${plan.length}) answered 2xx`);
    t.match(readFileSync(logFile, 'utf8'), /listening/i, 'it logs to stdout');
  });
}
