import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { closeServer, freePort, leftOver, newToken, runCrac, tempDir } from '@node-crac/test-kit';
import t, { type Test } from 'tap';
import { describeWarmup, warmUp, WarmupStatusError } from '../../src/cli/warmup.js';

const STATUS_APP = join(__dirname, '../fixtures/statusApp.js');

/** A server answering /status/N with N, holding each request a little; `peak` is the most in flight at once. */
async function statusServer(t: Test): Promise<{ url: string; peak: () => number; count: () => number }> {
  let inFlight = 0;
  let peak = 0;
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    peak = Math.max(peak, ++inFlight);
    setTimeout(() => {
      inFlight--;
      res.statusCode = Number(/^\/status\/(\d{3})$/.exec(req.url ?? '')?.[1] ?? 200);
      res.end('ok');
    }, 5);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => closeServer(server));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, peak: () => peak, count: () => count };
}

t.test('the warm-up counts the answers by status', async (t) => {
  const app = await statusServer(t);
  const report = await warmUp({ urls: [`${app.url}/`, `${app.url}/status/204`], requests: 3 });
  t.equal(report.sent, 6);
  t.same([...report.statuses], [[200, 3], [204, 3]]);
  t.equal(describeWarmup(report), 'warm-up: 6 requests (200 x3, 204 x3)');
  t.equal(app.count(), 6, 'each request reached the app once');
});

t.test('an answer that is not 2xx fails the warm-up unless any status is accepted', async (t) => {
  const app = await statusServer(t);
  const plan = { urls: [`${app.url}/`, `${app.url}/status/404`, `${app.url}/status/500`], requests: 2 };
  const error = await warmUp(plan).catch((e: unknown) => e);
  t.type(error, WarmupStatusError);
  t.match((error as Error).message, /^the warm-up got 4 answer\(s\) that are not 2xx out of 6 \(200 x2, 404 x2, 500 x2\), so no checkpoint was taken: .*--warmup-any-status/);
  const accepted = await warmUp({ ...plan, anyStatus: true });
  t.same([...accepted.statuses], [[200, 2], [404, 2], [500, 2]]);
});

t.test('--warmup-concurrency requests are in flight at once, and no more', async (t) => {
  const app = await statusServer(t);
  const report = await warmUp({ urls: [`${app.url}/`], requests: 40, concurrency: 4 });
  t.equal(report.sent, 40);
  t.equal(app.peak(), 4);
  const sequential = await statusServer(t);
  await warmUp({ urls: [`${sequential.url}/`], requests: 10 });
  t.equal(sequential.peak(), 1, 'one at a time by default');
});

t.test('a timed warm-up goes round-robin over the URLs until the time is up', async (t) => {
  const app = await statusServer(t);
  const report = await warmUp({ urls: [`${app.url}/`, `${app.url}/status/201`], durationS: 0.3, concurrency: 2 });
  t.ok(report.sent >= 2);
  t.same([...report.statuses.keys()], [200, 201], 'both URLs');
  t.ok(Math.abs((report.statuses.get(200) ?? 0) - (report.statuses.get(201) ?? 0)) <= 2, 'taken in turn');
});

t.test('crac checkpoint stops the app and writes no image when the warm-up gets a 404', async (t) => {
  const token = newToken(t);
  const port = await freePort();
  const imageDir = join(tempDir(t, 'crac-warmup-'), 'image');
  const base = `http://127.0.0.1:${port}`;
  const args = ['checkpoint', '--image', imageDir, '--ready-url', `${base}/`, '--warmup-url', `${base}/`, '--warmup-url', `${base}/status/404`];
  const run = await runCrac(t, [...args, '--warmup-requests', '3', '--warmup-concurrency', '2', '--', process.execPath, STATUS_APP, token], { PORT: String(port) });
  t.equal(run.code, 1);
  t.match(run.output, 'crac checkpoint: the warm-up got 3 answer(s) that are not 2xx out of 6 (200 x3, 404 x3), so no checkpoint was taken');
  t.same(await leftOver(token), [], 'the app was stopped');
  t.same(existsSync(imageDir) ? readdirSync(imageDir) : [], [], 'no image file');
});
