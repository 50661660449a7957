import { createServer } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { criuUsable, dirListing, freePort, leftOver, newToken, runCrac, tempDir } from '@node-crac/test-kit';
import { checkpointFixture } from './harness.js';

// A restored copy whose afterRestore fails ends, names the cause, and `crac restore` fails with it.

const APP = `'use strict';
const http = require('node:http');
const crac = require(${JSON.stringify(resolve(__dirname, '../..'))});
const server = http.createServer((req, res) => res.end('ok'));
const listen = () => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => { console.log('listening ' + server.address().port); resolve(); });
});
crac.getGlobalContext().register({
  name: 'http server',
  beforeCheckpoint: () => new Promise((resolve) => server.close(() => resolve())),
  afterRestore: () => listen(),
});
console.log('state s1');
listen().then(() => crac.notifyReady());
`;

t.test('afterRestore failing with EADDRINUSE: crac restore exits non-zero, names the resource, writes nothing into the image', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const script = join(tempDir(t, 'crac-app-'), 'app.js');
  writeFileSync(script, APP);
  const { imageDir } = await checkpointFixture(t, token, {}, script);
  const before = dirListing(imageDir);
  const port = await freePort();
  const holder = createServer().listen(port, '127.0.0.1');
  t.teardown(() => new Promise((r) => holder.close(r)));
  await new Promise((r) => holder.once('listening', r));

  const run = await runCrac(t, ['restore', imageDir, '--env', `PORT=${port}`], {}, 60_000);
  t.equal(run.code, 75, run.output);
  t.match(run.output, /restore failed/);
  t.match(run.output, /http server afterRestore: .*EADDRINUSE/, 'the cause names its resource');
  t.notMatch(run.output, /triggered checkpoint failed/);
  t.notOk(existsSync(join(imageDir, 'checkpoint-failed.json')), 'the copy wrote nothing into the image');
  t.same(dirListing(imageDir), before, 'neither the copy nor CRIU changed the image directory');
  t.same(await leftOver(token), [], 'the failed copy ended');
});
