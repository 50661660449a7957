import t from 'tap';
import { criuUsable, getJson, leftOver, newToken, startCrac } from '@node-crac/test-kit';
import { checkpointFixture, PROBE_FIXTURE } from './harness.js';

// Two copies of one image, restored at the same time (each `crac restore` in
// its own PID namespace), must not share random state (docs/restored-copies.md §4).

type Draw = Record<'randomBytes' | 'randomBytesAsync' | 'randomUUID' | 'getRandomValues' | 'randomInt' | 'mathRandom', string | number>;
interface RandomReport {
  before: Draw;
  now: Draw;
  v8MathRandom: number[];
}

t.test('two copies restored from one image draw different random values from every source', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token, {}, PROBE_FIXTURE);

  const copies = [startCrac(t, ['restore', imageDir]), startCrac(t, ['restore', imageDir])];
  const ports = await Promise.all(copies.map(async (c) => Number((await c.waitFor(/listening (\d+)/))[1])));
  const [first, second] = (await Promise.all(ports.map((port) => getJson(port, '/random')))) as unknown as RandomReport[];

  // The copies are true clones: what was drawn before the checkpoint, and the
  // state of V8's own generator, are the same in both. So equal values drawn
  // after the restore would mean shared state, which is what this test catches.
  t.same(first!.before, second!.before, 'values drawn before the checkpoint are the same in both copies');
  t.same(first!.v8MathRandom, second!.v8MathRandom, "V8's Math.random, saved before the checkpoint, continues the same stream in both copies");

  for (const source of Object.keys(first!.now) as (keyof Draw)[]) {
    t.not(first!.now[source], second!.now[source], `${source} differs between the copies`);
    t.not(first!.now[source], first!.before[source], `${source} differs from the value drawn before the checkpoint`);
  }

  for (const copy of copies) copy.child.kill('SIGTERM');
  await Promise.all(copies.map((c) => c.exited));
  t.same(await leftOver(token), [], 'no restored copy left');
});
