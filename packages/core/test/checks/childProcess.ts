// Runs test/checks/fixtures/checkChild.ts in a child node with a clean
// descriptor table: the check looks at the whole process, and a tap test
// process holds tap's own sockets and whatever its parents leaked.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Test } from 'tap';
import type { ChildOutput } from './fixtures/checkChild.js';

const fixture = path.join(__dirname, 'fixtures', 'checkChild.ts');

// The TypeScript loader tap gave this process, so that the child can run .ts too.
const typescriptLoader = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));

// bash closes every descriptor above stdio that the test process's parents
// left inheritable (no O_CLOEXEC), then becomes node.
const CLOSE_INHERITED_FDS = 'for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@"';

export interface ChildOptions {
  env?: Record<string, string>;
  /** Node binary; defaults to the one running the tests. */
  node?: string;
}

export async function runCheckChild(t: Test, scenario: string, options: ChildOptions = {}): Promise<ChildOutput> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // The check reads CRAC_POLICY; a test that wants none must not inherit one.
  if (!options.env?.CRAC_POLICY) delete env.CRAC_POLICY;
  delete env.NODE_OPTIONS;
  const child = spawn(
    'bash',
    ['-c', CLOSE_INHERITED_FDS, 'bash', options.node ?? process.execPath, ...typescriptLoader, fixture, scenario],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`check child (${scenario}) exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as ChildOutput;
}
