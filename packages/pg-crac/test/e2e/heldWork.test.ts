import t from 'tap';
import { join } from 'node:path';
import { criuUsable, leftOver, newToken, runHeldJob } from '@node-crac/test-kit';
import { createScratchTable, seqsInInsertionOrder, TEST_DATABASE_URL } from '../fixtures/database.js';

// Exactly once across copies, with real CRIU and PostgreSQL: a background job's
// INSERT is held by pg-crac when the image is written. It runs in the original
// when that continues (--leave-running) and in no restored copy, where it fails
// with HeldQueryDiscardedError. Rows counted after two copies.

const APP = join(__dirname, 'fixtures/heldJobApp.js');

for (const leaveRunning of [true, false]) {
  const mode = leaveRunning ? 'with --leave-running' : 'without --leave-running';
  const expected = leaveRunning ? 1 : 0;
  t.test(`${mode}: a query held at the checkpoint runs ${expected} time(s) across the original and two restored copies`, async (t) => {
    if (!criuUsable(t)) return;
    const table = await createScratchTable(t);
    const token = newToken(t);
    const run = await runHeldJob(t, { app: APP, token, env: { DATABASE_URL: TEST_DATABASE_URL, E2E_TABLE: table }, work: 'INSERT', leaveRunning });
    if (!run) return;
    for (const [i, report] of run.copies.entries()) {
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

    await run.stop();
    t.same(await seqsInInsertionOrder(table), Array(expected).fill(1), `the INSERT ran ${expected} time(s) in all`);
    t.same(await leftOver(token), [], 'no process of the app is left');
  });
}
