import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CRAC_BIN, criuUsable, freePort, leftOver, newToken, runCrac, startNode, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// On a terminal crac checkpoint shows one updating line on stderr while it
// waits for readiness, warms up and dumps; anywhere else (a pipe, a file, CI)
// it prints the same lines as it always did, and nothing else.

const CLEAR = '\r\x1b[2K';

/** What stays on the terminal once every redrawn line is taken out: the lasting lines. */
function lastingLines(screen: string): string[] {
  return screen
    .replace(/\r\x1b\[2Kcrac: [^\r\n]*(?=\r\x1b\[2K)/g, '')
    .replaceAll(CLEAR, '')
    .replaceAll('\r\n', '\n')
    .split('\n')
    .filter((line) => line !== '');
}

async function checkpointArgs(t: Test, token: string): Promise<{ args: string[]; port: number }> {
  const port = await freePort();
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  return { port, args: ['checkpoint', '--image', imageDir, '--warmup-url', `http://127.0.0.1:${port}/`, '--warmup-requests', '300', '--', process.execPath, FIXTURE, token] };
}

t.test('not on a terminal: the lines of before, no progress line', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { args, port } = await checkpointArgs(t, token);
  const run = await runCrac(t, args, { PORT: String(port) });
  t.equal(run.code, 0, run.output);
  t.notMatch(run.output, /[\r\x1b]/, 'no carriage return, no escape sequence');
  t.same(run.output.split('\n').filter((line) => line.startsWith('crac: ')), [
    `crac: started ${process.execPath} ${FIXTURE} ${token} (pid ${/\(pid (\d+)\)/.exec(run.output)?.[1]})`,
    'crac: warm-up: 300 requests (200 x300)',
  ]);
  t.match(run.output, /^Checkpoint written to /m);
  t.same(await leftOver(token), []);
});

t.test('on a terminal: one line redrawn through readiness, warm-up and dump, then the same lasting lines', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { args, port } = await checkpointArgs(t, token);
  const command = [`PORT=${port}`, process.execPath, CRAC_BIN, ...args].map((word) => `'${word}'`).join(' ').replace(/^'(PORT=\d+)'/, '$1');
  // script(1) runs the command on a pseudo-terminal: its stdout and stderr are a TTY.
  const run = startNode(t, '/usr/bin/script', ['-qec', command, '/dev/null']);
  t.equal((await run.exited).code, 0, run.output());
  const screen = run.output();
  t.match(screen, `${CLEAR}crac: waiting for the app to be ready: `);
  t.match(screen, new RegExp(`\\r\\x1b\\[2Kcrac: warm-up: \\d+/300 requests`));
  t.match(screen, `${CLEAR}crac: checkpoint: `);
  const lasting = lastingLines(screen);
  t.same(lasting.filter((line) => line.startsWith('crac: ')), [
    `crac: started ${process.execPath} ${FIXTURE} ${token} (pid ${/\(pid (\d+)\)/.exec(screen)?.[1]})`,
    'crac: warm-up: 300 requests (200 x300)',
  ], 'the lasting lines are those printed off a terminal');
  t.ok(lasting.some((line) => line.startsWith('Checkpoint written to ')), lasting.join('\n'));
  t.ok(lasting.includes(`listening ${port}`), "the app's own output is there, whole");
  t.same(await leftOver(token), []);
});
