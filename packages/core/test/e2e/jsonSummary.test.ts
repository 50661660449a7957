import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import t from 'tap';
import { closeServer, criuUsable, freePort, leftOver, newToken, runCracApart, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// --json: one JSON object alone on stdout, on success and on failure; the
// app's output and every message for people on stderr.

const PLAIN_APP = resolve(__dirname, '../fixtures/plainApp.js');
const STATUS_APP = resolve(__dirname, '../fixtures/statusApp.js');

type Json = Record<string, any>;

t.test('crac checkpoint --json: the summary of the image on stdout, everything else on stderr', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const port = await freePort();
  const run = await runCracApart(t, ['checkpoint', '--json', '--image', imageDir, '--warmup-url', `http://127.0.0.1:${port}/`, '--warmup-requests', '5', '--', process.execPath, FIXTURE, token], { PORT: String(port) });
  t.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout) as Json;
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as Json;
  t.match(summary, { command: 'checkpoint', outcome: 'checkpointed', exitCode: 0, imageDir, pid: meta.process.pid, imageSizeBytes: meta.imageSizeBytes, restore: `crac restore ${imageDir}` });
  t.same(summary.files, Object.fromEntries(Object.entries(meta.files as Record<string, { size: number }>).map(([name, entry]) => [name, entry.size])), 'each file of the manifest with its size');
  t.equal(summary.fileCount, Object.keys(meta.files).length);
  for (const timing of ['readyMs', 'warmupMs', 'sinceTriggerMs', 'checkpointMs', 'totalMs']) t.type(summary.timings[timing], 'number', timing);
  t.same(summary.warmup, { requests: 5, statuses: { 200: 5 } });
  t.same(summary.criu, meta.criu);
  t.match(run.stderr, /^crac: started /m);
  t.match(run.stderr, /^state \w+$/m, "the app's stdout went to stderr");
  t.match(run.stderr, /^Checkpoint written to /m, 'the summary for people too');
  t.same(await leftOver(token), []);
});

t.test('crac checkpoint --json: a checkpoint refused in the app is a JSON failure with its causes, exit 1', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const held = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((done) => held.listen(0, '127.0.0.1', done));
  t.teardown(() => closeServer(held));
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCracApart(t, ['checkpoint', '--json', '--image', imageDir, '--', process.execPath, PLAIN_APP, token], {
    PORT: String(await freePort()),
    OUTBOUND_PORT: String((held.address() as { port: number }).port),
  });
  t.equal(run.code, 1, run.stderr);
  const failure = JSON.parse(run.stdout) as Json;
  t.match(failure, { command: 'checkpoint', outcome: 'failed', exitCode: 1, stage: 'checkpoint', error: 'the checkpoint failed; the app it started is stopped.', imageDir });
  t.type(failure.pid, 'number');
  t.equal(failure.causes.length, 1);
  t.match(failure.causes[0].message, /^Checkpoint refused: 1 open descriptor\(s\) cannot be checkpointed:\nfd \d+: tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ ESTABLISHED\n/);
  t.match(run.stderr, /crac checkpoint: the checkpoint failed; the app it started is stopped\./, 'the message for people on stderr');
  t.same(await leftOver(token), []);
});

t.test('crac checkpoint --json: a failed warm-up and a usage error are JSON failures too', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const port = await freePort();
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const warmup = await runCracApart(t, ['checkpoint', '--json', '--image', imageDir, '--warmup-url', `http://127.0.0.1:${port}/status/500`, '--', process.execPath, STATUS_APP, token], { PORT: String(port) });
  t.equal(warmup.code, 1, warmup.stderr);
  t.match(JSON.parse(warmup.stdout), { outcome: 'failed', exitCode: 1, stage: 'warmup', error: /^the warm-up got 1 answer\(s\) that are not 2xx/, causes: [] });

  const usage = await runCracApart(t, ['checkpoint', '--json', '--image', imageDir, '--bogus', '--', process.execPath, STATUS_APP, token]);
  t.equal(usage.code, 2);
  const refused = JSON.parse(usage.stdout) as Json;
  t.match(refused, { command: 'checkpoint', outcome: 'failed', exitCode: 2, stage: 'usage', error: 'unknown option --bogus', causes: [] });
  t.notOk('pid' in refused, 'no app was started');
  t.match(usage.stderr, 'Run "crac checkpoint --help" for usage.');

  const preflight = await runCracApart(t, ['checkpoint', '--json', '--image', imageDir, '--', process.execPath, STATUS_APP, token], { CRAC_CRIU_PATH: '/nonexistent/criu' });
  t.equal(preflight.code, 1);
  t.match(JSON.parse(preflight.stdout), {
    outcome: 'failed',
    stage: 'preflight',
    error: 'checkpoints cannot work on this machine, so the app was not started',
    causes: [{ message: /^CRAC_CRIU_PATH=\/nonexistent\/criu is refused/, fix: String }],
  }, "the pre-flight's causes are the doctor's findings, each with its fix");
  t.same(await leftOver(token), []);
});

t.test('crac doctor --json: each finding and the verdict', async (t) => {
  if (!criuUsable(t)) return;
  const ok = await runCracApart(t, ['doctor', '--json']);
  t.equal(ok.code, 0, ok.stdout);
  const report = JSON.parse(ok.stdout) as Json;
  t.match(report, { command: 'doctor', ok: true, verdict: 'checkpoints can work on this machine', failures: 0 });
  t.ok(report.findings.length > 5);
  for (const finding of report.findings) t.match(finding, { status: /^(ok|warn)$/, what: String });
  t.ok(report.findings.some((f: Json) => /^CRIU \d/.test(f.what)), 'names the CRIU used');
  t.equal(ok.stderr, '');

  const missing = await runCracApart(t, ['doctor', '--json'], { CRAC_CRIU_PATH: '/nonexistent/criu' });
  t.equal(missing.code, 1);
  const failed = JSON.parse(missing.stdout) as Json;
  t.match(failed, { ok: false, verdict: 'checkpoints cannot work on this machine', failures: 1 });
  t.match(failed.findings.find((f: Json) => f.status === 'fail'), { what: /^CRAC_CRIU_PATH=\/nonexistent\/criu is refused/, fix: String });
});
