'use strict';
// End-to-end smoke test of `pnpm demo` (scripts/demo.js) with real CRIU,
// PostgreSQL and Redis: it must print its table, stop what it started and
// leave no image behind.
const t = require('tap');
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const DEMO = join(__dirname, '..', '..', '..', 'scripts', 'demo.js');
const demoDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('node-crac-demo-'));

t.test('the demo runs through, prints its table and cleans up', async (t) => {
  const before = new Set(demoDirs());
  const result = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) t.comment(`${result.stdout}\n${result.stderr}`);
  t.equal(result.status, 0, 'demo exits 0');
  t.match(result.stdout, /\| cold start \(node server\.js\) \| \d+ ms \|/, 'cold start row');
  t.match(result.stdout, /\| crac restore \| \d+ ms \([\d.]+x faster\) \|/, 'restore row');
  t.match(result.stdout, /\| crac-restore \| \d+ ms \([\d.]+x faster\) \|/, 'crac-restore row');
  t.match(result.stdout, /two at once, copy 1 .*\n.*two at once, copy 2/, 'two copies at once');
  t.match(result.stdout, /both answer: :\d+ -> 200, :\d+ -> 200/, 'both copies answer 200');
  t.same(demoDirs().filter((name) => !before.has(name)), [], 'the work directory with the image is gone');
});
