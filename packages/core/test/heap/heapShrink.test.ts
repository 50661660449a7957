import { restoreEnvAtTeardown } from '@node-crac/test-kit';
import { getHeapSpaceStatistics } from 'node:v8';
import t from 'tap';
import { shrinkHeap } from '../../src/heap/heapShrink.js';
import { checkpointRestore, Context, type CheckpointRequest, type Engine } from '../../src/index.js';
import { loadBridge } from '../../src/native/bridge.js';

t.test('the heap shrink collects garbage before the dump, on every Node version', async (t) => {
  let garbage: unknown[] | undefined = Array.from({ length: 800_000 }, (_, i) => ({ i, text: `garbage ${i}`.repeat(4) }));
  const heapWithGarbage = process.memoryUsage().heapUsed;
  t.ok(garbage.length > 0);
  garbage = undefined;
  const result = shrinkHeap(loadBridge(), true);
  const heapAfter = process.memoryUsage().heapUsed;
  t.equal(result.shrunk, true);
  t.ok(heapAfter < heapWithGarbage / 2, `heap used ${heapWithGarbage} -> ${heapAfter} bytes`);
  t.ok(result.rssBeforeBytes > 0 && result.rssAfterBytes > 0);
});

t.test('it is skipped when turned off', async (t) => {
  const result = shrinkHeap(loadBridge(), false);
  t.equal(result.shrunk, false);
  t.equal(result.rssAfterBytes, result.rssBeforeBytes);
});

t.test('the cycle shrinks the heap for an engine that writes an image and hands it the result', async (t) => {
  const requests: CheckpointRequest[] = [];
  const engine: Engine = {
    name: 'recording',
    needsImageDir: true,
    async checkpoint(request) {
      requests.push(request);
      return { kind: 'continued', imageDir: request.imageDir };
    },
  };
  const context = new Context();
  context.register({ name: 'db', beforeCheckpoint() {}, afterRestore() {} });
  restoreEnvAtTeardown(t, ['CRAC_HEAP_SHRINK']);
  const run = (options: { heapShrink?: boolean } = {}) =>
    checkpointRestore({ engine, context, imageDir: '/nonexistent', checkOpenResources: false, leaveRunning: true, ...options });

  delete process.env.CRAC_HEAP_SHRINK;
  const result = await run();
  t.equal(requests[0]?.heap?.shrunk, true, 'on by default');
  t.same(requests[0]?.resources.map((r) => `${r.phase} ${r.resource}`), ['beforeCheckpoint db'], 'the engine gets the hook timings');
  t.same(result.steps.map((s) => s.step), ['heap shrink', 'engine']);
  process.env.CRAC_HEAP_SHRINK = '0';
  await run();
  t.equal(requests[1]?.heap?.shrunk, false, 'CRAC_HEAP_SHRINK=0 turns it off');
  await run({ heapShrink: true });
  t.equal(requests[2]?.heap?.shrunk, true, 'the option wins over the environment');
  await checkpointRestore({ engine: 'simulate', context, checkOpenResources: false });
  t.equal(requests.length, 3);
});

t.test('the heap shrink gives back the pages of a fragmented old space, on every Node version', async (t) => {
  const oldSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!;
  let all: unknown[] | undefined = Array.from({ length: 600_000 }, (_, i) => ({ i, text: `object ${i}`.repeat(3) }));
  // One object in ten survives, spread over every page: a plain full GC frees the rest but keeps the pages.
  const kept = all.filter((_, i) => i % 10 === 0);
  await new Promise((r) => setTimeout(r, 10)); // the survivors reach the old space
  all = undefined;
  const before = oldSpace().physical_space_size;
  shrinkHeap(loadBridge(), true);
  const after = oldSpace();
  t.ok(kept.length > 0);
  t.ok(
    after.physical_space_size < before / 2 && after.physical_space_size < after.space_used_size * 2,
    `old space ${(before / 1048576).toFixed(1)} MB -> ${(after.physical_space_size / 1048576).toFixed(1)} MB resident, ${(after.space_used_size / 1048576).toFixed(1)} MB used`,
  );
});
