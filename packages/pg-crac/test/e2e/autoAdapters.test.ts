import t from 'tap';
import type { Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { CRAC_BIN, criuUsable, freePort, getJson, leftOver, newToken, runCrac, startCrac, tempDir } from '@node-crac/test-kit';
import { TEST_DATABASE_URL } from '../fixtures/database.js';

// `crac checkpoint --auto pg,ioredis` checkpoints an app that makes a pg Pool
// and an ioredis client and knows nothing of node-crac: pg-crac and
// redis-crac take part as if the app had called them. Without --auto the
// same app is refused for its open connections.

const FIXTURES = join(__dirname, 'fixtures');
const REDIS_URL = 'redis://127.0.0.1:6379/0';

function appEnv(t: Test): Record<string, string> {
  const key = `redis-crac:auto:${process.pid}_${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    const redis = new Redis(REDIS_URL);
    await redis.del(key);
    redis.disconnect();
  });
  return { DATABASE_URL: TEST_DATABASE_URL, REDIS_URL, E2E_KEY: key };
}

for (const app of ['autoApp.js', 'autoApp.mjs']) {
  t.test(`${app}: --auto pg,ioredis registers the app's pool and client; two copies query both`, async (t) => {
    if (!criuUsable(t)) return;
    const token = newToken(t);
    const env = appEnv(t);
    const imageDir = join(tempDir(t, 'crac-image-'), 'image');
    const port = await freePort();
    const warmup = ['--warmup-url', `http://127.0.0.1:${port}/`];

    const refused = await runCrac(t, ['checkpoint', '--image', imageDir, ...warmup, '--', process.execPath, join(FIXTURES, app), token], { ...env, PORT: String(port) });
    t.equal(refused.code, 1, 'without --auto: refused');
    t.match(refused.output, /open descriptor\(s\) cannot be checkpointed[\s\S]*127\.0\.0\.1:5432[\s\S]*127\.0\.0\.1:6379|127\.0\.0\.1:6379[\s\S]*127\.0\.0\.1:5432/, 'for its connections to PostgreSQL and Redis');

    const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--auto', 'pg,ioredis', ...warmup, '--', process.execPath, join(FIXTURES, app), token], { ...env, PORT: String(port) });
    t.equal(run.code, 0, run.output);
    if (run.code !== 0) return;
    t.match(run.output, /pg-crac pool/, 'the pool took part');
    t.match(run.output, /redis-crac/, 'the client took part');

    const copies = await Promise.all(
      [1, 2].map(async () => {
        const copyPort = await freePort();
        const copy = startCrac(t, ['restore', imageDir, '--env', `PORT=${copyPort}`]);
        let answer: Record<string, unknown> | undefined;
        for (const deadline = Date.now() + 30_000; !answer && Date.now() < deadline && copy.child.exitCode === null; ) {
          answer = await getJson(copyPort).catch(() => undefined);
          if (!answer) await new Promise((r) => setTimeout(r, 50));
        }
        return { copy, answer };
      }),
    );
    for (const [i, { answer, copy }] of copies.entries()) {
      t.match(answer, { note: 'from pg' }, `copy ${i + 1} queries PostgreSQL over a new connection: ${copy.output()}`);
      t.ok(Number(answer?.hits) > 1, `copy ${i + 1} counts in Redis after the warm-up's hits (${String(answer?.hits)})`);
      copy.child.kill('SIGTERM');
      await copy.exited;
    }
    t.same(await leftOver(token), [], 'no process of the app is left');
  });
}

t.test('--auto without the adapter installed where the app loads its packages: the app stops at once, saying what to install', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  // An app folder with pg and ioredis, but neither pg-crac nor redis-crac.
  const dir = tempDir(t, 'crac-auto-app-');
  for (const library of ['pg', 'ioredis']) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(dirname(require.resolve(`${library}/package.json`)), join(dir, 'node_modules', library));
  }
  writeFileSync(join(dir, 'server.js'), "require('pg'); console.log('loaded pg');\n");
  // From the app's folder and a shell's environment, as its owner would run it (this package's
  // own folder resolves pg-crac, and the test runner's NODE_OPTIONS loaders would reach the app).
  const checkpoint = spawnSync(process.execPath, [CRAC_BIN, 'checkpoint', '--image', join(dir, 'image'), '--auto', 'pg', '--', process.execPath, join(dir, 'server.js'), token], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const run = { code: checkpoint.status, output: checkpoint.stdout + checkpoint.stderr };
  t.equal(run.code, 1, run.output);
  t.match(run.output, /node-crac --auto pg: pg-crac is not installed where the app loads its packages \(.*crac-auto-app-\w+\): install it \(npm install pg-crac\), or leave pg out of --auto/);
  t.notMatch(run.output, /loaded pg/);
  t.same(await leftOver(token), []);
});

t.test('--auto ioredis refuses an ioredis Cluster as it is made', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const app = startCrac(t, ['run', '--auto', 'ioredis', '--', process.execPath, join(FIXTURES, 'clusterApp.js'), token]);
  await app.exited;
  t.match(app.output(), /refused: node-crac --auto ioredis: an ioredis Cluster cannot take part in checkpoints/);
  t.notMatch(app.output(), /cluster created/);
});

t.test('usage: --auto takes pg and ioredis, not with --no-auto, not with --pid', async (t) => {
  for (const [args, message] of [
    [['checkpoint', '--image', '/tmp/x', '--auto', 'mysql', '--', 'node', 'x.js'], /--auto takes pg, ioredis \(comma-separated\), not "mysql"/],
    [['run', '--auto', 'pg', '--no-auto', '--', 'node', 'x.js'], /--auto adds to the automatic registration that --no-auto turns off/],
    [['checkpoint', '--pid', '1', '--image', '/tmp/x', '--auto', 'pg'], /--auto goes with a command to start/],
  ] as const) {
    const run = await runCrac(t, [...args]);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.output, message);
  }
});
