import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { criuProblem, criuUsable, freePort, get, homeTempDir, packTarballs, type Response, type Started, startNode, stopProcess, tempDir, tryConnect } from '@node-crac/test-kit';

// What a user does: install the packed tarballs into a new project outside the
// workspace, with npm, pnpm, yarn classic and yarn 4 (Plug'n'Play: no
// node_modules), on a PATH without any compiler, then `crac doctor`, a
// checkpoint and a restore of a Fastify app there, each through the manager's
// own way to run a package's bin. The registry's packages (fastify) come
// through caches in the workspace's .cache/.
t.setTimeout(600_000); // packing, two installs and two checkpoints on a busy 2-core machine
const root = resolve(__dirname, '../../../..');
const problem = criuProblem();
const tarballs = packTarballs(t, ['core', 'criu-linux-x64', 'fastify-crac']);
const LIMIT_MS = 240_000;

/**
 * A PATH of node, npm, npx and pnpm only, and the few POSIX tools that npm and
 * pnpm's .bin shims run (sh, sed, dirname, uname): no cc, make or python3.
 */
function toolsOnly(t: Test): string {
  const dir = join(tempDir(t, 'node-crac-tools-'), 'bin');
  mkdirSync(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  const which = (name: string): string => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  for (const tool of ['npm', 'npx', 'pnpm', 'sh', 'sed', 'dirname', 'uname', 'readlink']) symlinkSync(realpathSync(which(tool)), join(dir, tool));
  symlinkSync(yarnBin('yarn', '1.22.22'), join(dir, 'yarn'));
  symlinkSync(yarnBin('@yarnpkg/cli-dist', '4.18.1'), join(dir, 'yarn4'));
  return dir;
}

/** A yarn as the npm registry ships it, unpacked once into .cache/yarn-VERSION. */
function yarnBin(name: string, version: string): string {
  const dir = join(root, '.cache', `yarn-${version}`);
  const bin = join(dir, 'package/bin/yarn.js');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir]);
  }
  return bin;
}

const APP = `import Fastify from 'fastify';
import { fastifyCrac } from 'fastify-crac';

const app = Fastify();
await app.register(fastifyCrac);
app.get('/', async () => ({ installed: true, pid: process.pid }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
`;

/**
 * What reaches the registry from the user's shell: a proxy, extra CA
 * certificates (a Node's own npm reads no system npmrc, which may name them).
 */
function networkEnv(): Record<string, string> {
  const names = /^(https?_proxy|no_proxy|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|npm_config_(registry|cafile|proxy|https_proxy))$/i;
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => names.test(entry[0]) && entry[1] !== undefined));
}

function project(t: Test, manager: string): string {
  const dir = homeTempDir(t, `node-crac-${manager}-`);
  const tarball = (name: string): string => `file:${tarballs[name]}`;
  // The CRIU package is not on the registry: node-crac's optional dependency is pointed at its tarball.
  const pinned = { '@node-crac/criu-linux-x64': tarball('@node-crac/criu-linux-x64'), 'node-crac': tarball('node-crac') };
  const manifest = {
    name: 'installed-app',
    private: true,
    type: 'module',
    dependencies: { 'node-crac': tarball('node-crac'), 'fastify-crac': tarball('fastify-crac'), fastify: '^5.6.0' },
    overrides: { ...pinned, 'node-crac': '$node-crac' },
    pnpm: { overrides: pinned },
    resolutions: pinned,
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'server.js'), APP);
  if (manager === 'yarn4') writeFileSync(join(dir, '.yarnrc.yml'), YARN4_CONFIG);
  return dir;
}

// Yarn 4 reads no npm config: the registry npm uses here, and a cache in the workspace.
const YARN4_CONFIG = [
  `npmRegistryServer: "${execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()}"`,
  `cacheFolder: "${join(root, '.cache/yarn4-cache')}"`,
  'enableGlobalCache: false',
  'enableTelemetry: false',
  '',
].join('\n');

const INSTALL: Record<string, string[]> = {
  npm: ['install', '--prefer-offline', '--no-audit', '--no-fund', '--cache', join(root, '.cache/npm')],
  // CRIU's `criu check` reads its own /proc/self/maps in 256-byte lines, and the
  // store folder pnpm names after a file: tarball is long: capped like a registry package's.
  pnpm: ['install', '--prefer-offline', '--store-dir', join(root, '.cache/pnpm-store'), '--config.virtual-store-dir-max-length=60'],
  // Yarn classic refuses, on Node 20, fastify 5's cookie@2 (engines: node >= 22), which npm and pnpm only warn about.
  yarn: ['install', '--non-interactive', '--ignore-engines', '--prefer-offline', '--cache-folder', join(root, '.cache/yarn-cache')],
  // Under CI=true yarn 4 refuses to write a lockfile unless told it may.
  yarn4: ['install', '--no-immutable'],
};

/** How each manager runs an installed package's bin from the project's folder. */
const RUN_BIN: Record<string, string> = { npm: 'npx', pnpm: 'npx', yarn: 'npx', yarn4: 'yarn4' };

/** Starts a restore on a free port, expects the installed app's 200 there, stops it; returns its output. */
async function restoresAndServes(t: Test, env: Record<string, string>, start: (port: number) => Started): Promise<string> {
  const port = await freePort();
  const restorer = start(port);
  let answer: Response | undefined;
  for (const deadline = Date.now() + 30_000; !answer && Date.now() < deadline && restorer.child.exitCode === null;) {
    answer = await get(port, '/').catch(() => undefined);
    if (!answer) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(answer?.status, 200, `the restored app serves on the new PORT ${port}:\n${restorer.output()}`);
  t.match(JSON.parse(answer?.body ?? '{}'), { installed: true });
  await stopProcess(restorer);
  t.not(await tryConnect(port), 'connected', 'the restored app ended with its restorer');
  return restorer.output();
}

for (const manager of ['npm', 'pnpm', 'yarn', 'yarn4']) {
  t.test(`${manager} installs the tarballs with no compiler; doctor is all ok; a Fastify app checkpoints and restores`, async (t) => {
    if (!criuUsable(t, problem)) return;
    const tools = toolsOnly(t);
    const env = { ...networkEnv(), PATH: tools, CRAC_CRIU_PATH: '', HOME: process.env.HOME ?? '/root' };
    const compilers = spawnSync(join(tools, 'sh'), ['-c', 'command -v cc gcc make python3'], { env, encoding: 'utf8' });
    t.equal(compilers.stdout, '', 'no compiler, make or python3 on PATH');

    const dir = project(t, manager);
    const install = spawnSync(join(tools, manager), INSTALL[manager]!, { cwd: dir, env, encoding: 'utf8', timeout: LIMIT_MS });
    t.equal(install.status, 0, `${manager} install:\n${install.stdout}${install.stderr}`);
    if (install.status !== 0) return;
    t.notMatch(`${install.stdout}${install.stderr}`, /Ignored build scripts|node-gyp|gyp info/, 'nothing to build, nothing to approve');

    const runBin = RUN_BIN[manager]!;
    const doctor = spawnSync(join(tools, runBin), ['crac', 'doctor'], { cwd: dir, env, encoding: 'utf8', timeout: LIMIT_MS });
    t.equal(doctor.status, 0, `${runBin} crac doctor:\n${doctor.stdout}${doctor.stderr}`);
    t.notMatch(doctor.stdout, /\[FAIL\]/);
    t.match(doctor.stdout, `[ok  ] native bridge, restore helper and io_uring blocker are built`);
    t.match(doctor.stdout, new RegExp(`\\[ok  \\] CRIU 4\\.\\S+ at ${realpathSync(dir)}/(\\S+/)?node_modules/(\\S+/)?@node-crac/criu-linux-x64/bin/criu \\(from bundled\\)`));

    const image = join(dir, 'image');
    // From the project's folder, where the manager finds its crac (startNode keeps the test's cwd).
    const checkpoint = startNode(t, join(tools, 'sh'), ['-c', `cd '${dir}' && exec ${runBin} crac checkpoint --image '${image}' -- node server.js`], { ...env, PORT: String(await freePort()) });
    const timer = setTimeout(() => checkpoint.child.kill('SIGKILL'), LIMIT_MS);
    const { code } = await checkpoint.exited;
    clearTimeout(timer);
    t.equal(code, 0, `${runBin} crac checkpoint:\n${checkpoint.output()}`);
    if (code !== 0) return;

    // Under PnP only the manager knows where the bundled CRIU is: there the restore goes through it too.
    await restoresAndServes(t, env, (port) => manager === 'yarn4'
      ? startNode(t, join(tools, 'sh'), ['-c', `cd '${dir}' && exec yarn4 crac restore '${image}' --env PORT=${port}`], env)
      : startNode(t, process.execPath, [join(dir, 'node_modules/node-crac/bin/crac.js'), 'restore', image, '--env', `PORT=${port}`], env));
    if (manager === 'yarn4') return;
    // Through the manager's link in node_modules/.bin (npx would not pass on the test's SIGTERM).
    const fast = await restoresAndServes(t, env, (port) =>
      startNode(t, join(dir, 'node_modules/.bin/crac-restore'), [image, '--env', `PORT=${port}`], { ...env, CRAC_RESTORE_EXPLAIN: '1' }));
    t.notMatch(fast, /full path/, 'crac-restore restored from the plan, without Node');
  });
}
