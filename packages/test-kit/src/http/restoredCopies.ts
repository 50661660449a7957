import type { Test } from 'tap';
import { freePort, tryConnect } from '../ports.js';
import { pidListeningOn, type Started, startCrac, stopProcess } from '../processes.js';
import { get, type Response } from './client.js';

const ANSWER_LIMIT_MS = 30_000;

/** GETs `path` until it answers below 500, the process ends, or a bound on waiting passes. */
export async function firstAnswer(port: number, process: Started, path = '/'): Promise<Response> {
  const deadline = Date.now() + ANSWER_LIMIT_MS;
  while (Date.now() < deadline && process.child.exitCode === null && process.child.signalCode === null) {
    try {
      const response = await get(port, path);
      if (response.status < 500) return response;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no answer on port ${port}; output so far:\n${process.output()}`);
}

/** Stops a `crac restore` or `crac run` and checks that its server went with it. */
export async function stopServing(t: Test, process: Started, port: number): Promise<void> {
  await stopProcess(process);
  const left = (await tryConnect(port)) === 'connected' ? pidListeningOn(port) : undefined;
  if (left !== undefined) {
    globalThis.process.kill(left, 'SIGKILL');
    t.fail(`the app (pid ${left}) outlived its launcher and was killed by the test`);
  }
}

export interface RestoredCopy {
  port: number;
  restorer: Started;
}

/**
 * Restores `count` copies of the image at once, each with a PORT of its own,
 * and waits until each answers GET `path`; each is stopped at the end of the test.
 */
export async function restoreCopies(t: Test, imageDir: string, count: number, path = '/'): Promise<RestoredCopy[]> {
  const copies: RestoredCopy[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const restorer = startCrac(t, ['restore', imageDir, '--env', `PORT=${port}`]);
    t.teardown(() => stopServing(t, restorer, port));
    copies.push({ port, restorer });
  }
  await Promise.all(copies.map(({ port, restorer }) => firstAnswer(port, restorer, path)));
  return copies;
}
