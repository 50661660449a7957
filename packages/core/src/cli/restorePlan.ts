import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { currentBootId } from '../engines/criu/bootId.js';
import type { ImageMeta } from '../image/imageMeta.js';
import { userRuntimeDir } from '../trust/privateTemp.js';
import { checkOwnDirectory } from '../trust/trustedPath.js';

/**
 * The restore plan: what `crac restore` checked for one image and what it would
 * run, for the native launcher `crac-restore` (native/fast_restore.c), which
 * restores without starting Node. The plan holds the identity (device, inode,
 * mode, owner, size, mtime and ctime) of every file the checks read, and the
 * launcher restores from it only when each is still the same, on the same boot,
 * for the same user and environment: a file that was written, replaced,
 * chmod-ed or chown-ed has another ctime or inode, so equal identities mean the
 * checks would pass again. Anything else hands over to `crac restore`, which
 * checks again (and writes a new plan). Plans live in the user's private
 * runtime directory, where only that user and root can write.
 */

const FORMAT = 'node-crac restore plan 1';
/** In the plan's CRIU arguments, the launcher puts its own work directory here. */
export const WORK_DIR_SLOT = '@WORK_DIR@';
/**
 * The environment the checks and CRIU's arguments depend on: another value is another plan.
 * Not PATH, which package managers' runners change: the CRIU found on it is recorded by identity.
 */
export const PLAN_ENV = ['CRAC_CRIU_PATH', 'CRAC_CRIU_RESTORE_ARGS', 'CRAC_CRIU_KDAT_CACHE', 'CRAC_CRIU_LOG_LIMIT_MB'] as const;

export interface RestorePlanInput {
  imageDir: string;
  meta: ImageMeta;
  criuPath: string;
  helperPath: string;
  /** CRIU's command line, WORK_DIR_SLOT in place of the work directory. */
  criuArgv: string[];
  /** Files besides criuPath that running criuArgv reads (the bundled CRIU's binary and libraries). */
  criuFiles: string[];
  /** Variables the restore helper passes on to CRIU (the kdat cache's). */
  criuEnv: Record<string, string>;
  /** What `crac restore` says before restoring (host differences). */
  notes: string[];
}

/** Where the plan of the image in `imageDir` is: one file per image directory, named by a hash of its real path. */
export function planFile(imageDir: string): string {
  return join(userRuntimeDir(), 'plans', `${fnv1a64(realpathSync(imageDir))}.plan`);
}

/** FNV-1a, 64 bits, of the UTF-8 bytes, as 16 hex digits: the launcher computes the same. */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

/** The plan's text. Throws when a path cannot be recorded (a newline in it) or a file is gone. */
export function renderPlan(input: RestorePlanInput, uid = process.geteuid?.() ?? 0, bootId = currentBootId()): string {
  const { imageDir, meta } = input;
  const lines = [FORMAT, `key ${realpathSync(imageDir)}`, `boot ${bootId}`, `uid ${uid}`, `caps ${meta.capabilities?.effective ?? '0'}`, `helper ${realpathSync(input.helperPath)}`];
  for (const name of PLAN_ENV) lines.push(process.env[name] === undefined ? `unset ${name}` : `env ${name}=${process.env[name]}`);
  const walked = new Set([imageDir, input.criuPath, input.helperPath].flatMap((path) => ancestors(realpathSync(path))));
  for (const dir of walked) lines.push(identity('tree', dir));
  lines.push(identity('lstat', imageDir));
  for (const name of readdirSync(imageDir).sort()) lines.push(identity('lstat', join(imageDir, name)));
  const executed = new Set([meta.node.execPath, ...meta.node.mappedFiles.map((f) => f.path), ...(meta.app?.files ?? []).map((f) => f.path), input.criuPath, ...input.criuFiles, input.helperPath]);
  for (const path of executed) lines.push(identity('stat', path));
  for (const [name, value] of Object.entries(input.criuEnv)) lines.push(`criu-env ${name}=${value}`);
  for (const note of input.notes) lines.push(`note ${note}`);
  for (const arg of input.criuArgv) lines.push(`arg ${arg}`);
  const text = `${lines.join('\n')}\n`;
  const unsafe = lines.find((line) => line.includes('\n') || line.includes('\0'));
  if (unsafe !== undefined) throw new Error(`a path or value holds a newline or NUL: ${JSON.stringify(unsafe)}`);
  return text;
}

/**
 * Writes the plan (0600, whole or not at all: written beside and renamed).
 * A plan is an optimisation: when it cannot be written, `crac-restore` takes the
 * full path, so failures are returned, not thrown.
 */
export function writeRestorePlan(input: RestorePlanInput): { path: string } | { error: string } {
  let tmp: string | undefined;
  try {
    const path = planFile(input.imageDir);
    const dir = dirname(path);
    mkdirSync(dir, { mode: 0o700, recursive: true });
    checkOwnDirectory(dir, `remove ${dir} and try again`);
    const text = renderPlan(input);
    tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    removeStalePlans(dir, path);
    return { path };
  } catch (error) {
    if (tmp) rmSync(tmp, { force: true });
    return { error: (error as Error).message };
  }
}

/** Removes the plans of image directories that are gone and of other boots: none of them can hold again. */
function removeStalePlans(dir: string, keep: string): void {
  const boot = `boot ${currentBootId()}`;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === keep || !name.endsWith('.plan')) continue;
    const [, key, planBoot] = readFileSync(path, 'utf8').split('\n', 3);
    if (planBoot !== boot || !key?.startsWith('key ') || !existsSync(key.slice(4))) rmSync(path, { force: true });
  }
}

/** `/a/b/c` → `/a/b`, `/a`, `/`: the directories walked through to reach it. */
function ancestors(real: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dir === dirname(dir)) return dirs;
  }
}

/** `kind dev ino mode uid gid size mtime-ns ctime-ns path`; `tree` compares only the first four numbers (a directory's times move with every entry). */
function identity(kind: 'tree' | 'lstat' | 'stat', path: string): string {
  const s = kind === 'stat' ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
  return `${kind} ${s.dev} ${s.ino} ${s.mode} ${s.uid} ${s.gid} ${s.size} ${s.mtimeNs} ${s.ctimeNs} ${path}`;
}
