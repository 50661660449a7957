import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRAC_BIN } from './crac.js';
import type { Teardown } from './teardown.js';
import { tempDir } from './tempDir.js';

/**
 * Runs a `crac` command to its end with its stdout and stderr kept apart (each
 * in a file), for commands whose stdout is for programs (`--json`); killed by
 * its PID at the end of the test if still running.
 */
export async function runCracApart(t: Teardown, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = tempDir(t, 'crac-out-');
  const [outFd, errFd] = [openSync(join(dir, 'stdout'), 'a', 0o600), openSync(join(dir, 'stderr'), 'a', 0o600)];
  const child = (() => {
    try {
      return spawn(process.execPath, [CRAC_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', outFd, errFd] });
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }
  })();
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const code = await exited;
  return { code, stdout: readFileSync(join(dir, 'stdout'), 'utf8'), stderr: readFileSync(join(dir, 'stderr'), 'utf8') };
}
