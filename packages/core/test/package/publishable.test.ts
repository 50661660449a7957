import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import t from 'tap';
import { packTarballs, tempDir } from '@node-crac/test-kit';

// What `pnpm pack` makes of each published package, checked as the registry
// and its users would see it: publint, are-the-types-wrong, the manifest, the
// files, and the prepack guard that keeps `npm pack` from shipping workspace: ranges.
// Packing seven packages and type-checking six takes long on a busy machine: past tap's 120 s default.
t.setTimeout(300_000);
const root = resolve(__dirname, '../../../..');
const bin = (name: string): string => join(root, 'node_modules/.bin', name);
const tarballs = packTarballs(t);

// Each tarball unpacked once, into <dir>/package.
const unpackedIn = tempDir(t, 'node-crac-unpacked-');
const unpacked = new Map<string, string>();
for (const tarball of Object.values(tarballs)) {
  const dir = join(unpackedIn, String(unpacked.size));
  mkdirSync(dir);
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  unpacked.set(tarball, join(dir, 'package'));
}
const list = (tarball: string): string[] => {
  const top = unpacked.get(tarball)!;
  return readdirSync(top, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(top, join(e.parentPath, e.name)));
};
const read = (tarball: string, file: string): string => readFileSync(join(unpacked.get(tarball)!, file), 'utf8');
// pnpm pack makes every file 0644 but those in `bin` and publishConfig.executableFiles.
const executable = (tarball: string, file: string): boolean => (statSync(join(unpacked.get(tarball)!, file)).mode & 0o111) === 0o111;

// are-the-types-wrong takes seconds a package, mostly waiting: all run at once, each test awaits its own.
const run = (command: string, args: string[]): Promise<{ status: number; output: string }> =>
  new Promise((done) => execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => done({ status: error ? Number(error.code ?? 1) : 0, output: stdout + stderr })));
const attwRuns = new Map(Object.entries(tarballs).filter(([name]) => !name.startsWith('@node-crac/criu-')).map(([, tarball]) => [tarball, run(bin('attw'), [tarball, '--format', 'ascii'])]));

interface Manifest {
  [field: string]: unknown;
  name: string;
  scripts?: Record<string, string>;
}

for (const [name, tarball] of Object.entries(tarballs)) {
  t.test(`${name}: publint and are-the-types-wrong are clean`, async (t) => {
    const publint = await run(bin('publint'), ['run', tarball, '--strict']);
    t.equal(publint.status, 0, `publint --strict:\n${publint.output}`);
    const attw = attwRuns.get(tarball);
    if (!attw) return; // the CRIU package: no JavaScript, no types, nothing for attw to resolve
    const { status, output } = await attw;
    t.equal(status, 0, `attw:\n${output}`);
  });

  t.test(`${name}: the manifest is complete, with no workspace: range and no install script`, async (t) => {
    const text = read(tarball, 'package.json');
    const manifest = JSON.parse(text) as Manifest;
    t.notMatch(text, /workspace:/, 'pnpm pack turned every workspace: range into a version');
    for (const field of ['description', 'license', 'repository', 'homepage', 'bugs', 'keywords', 'type', 'engines']) t.ok(manifest[field], `has ${field}`);
    t.same(manifest.os, ['linux']);
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) t.notOk(manifest.scripts?.[script], `no ${script} script`);
    const files = list(tarball);
    t.notOk(files.includes('binding.gyp'), 'no binding.gyp at the root, which npm and pnpm would build on install');
    for (const file of ['README.md', 'package.json']) t.ok(files.includes(file), `ships ${file}`);
    t.ok(files.includes('LICENSE') || files.includes('NOTICE.md'), 'ships its license');
  });

  t.test(`${name}: every source map points to files that are shipped`, async (t) => {
    const files = new Set(list(tarball));
    const broken: string[] = [];
    for (const map of [...files].filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(read(tarball, map)) as { sources: string[] };
      for (const source of sources) {
        const shipped = join(map, '..', source);
        if (!files.has(shipped)) broken.push(`${map} -> ${shipped}`);
      }
    }
    t.same(broken, []);
  });
}

t.test('node-crac ships its prebuilt native code, the C sources to rebuild it, and the docs its messages name', async (t) => {
  const files = list(tarballs['node-crac']!);
  for (const file of ['crac_bridge.node', 'crac_restore_helper', 'crac_no_io_uring.so']) t.ok(files.includes(`prebuilds/linux-x64/${file}`), `prebuilds/linux-x64/${file}`);
  const sources = ['bridge.c', 'restore_helper.c', 'kdat_cache.c', 'kdat_cache.h', 'fast_restore.c', 'fast_restore.h', 'restore_plan.c', 'restore_plan.h', 'restore_launch.h', 'no_io_uring.c'];
  for (const file of ['native/binding.gyp', ...sources.map((name) => `native/${name}`), 'docs/cli.md', 'docs/policy.md']) t.ok(files.includes(file), file);
  t.notOk(files.some((f) => f.startsWith('native/build/')), 'no local build');
  t.ok(executable(tarballs['node-crac']!, 'prebuilds/linux-x64/crac_restore_helper'), 'the restore helper is executable');
  t.ok(executable(tarballs['node-crac']!, 'bin/crac-restore'), 'crac-restore is executable');
  const manifest = JSON.parse(read(tarballs['node-crac']!, 'package.json')) as Manifest;
  t.same(manifest.bin, { crac: './bin/crac.js', 'crac-restore': './bin/crac-restore', 'node-crac': './bin/crac.js' }, '`npx node-crac` runs crac, not the unrelated `crac` package');
  t.same(manifest.optionalDependencies, { '@node-crac/criu-linux-x64': '0.1.0' });
});

t.test('the CRIU package ships CRIU, its libraries, loader, launcher and licenses', async (t) => {
  const tarball = tarballs['@node-crac/criu-linux-x64']!;
  const files = list(tarball);
  for (const file of ['bin/criu', 'sbin/criu', 'lib/ld-linux-x86-64.so.2', 'lib/libc.so.6', 'licenses/criu.copyright', 'licenses/GPL-2', 'NOTICE.md']) t.ok(files.includes(file), file);
  t.match(read(tarball, 'NOTICE.md'), /\| criu \| 4\.\d/);
  for (const file of ['bin/criu', 'sbin/criu', 'lib/ld-linux-x86-64.so.2']) t.ok(executable(tarball, file), `${file} is executable`);
  t.match(JSON.parse(read(tarball, 'package.json')), { os: ['linux'], cpu: ['x64'] });
});

t.test('npm pack is refused while a workspace: range is left, naming it', async (t) => {
  const npm = spawnSync('npm', ['pack', '--dry-run'], { cwd: join(root, 'packages/fastify-crac'), encoding: 'utf8' });
  t.not(npm.status, 0);
  t.match(npm.stderr, 'fastify-crac: not packed:\n  - dependencies.node-crac is "workspace:^", which only pnpm pack rewrites to a version');
});

t.test('packing node-crac without its prebuilds or listed files is refused', async (t) => {
  const dir = tempDir(t, 'node-crac-pack-guard-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'node-crac', files: ['dist'] }));
  const guard = spawnSync(process.execPath, [join(root, 'scripts/check-pack.js')], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_user_agent: 'pnpm/10' } });
  t.equal(guard.status, 1);
  t.match(guard.stderr, 'dist (listed in "files") is missing');
  t.match(guard.stderr, `prebuilds/${process.platform}-${process.arch}/crac_bridge.node is missing: run "pnpm run build:prebuilds" first`);
});
