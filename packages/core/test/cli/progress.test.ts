import { Writable } from 'node:stream';
import t from 'tap';
import { describeCheckpointProgress, describeWarmupProgress } from '../../src/cli/progressSteps.js';
import { progressOn } from '../../src/cli/progress.js';
import { tempDir } from '@node-crac/test-kit';

/** A stream that records what is written to it. */
function recorder(isTTY: boolean, columns = 40): { stream: { isTTY: boolean; columns: number; write(text: string): boolean }; text: () => string } {
  let text = '';
  return { stream: { isTTY, columns, write: (chunk: string) => ((text += chunk), true) }, text: () => text };
}

function sink(): { to: Writable; text: () => string } {
  let text = '';
  return {
    to: new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += chunk.toString()), done()) }),
    text: () => text,
  };
}

const write = (to: NodeJS.WritableStream, text: string): Promise<void> => new Promise((done) => to.write(text, () => done()));

t.test('not a terminal: only the lasting lines, exactly as say() prints them', async (t) => {
  const out = recorder(false);
  const progress = progressOn(out.stream);
  progress.show(() => 'waiting');
  progress.say('started app (pid 1)');
  const app = sink();
  t.equal(progress.output(app.to), app.to, "the app's output goes straight through");
  progress.end();
  t.equal(out.text(), 'crac: started app (pid 1)\n');
});

t.test('TERM=dumb: lines only, even on a terminal', async (t) => {
  const out = recorder(true);
  const progress = progressOn(out.stream, { TERM: 'dumb' });
  progress.show(() => 'waiting');
  progress.end();
  t.equal(out.text(), '');
});

t.test('a terminal: one line redrawn in place, cut to its width, cleared at the end', async (t) => {
  const out = recorder(true, 30);
  const progress = progressOn(out.stream, {});
  let count = 0;
  progress.show(() => `step ${++count}`);
  t.equal(out.text(), '\r\x1b[2Kcrac: step 1', 'drawn at once');
  progress.say('a line that stays');
  t.equal(out.text(), '\r\x1b[2Kcrac: step 1\r\x1b[2Kcrac: a line that stays\n\r\x1b[2Kcrac: step 2', 'cleared, the line, drawn again');
  await new Promise((r) => setTimeout(r, 450));
  t.match(out.text(), /crac: step [34]/, 'redrawn as time goes');
  progress.show(() => 'x'.repeat(100));
  t.match(out.text(), new RegExp(`\\r\\x1b\\[2Kcrac: x{22}…$`), 'cut to the terminal width (one column spare)');
  progress.end();
  t.match(out.text(), /\r\x1b\[2K$/, 'cleared');
  const after = out.text();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(out.text(), after, 'no redraw after the end');
});

t.test("a terminal: the app's output clears the line first and is never drawn over mid-line", async (t) => {
  const out = recorder(true);
  const progress = progressOn(out.stream, {});
  progress.show(() => 'waiting');
  const app = sink();
  const relayed = progress.output(app.to);
  await write(relayed, 'partial');
  t.equal(app.text(), 'partial');
  t.equal(out.text(), '\r\x1b[2Kcrac: waiting\r\x1b[2K', 'cleared before the chunk, not drawn again after half a line');
  await write(relayed, ' line\n');
  t.equal(out.text(), '\r\x1b[2Kcrac: waiting\r\x1b[2K\r\x1b[2Kcrac: waiting', 'drawn again once the line is complete');
  progress.end();
});

t.test('the steps: warm-up counts, and the checkpoint before and during the dump', async (t) => {
  const since = Date.now();
  const report = { sent: 3, statuses: new Map([[404, 1], [200, 2]]) };
  t.match(describeWarmupProgress({ urls: ['a', 'b'], requests: 5 }, report, since), /^warm-up: 3\/10 requests \(200 x2, 404 x1\), \d+\.\d s$/);
  t.match(describeWarmupProgress({ urls: ['a'], durationS: 10 }, { sent: 0, statuses: new Map() }, since), /^warm-up: 0 requests, \d+\.\d s of 10 s$/);
  const dir = tempDir(t, 'crac-progress-');
  t.match(describeCheckpointProgress(dir, undefined, since), /^checkpoint: the app runs its beforeCheckpoint hooks and checks, /);
});
