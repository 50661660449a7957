import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import t from 'tap';
import { setEnv, tempDir } from '@node-crac/test-kit';
import { fnv1a64, planFile, renderPlan, type RestorePlanInput, WORK_DIR_SLOT, writeRestorePlan } from '../../src/cli/restorePlan.js';
import type { ImageMeta } from '../../src/image/imageMeta.js';

// The plan crac-restore reads (native/restore_plan.c): its name, its lines, and how it is written.

/** An image directory with one file, and a plan input whose "executables" are files in another directory. */
function planInput(t: Parameters<typeof tempDir>[0], name = 'image'): RestorePlanInput {
  const root = tempDir(t, 'crac-plan-');
  const imageDir = join(root, name);
  mkdirSync(imageDir, { mode: 0o700 });
  writeFileSync(join(imageDir, 'pages-1.img'), 'x', { mode: 0o600 });
  const bin = join(root, 'bin');
  mkdirSync(bin);
  for (const file of ['node', 'criu', 'helper', 'app.js']) writeFileSync(join(bin, file), file);
  const meta = { node: { execPath: join(bin, 'node'), mappedFiles: [] }, app: { files: [{ path: join(bin, 'app.js') }] }, capabilities: { effective: 'a0' } } as unknown as ImageMeta;
  return {
    imageDir, meta, criuPath: join(bin, 'criu'), helperPath: join(bin, 'helper'),
    criuArgv: [join(bin, 'criu'), 'restore', '-W', WORK_DIR_SLOT], criuFiles: [join(bin, 'node')], criuEnv: { CRAC_KDAT_CACHE: '/k' }, notes: ['the kernel differs'],
  };
}

t.test('FNV-1a 64, as the launcher computes it', async (t) => {
  t.equal(fnv1a64(''), 'cbf29ce484222325');
  t.equal(fnv1a64('a'), 'af63dc4c8601ec8c');
  t.equal(fnv1a64('foobar'), '85944171f73967e8');
});

t.test('the plan names what the checks read, with identities, and what to run', async (t) => {
  setEnv(t, { CRAC_CRIU_PATH: '/opt/criu', CRAC_CRIU_RESTORE_ARGS: undefined });
  const input = planInput(t);
  const lines = renderPlan(input, 0, 'boot-1').split('\n');
  t.equal(lines[0], 'node-crac restore plan 1');
  t.ok(lines.includes('boot boot-1') && lines.includes('uid 0') && lines.includes('caps a0'));
  t.ok(lines.includes('env CRAC_CRIU_PATH=/opt/criu'), 'a set variable with its value');
  t.ok(lines.includes('unset CRAC_CRIU_RESTORE_ARGS'), 'an unset one as unset');
  const image = statSync(join(input.imageDir, 'pages-1.img'), { bigint: true });
  t.ok(lines.includes(`lstat ${image.dev} ${image.ino} ${image.mode} ${image.uid} ${image.gid} ${image.size} ${image.mtimeNs} ${image.ctimeNs} ${join(input.imageDir, 'pages-1.img')}`), 'each image file by lstat');
  for (const file of ['node', 'criu', 'helper', 'app.js']) t.ok(lines.some((l) => l.startsWith('stat ') && l.endsWith(`/bin/${file}`)), `${file} by stat`);
  t.equal(lines.filter((l) => l.startsWith('tree ') && l.endsWith(' /')).length, 1, 'each ancestor once');
  t.ok(lines.includes('criu-env CRAC_KDAT_CACHE=/k') && lines.includes('note the kernel differs'));
  t.same(lines.filter((l) => l.startsWith('arg ')).map((l) => l.slice(4)), input.criuArgv);
});

t.test('written whole, 0600, under the name the launcher looks for', async (t) => {
  const runtime = tempDir(t, 'crac-runtime-');
  setEnv(t, { TMPDIR: runtime });
  const input = planInput(t);
  const written = writeRestorePlan(input);
  t.same(written, { path: planFile(input.imageDir) });
  t.equal(statSync(planFile(input.imageDir)).mode & 0o777, 0o600);
  t.match(readFileSync(planFile(input.imageDir), 'utf8'), /^node-crac restore plan 1\n/);
  t.same(readdirSync(join(runtime, `node-crac-${process.getuid!()}`, 'plans')), [`${fnv1a64(input.imageDir)}.plan`], 'nothing else left beside it');
});

t.test('a path with a newline cannot be recorded: no plan, and nothing left', async (t) => {
  const runtime = tempDir(t, 'crac-runtime-');
  setEnv(t, { TMPDIR: runtime });
  const input = planInput(t, 'line\nbreak');
  const written = writeRestorePlan(input);
  t.match(written, { error: /holds a newline/ });
  t.same(readdirSync(join(runtime, `node-crac-${process.getuid!()}`, 'plans')), []);
});

t.test('a plans directory that others can write is refused', async (t) => {
  const runtime = tempDir(t, 'crac-runtime-');
  setEnv(t, { TMPDIR: runtime });
  const plans = join(runtime, `node-crac-${process.getuid!()}`, 'plans');
  mkdirSync(plans, { recursive: true, mode: 0o700 });
  chmodSync(plans, 0o777);
  t.match(writeRestorePlan(planInput(t)), { error: /writable by every user/ });
});

t.test('writing a plan removes those of image directories that are gone and of other boots', async (t) => {
  const runtime = tempDir(t, 'crac-runtime-');
  setEnv(t, { TMPDIR: runtime });
  const kept = planInput(t, 'kept');
  const gone = planInput(t, 'gone');
  const other = planInput(t, 'other');
  writeRestorePlan(gone);
  writeRestorePlan(other);
  const otherPlan = planFile(other.imageDir);
  writeFileSync(otherPlan, readFileSync(otherPlan, 'utf8').replace(/^boot .*$/m, 'boot another-boot'), { mode: 0o600 });
  const gonePlan = planFile(gone.imageDir);
  rmSync(gone.imageDir, { recursive: true });
  writeRestorePlan(kept);
  t.same(readdirSync(dirname(gonePlan)).sort(), [basename(planFile(kept.imageDir))]);
});
