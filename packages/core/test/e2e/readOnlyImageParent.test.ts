import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { criuUsable, leftOver, newToken, runCrac, tmpfsDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// mkdir -p on a read-only filesystem fails with ENOENT (the first missing
// directory cannot be made), which used to be the whole message.

t.test('an image directory under a read-only filesystem: named as such with the fix, before the app starts', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const readOnly = tmpfsDir(t, { size: '1m', readOnly: true });
  for (const imageDir of [join(readOnly, 'image'), join(readOnly, 'images/app/1')]) {
    const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token]);
    t.equal(run.code, 1, run.output);
    t.match(run.output, new RegExp(`Could not create the image directory ${imageDir}: ${readOnly} is on a read-only filesystem: choose an image directory on a writable filesystem`));
    t.notMatch(run.output, /started/, 'the app was not started');
    t.notOk(existsSync(imageDir));
  }
  t.same(readdirSync(readOnly), []);
  t.same(await leftOver(token), []);
});
