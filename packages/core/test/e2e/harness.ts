import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';

const CRAC = resolve(__dirname, '../../bin/crac.js');
export const FIXTURE = resolve(__dirname, '../fixtures/httpApp.js');
/** The app that reports what a restored copy sees: randomness, timers, restore clock (see the file). */
export const PROBE_FIXTURE = resolve(__dirname, '../fixtures/probeApp.js');
const LIMIT_MS = 60_000;

export { criuUsable } from '../fixtures/criuAvailability.js';

export interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `pattern` in the output from `from` on. */
  waitFor(pattern: RegExp, from?: number): Promise<RegExpMatchArray>;
}

/**
 * Starts `node bin/crac.js ...args`, killed by its PID at the end of the test.
 * Output goes to a file opened for append: a restored app writes to its
 * restorer's stdout, and CRIU re-attaches pipes and files, not Node's socketpairs.
 */
export function startCrac(t: Test, args: string[], env: Record<string, string> = {}): Started {
  return startNode(t, process.execPath, [CRAC, ...args], env);
}

/** Starts `node ...args` with the `node` binary given, like startCrac: output in a file, killed by PID at the end. */
export function startNode(t: Test, node: string, args: string[], env: Record<string, string> = {}): Started {
  const dir = tempDir(t, 'crac-out-');
  const log = join(dir, 'output.log');
  const fd = openSync(log, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(node, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const output = (): string => readFileSync(log, 'utf8');
  const what = args[0] === CRAC ? `crac ${args[1]}` : `node ${args[0]}`;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const waitFor = async (pattern: RegExp, from = 0): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + LIMIT_MS;
    for (;;) {
      const match = output().slice(from).match(pattern);
      if (match) return match;
      if (child.exitCode !== null || child.signalCode !== null) {
        const again = output().slice(from).match(pattern);
        if (again) return again;
        throw new Error(`${what} ended (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${output()}`);
      }
      if (Date.now() > deadline) throw new Error(`no ${pattern} from ${what} within ${LIMIT_MS} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, output, exited, waitFor };
}

/** Runs a crac command to its end. */
export async function runCrac(t: Test, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const run = startCrac(t, args, env);
  const { code } = await run.exited;
  return { code, output: run.output() };
}

/** A temporary directory removed at the end of the test. */
export function tempDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A token for the fixture's command line; processes still carrying it are left over. */
export function newToken(t: Test): string {
  const token = `crac-e2e-${randomUUID()}`;
  t.teardown(() => {
    for (const pid of processesWith(token)) process.kill(pid, 'SIGKILL');
  });
  return token;
}

/** PIDs of live processes whose command line contains `token`. */
export function processesWith(token: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(token) && !/^State:\s*Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'))) {
        pids.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Waits until no live process carries `token` (a killed namespace takes a moment); returns those left. */
export async function leftOver(token: string, waitMs = 5_000): Promise<number[]> {
  const deadline = Date.now() + waitMs;
  let pids = processesWith(token);
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    pids = processesWith(token);
  }
  return pids;
}

export function getJson(port: number, path = '/'): Promise<Record<string, unknown>> {
  return new Promise((resolveBody, reject) => {
    httpGet({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolveBody(JSON.parse(body) as Record<string, unknown>);
        } catch {
          resolveBody({ text: body });
        }
      });
    }).on('error', reject);
  });
}

/** Checkpoints a fixture app (httpApp.js by default) with `crac checkpoint`; returns the image directory and the state it printed. */
export async function checkpointFixture(t: Test, token: string, env: Record<string, string> = {}, script = FIXTURE): Promise<{ imageDir: string; state: string }> {
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--', process.execPath, script, token], env);
  if (run.code !== 0) throw new Error(`crac checkpoint exited ${run.code}:\n${run.output}`);
  const state = /^state (\w+)$/m.exec(run.output)?.[1];
  if (!state) throw new Error(`the fixture printed no state:\n${run.output}`);
  return { imageDir, state };
}

/** Waits until the image in `imageDir` is sealed (crac.json complete), e.g. after an app checkpointed itself. */
export async function imageSealed(imageDir: string): Promise<void> {
  const deadline = Date.now() + LIMIT_MS;
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as { complete?: boolean }).complete) return;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) throw new Error(`no complete image in ${imageDir} within ${LIMIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP port that was free a moment ago (for an app that must listen on a known port). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.once('error', reject);
  });
}
