import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restoreEnvAtTeardown, tempDir } from '@node-crac/test-kit';
import t from 'tap';
import { Context, checkpointRestore, createSimulateEngine } from '../../src/index.js';
import { writeResumeTimings } from '../../src/resumed/resumeTimings.js';

// A restored copy whose restore environment names CRAC_RESTORE_TIMINGS writes when
// each of its steps and afterRestore hooks ended, in order; without it, nothing.

function context(): Context {
  const c = new Context();
  c.register({ name: 'pool', beforeCheckpoint() {}, afterRestore: () => new Promise((r) => setTimeout(r, 20)) });
  c.register({ name: 'server', beforeCheckpoint() {}, afterRestore() {} });
  return c;
}

t.test('the restored copy writes when each step and hook ended', async (t) => {
  const file = join(tempDir(t, 'crac-timings-'), 'app.json');
  restoreEnvAtTeardown(t, ['CRAC_RESTORE_TIMINGS']); // the restore merges its env into process.env
  const before = Date.now();
  await checkpointRestore({ engine: createSimulateEngine({ env: { CRAC_RESTORE_TIMINGS: file } }), context: context() });
  const { resumed } = JSON.parse(readFileSync(file, 'utf8')) as { resumed: { phase: string; at: number }[] };
  t.same(resumed.map((end) => end.phase), ['engine', 'restore environment', 'reopen files', 'afterRestore: pool', 'afterRestore: server']);
  t.ok(resumed.every((end, i) => end.at >= before && (i === 0 || end.at >= resumed[i - 1]!.at)), 'wall-clock times, in order');
  t.ok(resumed[3]!.at - resumed[2]!.at >= 15, "the pool's hook took its 20 ms");
  t.ok(resumed.at(-1)!.at <= Date.now() + 1, 'not ahead of the wall clock');
});

t.test('the times are sub-millisecond: the monotonic clock, at the largest offset the wall clock shows', async (t) => {
  const file = join(tempDir(t, 'crac-timings-'), 'app.json');
  restoreEnvAtTeardown(t, ['CRAC_RESTORE_TIMINGS']);
  process.env.CRAC_RESTORE_TIMINGS = file;
  // Date.now() rounds down: at 10.7 ms the wall read 1000 (1000.x), at 15.2 ms 1005 (1005.x), so the offset is at least 989.8.
  writeResumeTimings([
    { phase: 'engine', wall: 1000, monotonic: 10.7 },
    { phase: 'afterRestore: server', wall: 1005, monotonic: 15.2 },
  ]);
  const { resumed } = JSON.parse(readFileSync(file, 'utf8')) as { resumed: { phase: string; at: number }[] };
  t.same(resumed.map((end) => end.phase), ['engine', 'afterRestore: server']);
  t.ok(Math.abs(resumed[0]!.at - 1000.5) < 1e-9 && Math.abs(resumed[1]!.at - 1005) < 1e-9, JSON.stringify(resumed));
});

t.test('an existing file is not overwritten: a warning, and the restore goes on', async (t) => {
  const file = join(tempDir(t, 'crac-timings-'), 'app.json');
  writeFileSync(file, 'mine\n');
  restoreEnvAtTeardown(t, ['CRAC_RESTORE_TIMINGS']);
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const result = await checkpointRestore({ engine: createSimulateEngine({ env: { CRAC_RESTORE_TIMINGS: file } }), context: context() });
  t.equal(result.outcome, 'restored');
  await new Promise((r) => setImmediate(r));
  t.equal(readFileSync(file, 'utf8'), 'mine\n');
  t.match(warnings, [/cannot write the restore timings to .*app\.json: EEXIST/]);
});

t.test('without CRAC_RESTORE_TIMINGS nothing is written', async (t) => {
  restoreEnvAtTeardown(t, ['CRAC_RESTORE_TIMINGS']);
  delete process.env.CRAC_RESTORE_TIMINGS;
  const result = await checkpointRestore({ engine: createSimulateEngine(), context: context() });
  t.equal(result.outcome, 'restored');
});
