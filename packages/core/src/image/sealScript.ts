import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userRuntimeDir } from '../trust/privateTemp.js';

const SEALER = resolve(__dirname, 'sealCommand.js');

/**
 * Writes the CRIU action script that seals the image (sealCommand.js) at
 * "post-dump": after the image is written, while the dumped process is still
 * frozen. Sealing after CRIU had ended the process was too late for a restored
 * copy: its PID namespace ends with it, and the sealer with it. CRIU runs the
 * script as root for every action, without arguments, so it lives in a fresh
 * directory in the user's private runtime directory, never in the image
 * directory, and removes it when it runs; NODE_OPTIONS is the app's and may
 * hold --require or --inspect.
 */
export function writeSealScript(imageDir: string, startedAtMs: number): { path: string; remove(): void } {
  const dir = createSealDir();
  const path = join(dir.path, 'seal');
  const command = ['/usr/bin/env', '-u', 'NODE_OPTIONS', process.execPath, SEALER, imageDir, String(startedAtMs)];
  const script = [
    '#!/bin/sh',
    '[ "$CRTOOLS_SCRIPT_ACTION" = post-dump ] || exit 0',
    `rm -rf ${shellQuote(dir.path)}`,
    `exec ${command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
  try {
    writeFileSync(path, script, { mode: 0o700, flag: 'wx' });
  } catch (error) {
    dir.remove();
    throw error;
  }
  return { path, remove: dir.remove };
}

/**
 * `seal-<pid namespace>-<pid>-XXXXXX`. A process killed during its dump never
 * removed its directory: the next seal removes those of processes that are
 * gone. Only those of this PID namespace, where a PID means what it says: a
 * copy in a namespace of its own cannot tell whether another's is alive.
 */
function createSealDir(): { path: string; remove(): void } {
  const runtime = userRuntimeDir();
  const namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  for (const name of readdirSync(runtime)) {
    const pid = new RegExp(`^seal-${namespace}-(\\d+)-`).exec(name)?.[1];
    if (pid && !isAlive(Number(pid))) rmSync(join(runtime, name), { recursive: true, force: true });
  }
  const path = mkdtempSync(join(runtime, `seal-${namespace}-${process.pid}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
