import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { setEnv, tempDir } from '@node-crac/test-kit';
import { describeKdatCache, type KdatCachePlan, planKdatCache } from '../../../src/engines/criu/kdatCache.js';

// When the restore caches CRIU's kernel probes, and when a cached file counts as
// valid. The restore itself, with real CRIU, is in test/e2e/kdatCache.test.ts.

const facts = { bootId: 'boot-a', kernelRelease: '6.1.0' };
const CRIU = process.execPath; // any file: only its identity goes into the stamp
const HELPER = '/usr/lib/crac_restore_helper';

function runtimeDir(tmp: string): string {
  return join(tmp, `node-crac-${process.getuid!()}`);
}

function used(plan: KdatCachePlan): Extract<KdatCachePlan, { use: true }> {
  if (!plan.use) throw new Error(`not used: ${plan.reason}`);
  return plan;
}

t.test('a cache stamped with this boot and this CRIU is valid; one of another boot is not', async (t) => {
  const tmp = tempDir(t, 'crac-kdat-unit-');
  setEnv(t, { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: undefined });
  const empty = used(planKdatCache(CRIU, HELPER, [], facts));
  t.equal(empty.valid, false, 'no cache yet');
  t.match(empty.file, new RegExp(`^${join(runtimeDir(tmp), 'kdat')}/[0-9a-f]{16}\\.kdat$`), 'in the private runtime directory, one file per CRIU binary');
  t.not(used(planKdatCache(process.argv[1]!, HELPER, [], facts)).file, empty.file, 'another CRIU, another file');
  t.match(empty.env.CRAC_KDAT_STAMP, /^node-crac-kdat 1 boot=boot-a kernel=6\.1\.0 criu=.+@\d+:\d+:\d+:/);
  t.match(describeKdatCache(empty), /will be cached in .* by the next restore/);

  writeFileSync(empty.file, `${empty.env.CRAC_KDAT_STAMP}\n\x01\x02kdat`, { mode: 0o600 });
  const valid = used(planKdatCache(CRIU, HELPER, [], facts));
  t.equal(valid.valid, true, 'the same boot, kernel and CRIU');
  t.match(describeKdatCache(valid), /are cached in .* for this boot and this CRIU/);

  t.equal(used(planKdatCache(CRIU, HELPER, [], { ...facts, bootId: 'boot-b' })).valid, false, 'another boot: CRIU probes again');
  t.equal(used(planKdatCache(CRIU, HELPER, [], { ...facts, kernelRelease: '6.2.0' })).valid, false, 'another kernel');
  t.equal(used(planKdatCache(process.argv[1]!, HELPER, [], facts)).valid, false, 'another CRIU binary');
});

t.test('a cache file another user could change is not used, and the restore goes on without one', async (t) => {
  const tmp = tempDir(t, 'crac-kdat-unit-');
  setEnv(t, { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: undefined });
  const dir = join(runtimeDir(tmp), 'kdat');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(tmp, 'elsewhere'), 'x');
  symlinkSync(join(tmp, 'elsewhere'), used(planKdatCache(CRIU, HELPER, [], facts)).file);
  const linked = planKdatCache(CRIU, HELPER, [], facts);
  t.equal(linked.use, false);
  t.match(describeKdatCache(linked), /not cached across restores: .*\.kdat.* is a symbolic link/);
});

t.test('a cache directory another user can write is not used', async (t) => {
  const tmp = tempDir(t, 'crac-kdat-unit-');
  setEnv(t, { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: undefined });
  const dir = join(runtimeDir(tmp), 'kdat');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const plan = planKdatCache(CRIU, HELPER, [], facts);
  t.equal(plan.use, false);
  t.match(describeKdatCache(plan), /no private directory for it: .*writable by every user/);
});

t.test('paths under /run, which the tmpfs hides while CRIU starts, and CRAC_CRIU_KDAT_CACHE=0 turn it off', async (t) => {
  const tmp = tempDir(t, 'crac-kdat-unit-');
  setEnv(t, { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: undefined, CRAC_CRIU_RESTORE_ARGS: undefined });
  t.match(planKdatCache(CRIU, HELPER, ['/run/images/app'], facts), { use: false, reason: '/run/images/app is under /run, which the cache hides while CRIU starts' });
  t.match(planKdatCache(CRIU, '/run/helper', [], facts), { use: false, reason: /^\/run\/helper is under \/run/ });
  t.equal(planKdatCache(CRIU, HELPER, ['/running/app'], facts).use, true, 'a name that only starts like /run');
  setEnv(t, { CRAC_CRIU_RESTORE_ARGS: '--action-script /run/hook.sh' });
  t.match(planKdatCache(CRIU, HELPER, [], facts), { use: false, reason: /CRAC_CRIU_RESTORE_ARGS names a path under \/run/ });
  setEnv(t, { CRAC_CRIU_RESTORE_ARGS: undefined, CRAC_CRIU_KDAT_CACHE: '0' });
  t.match(planKdatCache(CRIU, HELPER, [], facts), { use: false, reason: 'turned off by CRAC_CRIU_KDAT_CACHE=0' });
});

t.test('a restore that writes its cache removes those of other boots and of CRIU binaries that are gone or were replaced', async (t) => {
  const tmp = tempDir(t, 'crac-kdat-unit-');
  setEnv(t, { TMPDIR: tmp, CRAC_CRIU_KDAT_CACHE: undefined });
  const other = join(tmp, 'other-criu');
  writeFileSync(other, 'a CRIU binary');
  const mine = used(planKdatCache(CRIU, HELPER, [], facts));
  const dir = join(runtimeDir(tmp), 'kdat');
  const stampOf = (criu: string, boot = facts.bootId) => used(planKdatCache(criu, HELPER, [], { ...facts, bootId: boot })).env.CRAC_KDAT_STAMP;
  const caches = {
    current: [join(dir, 'aaaaaaaaaaaaaaaa.kdat'), stampOf(other)],
    otherBoot: [join(dir, 'bbbbbbbbbbbbbbbb.kdat'), stampOf(other, 'boot-old')],
    replaced: [join(dir, 'cccccccccccccccc.kdat'), stampOf(other).replace(/@[^@]+$/, '@1:2:3:4:5')],
    gone: [join(dir, 'dddddddddddddddd.kdat'), stampOf(other).replace(/criu=.*@/, `criu=${join(tmp, 'removed-criu')}@`)],
    notOurs: [join(dir, 'eeeeeeeeeeeeeeee.kdat'), 'not a stamp'],
  } as const;
  for (const [path, stamp] of Object.values(caches)) writeFileSync(path, `${stamp}\n\x01kdat`, { mode: 0o600 });
  writeFileSync(join(dir, 'notes.txt'), 'kept');

  t.equal(used(planKdatCache(CRIU, HELPER, [], facts)).valid, false);
  t.same(readdirSync(dir).sort(), [basename(caches.current[0]), 'notes.txt'], 'only the cache of a CRIU that is there, for this boot, is left');
  writeFileSync(mine.file, `${mine.env.CRAC_KDAT_STAMP}\n\x01kdat`, { mode: 0o600 });
  writeFileSync(caches.gone[0], `${caches.gone[1]}\n\x01kdat`, { mode: 0o600 });
  t.equal(used(planKdatCache(CRIU, HELPER, [], facts)).valid, true);
  t.ok(readdirSync(dir).includes(basename(caches.gone[0])), 'a restore with a valid cache reads nothing else');
});
