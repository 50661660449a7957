import t from 'tap';
import { heapShrinkEnabled, shrinkHeap } from '../../src/heap/heapShrink.js';
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

t.test('it is skipped when turned off, and CRAC_HEAP_SHRINK=0 turns it off', async (t) => {
  const result = shrinkHeap(loadBridge(), false);
  t.equal(result.shrunk, false);
  t.equal(result.rssAfterBytes, result.rssBeforeBytes);
  const saved = process.env.CRAC_HEAP_SHRINK;
  t.teardown(() => {
    if (saved === undefined) delete process.env.CRAC_HEAP_SHRINK;
    else process.env.CRAC_HEAP_SHRINK = saved;
  });
  process.env.CRAC_HEAP_SHRINK = '0';
  t.equal(heapShrinkEnabled(undefined), false);
  t.equal(heapShrinkEnabled(true), true);
  delete process.env.CRAC_HEAP_SHRINK;
  t.equal(heapShrinkEnabled(undefined), true);
});
