import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Test } from 'tap';
import { criuProblem, criuUsable, freePort, getJson, restoreCopies, runCrac, tempDir } from '@node-crac/test-kit';

// Apps installed from the npm registry at pinned versions, checkpointed with
// no change for node-crac: `crac checkpoint --image DIR -- node <their entry>`.
// Each is installed once into the repository's git-ignored .cache/third-party/<name>
// and reused while its recipe (versions, added files, the edit) is the same.

const CACHE = resolve(__dirname, '../../../../../.cache/third-party');
const ADDED_FILES = resolve(__dirname, '../../fixtures/thirdParty');
// Below tap's 120 s per file, so that a hung checkpoint fails with its output.
const CHECKPOINT_LIMIT_MS = 60_000;

export interface ThirdPartyApp {
  name: string;
  /** A generator run in an empty folder to make the app: the package to install, and its command (a script path in it, and arguments). */
  generator?: { package: string; command: string[] };
  /** The app's dependencies at exact versions (they replace a generator's ranges). */
  dependencies: Record<string, string>;
  /** Changes to the generated files (mounting the added route), made once at install. */
  edit?: (appDir: string) => void;
  /** The command after `node`, given the installed app, a fresh copy of the files added to it (its data) and the PORT. */
  entry: (appDir: string, dataDir: string, port: number) => string[];
  env?: Record<string, string>;
  /** GETs a warm-up makes before the checkpoint, creating state; and the GET that reads it back, with what it must answer. */
  create: string[];
  read: { path: string; answer: unknown };
  /** Runs between the checkpoint and the restores, given the data folder. */
  afterCheckpoint?: (dataDir: string) => void;
}

/** The recipe's fingerprint: a cached install with another one is made again. */
function recipeKey(app: ThirdPartyApp): string {
  const hash = createHash('sha256');
  // No Node version in it: with install scripts off, what npm installs is plain JavaScript that every supported Node runs.
  hash.update(JSON.stringify({ generator: app.generator, dependencies: app.dependencies, edit: String(app.edit) }));
  const added = join(ADDED_FILES, app.name);
  for (const file of listFiles(added)) hash.update(file).update(readFileSync(join(added, file)));
  return hash.digest('hex');
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).sort().flatMap((name) => {
    const path = join(prefix, name);
    return statSync(join(dir, path)).isDirectory() ? listFiles(dir, path) : [path];
  });
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 300_000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
}

const npmInstall = (cwd: string, packages: string[] = []): void =>
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', '--loglevel=error', ...packages], cwd);

/**
 * The app's folder in the cache, installed now when missing or made from
 * another recipe. Built aside and renamed into place, so that an install cut
 * short is never taken for a finished one.
 */
export function installApp(app: ThirdPartyApp): string {
  const key = recipeKey(app);
  const appDir = join(CACHE, app.name);
  const marker = join(appDir, '.node-crac-recipe');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === key) return appDir;
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, `.${app.name}-`));
  try {
    const built = join(staging, 'app');
    if (app.generator) {
      const tools = join(staging, 'generator');
      mkdirSync(tools);
      // Without a package.json of its own, npm would install into the repository's.
      writeFileSync(join(tools, 'package.json'), '{ "private": true }\n');
      npmInstall(tools, [app.generator.package]);
      const [script, ...args] = app.generator.command;
      run(process.execPath, [join(tools, 'node_modules', script!), ...args, 'app'], staging);
    } else {
      mkdirSync(built);
      writeFileSync(join(built, 'package.json'), JSON.stringify({ name: app.name, version: '0.0.0', private: true }, null, 2));
    }
    const manifest = JSON.parse(readFileSync(join(built, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    manifest.dependencies = app.dependencies;
    writeFileSync(join(built, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    cpSync(join(ADDED_FILES, app.name), built, { recursive: true });
    app.edit?.(built);
    npmInstall(built);
    writeFileSync(join(built, '.node-crac-recipe'), key);
    rmSync(appDir, { recursive: true, force: true });
    renameSync(built, appDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return appDir;
}

/**
 * Installs the app, checkpoints it with `crac checkpoint` after warm-up GETs
 * that create state, restores two copies at once on two PORTs, and reads the
 * state back from each. Fails (never skips) without CRIU or without the install.
 */
export function testThirdPartyApp(t: Test, app: ThirdPartyApp): void {
  t.setTimeout(600_000); // a first run installs from the registry; later ones reuse the cache
  t.test(`${app.name}: checkpointed with no code change, two copies restored at once read the state made before the checkpoint`, async (t) => {
    if (!criuUsable(t, criuProblem())) return;
    const appDir = installApp(app);
    const dataDir = tempDir(t, `crac-${app.name}-data-`);
    cpSync(join(ADDED_FILES, app.name), dataDir, { recursive: true }); // copies share the disk: each test writes into its own
    const imageDir = join(tempDir(t, `crac-${app.name}-`), 'image');
    const port = await freePort();
    const warmups = app.create.flatMap((path) => ['--warmup-url', `http://127.0.0.1:${port}${path}`]);
    const checkpoint = await runCrac(
      t,
      ['checkpoint', '--image', imageDir, ...warmups, '--', process.execPath, ...app.entry(appDir, dataDir, port)],
      { PORT: String(port), ...app.env },
      CHECKPOINT_LIMIT_MS,
    );
    t.equal(checkpoint.code, 0, 'crac checkpoint wrote an image');
    t.match(checkpoint.output, /\(automatic\)/, 'its server was registered automatically');
    if (checkpoint.code !== 0) return void t.comment(checkpoint.output);

    app.afterCheckpoint?.(dataDir);
    const copies = await restoreCopies(t, imageDir, 2, app.read.path);
    for (const { port } of copies) t.same(await getJson(port, app.read.path), app.read.answer, `the copy on PORT ${port} answers GET ${app.read.path} with the state made before the checkpoint`);
  });
}
