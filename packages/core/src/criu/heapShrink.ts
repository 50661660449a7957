import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NativeBridge } from '../native/bridge.js';

export interface HeapShrinkResult {
  shrunk: boolean;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/** Heap shrink is on unless turned off by option or CRAC_HEAP_SHRINK=0 (the benchmark compares both). */
export function heapShrinkEnabled(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  return process.env.CRAC_HEAP_SHRINK !== '0';
}

/**
 * A full GC, then malloc_trim(0): the image holds every resident page, and this
 * drops about 40 % of a warmed-up server's RSS (DESIGN.md 3.5).
 */
export function shrinkHeap(bridge: NativeBridge, enabled: boolean): HeapShrinkResult {
  const rssBeforeBytes = process.memoryUsage.rss();
  if (!enabled) return { shrunk: false, rssBeforeBytes, rssAfterBytes: rssBeforeBytes };
  fullGc();
  bridge.mallocTrim();
  return { shrunk: true, rssBeforeBytes, rssAfterBytes: process.memoryUsage.rss() };
}

function fullGc(): void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') {
    existing();
    return;
  }
  // --expose-gc set at run time reaches only contexts created afterwards, so
  // take gc() from a fresh context and leave this one's globals untouched.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
}
