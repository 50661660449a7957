import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { criuUsable, freePort, getJson, leftOver, newToken, pidListeningOn, runCrac, startCrac, stopProcess, tempDir } from '@node-crac/test-kit';
import { restoreHelperPath } from '../../src/native/bridge.js';
import { checkpointFixture } from './harness.js';

// With /run a plain directory (as on this project's machines), the first restore
// makes CRIU's kernel probes and caches them, the next ones load them, a cache
// of another boot is not used, and the restored app sees the host's /run, not
// the tmpfs CRIU started on.

const BOOT_ID = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

interface Restored {
  log: string;
  seesHostRun: boolean;
  tmpfsOnRun: boolean;
}

/** One `crac restore --keep-log`, TMPDIR (and so the cache) in `tmp`: what CRIU logged and what the app saw of /run. */
async function restoreOnce(t: Test, imageDir: string, tmp: string, hostFile: string): Promise<Restored> {
  const port = await freePort();
  const restorer = startCrac(t, ['restore', imageDir, '--keep-log', '--env', `PORT=${port}`], { TMPDIR: tmp });
  await restorer.waitFor(new RegExp(`listening ${port}`));
  t.equal((await getJson(port, '/')).testVar, null, 'the restored app serves');
  const pid = pidListeningOn(port);
  if (!pid) throw new Error(`nothing listens on ${port}`);
  // Paths under /proc/PID/root resolve in the app's own mount namespace.
  const seesHostRun = existsSync(join(`/proc/${pid}/root`, hostFile));
  const tmpfsOnRun = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').some((line) => line.split(' ')[4] === '/run' && / - tmpfs /.test(line));
  await stopProcess(restorer);
  const logPath = (await restorer.waitFor(/CRIU log: (\S+)/))[1]!;
  const log = readFileSync(logPath, 'utf8');
  rmSync(logPath);
  return { log, seesHostRun, tmpfsOnRun };
}

t.test('the second restore loads the kernel probes that the first one cached', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const tmp = tempDir(t, 'crac-kdat-');
  const cacheDir = join(tmp, `node-crac-${process.getuid!()}`, 'kdat');
  const hostFile = `/run/node-crac-kdat-test-${token}`;
  writeFileSync(hostFile, 'made by kdatCache.test.ts\n', { flag: 'wx', mode: 0o600 });
  t.teardown(() => rmSync(hostFile, { force: true }));

  const before = await runCrac(t, ['doctor'], { TMPDIR: tmp });
  t.match(before.output, /\[ok {2}\] CRIU's kernel probes will be cached in \S+ by the next restore/, 'crac doctor: no cache yet');

  const first = await restoreOnce(t, imageDir, tmp, hostFile);
  t.match(first.log, /File \/run\/criu\.kdat does not exist/, 'the first restore probes the kernel');
  const files = readdirSync(cacheDir);
  t.equal(files.length, 1, 'and leaves the probes in the cache');
  const cache = join(cacheDir, files[0]!);
  t.match(readFileSync(cache, 'latin1').split('\n')[0], `node-crac-kdat 1 boot=${BOOT_ID} `, 'stamped with this boot');
  t.ok(first.seesHostRun, `the restored app sees the host's ${hostFile}`);
  t.notOk(first.tmpfsOnRun, 'and no tmpfs on /run');

  const after = await runCrac(t, ['doctor'], { TMPDIR: tmp });
  t.match(after.output, /\[ok {2}\] CRIU's kernel probes are cached in \S+ for this boot and this CRIU/, 'crac doctor: the cache is used');

  const second = await restoreOnce(t, imageDir, tmp, hostFile);
  t.match(second.log, /Loaded kdat cache from \/run\/criu\.kdat/, 'the second restore loads the cache');
  t.ok(second.seesHostRun, `the restored app sees the host's ${hostFile}`);
  t.notOk(second.tmpfsOnRun, 'and no tmpfs on /run');

  // The same probes, stamped with another boot: not used, and replaced.
  const text = readFileSync(cache, 'latin1');
  writeFileSync(cache, text.replace(`boot=${BOOT_ID}`, 'boot=00000000-0000-0000-0000-000000000000'), 'latin1');
  const stale = await restoreOnce(t, imageDir, tmp, hostFile);
  t.match(stale.log, /File \/run\/criu\.kdat does not exist/, 'a cache of another boot is not used: CRIU probes');
  t.notMatch(stale.log, /Loaded kdat cache/);
  t.equal(readFileSync(cache, 'latin1').split('\n')[0], text.split('\n')[0], 'and the cache holds this boot again');
  t.same(await leftOver(token), [], 'no restored copy left');
});

t.test('CRAC_CRIU_KDAT_CACHE=0: CRIU probes on every restore and nothing is cached', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const tmp = tempDir(t, 'crac-kdat-');
  const port = await freePort();
  const restorer = startCrac(t, ['restore', imageDir, '--keep-log', '--env', `PORT=${port}`], { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: '0' });
  await restorer.waitFor(new RegExp(`listening ${port}`));
  await stopProcess(restorer);
  const logPath = (await restorer.waitFor(/CRIU log: (\S+)/))[1]!;
  const log = readFileSync(logPath, 'utf8');
  t.match(log, /File \/run\/criu\.kdat does not exist/, 'CRIU probes');
  t.notOk(log.includes(`[${restoreHelperPath()}]`), 'and ran no action script of ours');
  const cacheDir = join(tmp, `node-crac-${process.getuid!()}`, 'kdat');
  t.same(existsSync(cacheDir) ? readdirSync(cacheDir) : [], [], 'no cache was written');
  const doctor = await runCrac(t, ['doctor'], { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: '0' });
  t.match(doctor.output, /\[warn\] CRIU's kernel probes are not cached across restores: turned off by CRAC_CRIU_KDAT_CACHE=0/, 'crac doctor says why not');
  t.same(await leftOver(token), [], 'no restored copy left');
});
