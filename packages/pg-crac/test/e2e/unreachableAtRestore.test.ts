import t from 'tap';
import { join } from 'node:path';
import { criuUsable, dirListing, freePort, leftOver, newToken, runCrac, startCrac, tempDir } from '@node-crac/test-kit';
import { TEST_DATABASE_URL } from '../fixtures/database.js';

// A copy restored with its database or Redis pointed at a closed port (here
// with --env, as an operator moving it to another environment would) has not
// really restored: crac restore names each unreachable resource, exits with
// 75 and leaves no process; nothing is written into the image.

const APP = join(__dirname, 'fixtures/reachabilityApp.js');
const REDIS_URL = 'redis://127.0.0.1:6379/0';

t.test('PostgreSQL and Redis unreachable at restore: each cause named, exit code 75, no process left', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'pg-crac-image-'), 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, APP, token], { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL });
  t.equal(checkpoint.code, 0, checkpoint.output);
  if (checkpoint.code !== 0) return;
  const before = dirListing(imageDir);
  const closed = await freePort();
  const badDatabase = `postgres://postgres@127.0.0.1:${closed}/test`;
  const badRedis = `redis://127.0.0.1:${closed}/0`;

  const both = await runCrac(t, ['restore', imageDir, '--env', `DATABASE_URL=${badDatabase}`, '--env', `REDIS_URL=${badRedis}`], {}, 60_000);
  t.equal(both.code, 75, both.output);
  t.match(both.output, /Restore completed with errors \(2 causes\)/);
  t.match(both.output, new RegExp(`pg-crac pool afterRestore: could not reach PostgreSQL at postgres://postgres@127\\.0\\.0\\.1:${closed}/test after the restore: .*ECONNREFUSED`));
  t.match(both.output, new RegExp(`redis-crac afterRestore: could not connect to Redis at redis://127\\.0\\.0\\.1:${closed}/0 after the restore`));
  t.match(both.output, /crac restore: the app was restored from .*, but its restore failed .* add --keep-failed to keep a failed copy running for debugging/);
  t.notMatch(both.output, /^restored$/m, 'the copy never reported a successful restore');
  t.same(await leftOver(token), [], 'the failed copy ended');

  const redisOnly = await runCrac(t, ['restore', imageDir, '--env', `REDIS_URL=${badRedis}`], {}, 60_000);
  t.equal(redisOnly.code, 75, redisOnly.output);
  t.match(redisOnly.output, /Restore completed with errors \(1 cause\):\s+- redis-crac afterRestore: could not connect to Redis/);
  t.same(await leftOver(token), [], 'the failed copy ended');

  // The same image restores where both are reachable: the failures were the environment's.
  const good = startCrac(t, ['restore', imageDir]);
  await good.waitFor(/^restored$/m);
  good.child.kill('SIGTERM');
  t.equal((await good.exited).code, 128 + 15);
  t.same(dirListing(imageDir), before, 'no restore changed the image directory');
  t.same(await leftOver(token), []);
});
