import t from 'tap';
import { join } from 'node:path';
import { criuUsable, leftOver, newToken, runCrac, type Started, startCrac, stopProcess, tempDir } from '@node-crac/test-kit';
import { createScratchTable, seqsInInsertionOrder, TEST_DATABASE_URL } from '../fixtures/database.js';

// Exactly once across copies, with real CRIU and PostgreSQL: a background job's
// INSERT is held by pg-crac when the image is written. It runs in the original
// when that continues (--leave-running) and in no restored copy, where it fails
// with HeldQueryDiscardedError. Rows counted after two copies.

const APP = join(__dirname, 'fixtures/heldJobApp.js');
// Below tap's 120 s per file, so that a hung checkpoint fails with its output.
const CHECKPOINT_LIMIT_MS = 60_000;

interface JobReport {
  outcome: 'ran' | 'discarded';
  name?: string;
  code?: string;
  message?: string;
  instance: string;
  restored: boolean;
}

async function jobReport(process: Started): Promise<JobReport> {
  return JSON.parse((await process.waitFor(/^job (\{.*\})$/m))[1]!) as JobReport;
}

for (const leaveRunning of [true, false]) {
  const mode = leaveRunning ? 'with --leave-running' : 'without --leave-running';
  const expected = leaveRunning ? 1 : 0;
  t.test(`${mode}: a query held at the checkpoint runs ${expected} time(s) across the original and two restored copies`, async (t) => {
    if (!criuUsable(t)) return;
    const table = await createScratchTable(t);
    const token = newToken(t);
    const app = startCrac(t, ['run', '--', process.execPath, APP, token], { DATABASE_URL: TEST_DATABASE_URL, E2E_TABLE: table });
    const pid = Number((await app.waitFor(/\(pid (\d+)\)/))[1]);
    await app.waitFor(/^ready$/m);

    const imageDir = join(tempDir(t, 'pg-crac-held-'), 'image');
    const checkpoint = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir, ...(leaveRunning ? ['--leave-running'] : [])], {}, CHECKPOINT_LIMIT_MS);
    t.equal(checkpoint.code, 0, 'crac checkpoint wrote an image', { output: checkpoint.output });
    if (checkpoint.code !== 0) return;

    if (leaveRunning) {
      t.match(await jobReport(app), { outcome: 'ran', restored: false }, 'the original that continues runs the held INSERT');
    } else {
      await app.exited;
      t.notMatch(app.output(), /^job /m, 'the original ended at the dump, its job unsettled');
    }

    // Two copies of the one image, side by side.
    const copies = [startCrac(t, ['restore', imageDir]), startCrac(t, ['restore', imageDir])];
    const reports = await Promise.all(copies.map(jobReport));
    for (const [i, report] of reports.entries()) {
      t.match(
        report,
        {
          outcome: 'discarded',
          name: 'HeldQueryDiscardedError',
          code: 'ERR_CRAC_HELD_WORK_DISCARDED',
          message: /^pg-crac pool: a query or checkout was issued before the checkpoint and held; it did not run in this restored copy/,
          restored: true,
        },
        `copy ${i + 1} sees the typed error`,
      );
    }
    t.not(reports[0]!.instance, reports[1]!.instance, 'two distinct copies');

    for (const copy of copies) await stopProcess(copy);
    await stopProcess(app);
    t.same(await seqsInInsertionOrder(table), Array(expected).fill(1), `the INSERT ran ${expected} time(s) in all`);
    t.same(await leftOver(token), [], 'no process of the app is left');
  });
}
