import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Left in the image directory for the dump; it removes itself when it runs. */
export const SEAL_SCRIPT = '.node-crac-seal';

const FINALIZER = resolve(__dirname, 'sealCommand.js');

/**
 * Writes the CRIU action script that seals the image (sealCommand.js) at
 * "post-dump": after the image is written, while the dumped process is still
 * frozen. Sealing after CRIU had ended the process was too late for a restored
 * copy: its PID namespace ends with it, and the sealer with it. CRIU runs the
 * script for every action, without arguments; NODE_OPTIONS is the app's and may
 * hold --require or --inspect.
 */
export function writeSealScript(imageDir: string, startedAtMs: number): string {
  const path = join(imageDir, SEAL_SCRIPT);
  const command = ['/usr/bin/env', '-u', 'NODE_OPTIONS', process.execPath, FINALIZER, imageDir, String(startedAtMs)];
  const script = [
    '#!/bin/sh',
    '[ "$CRTOOLS_SCRIPT_ACTION" = post-dump ] || exit 0',
    'rm -f "$0"',
    `exec ${command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
  writeFileSync(path, script, { mode: 0o700 });
  return path;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
