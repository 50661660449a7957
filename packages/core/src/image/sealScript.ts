import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createProcessDir } from '../trust/privateTemp.js';

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
  const dir = createProcessDir('seal');
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

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
