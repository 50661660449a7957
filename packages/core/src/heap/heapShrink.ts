import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NativeBridge } from '../native/bridge.js';

export interface HeapShrinkResult {
  shrunk: boolean;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

/**
 * A memory-reducing full GC, then malloc_trim(0): the image holds every
 * resident page. A plain full GC frees objects but V8 keeps their pages
 * resident; the 'last-resort' flavor (V8 >= 12, Node 22+) compacts and returns
 * them (measured on the realistic example, Node 24: RSS 300 MB -> 112 MB, a
 * plain gc() 277 MB -> 260 MB). V8 11 (Node 20) runs no full GC at all when
 * given these options; there a full GC with compaction forced frees the
 * fragmented old-space pages, and a second one waits for V8 to unmap them
 * (measured on the realistic example, Node 20: RSS 228 MB after a plain gc(),
 * 137 MB after these two).
 */
export function shrinkHeap(bridge: NativeBridge, enabled: boolean): HeapShrinkResult {
  const rssBeforeBytes = process.memoryUsage.rss();
  if (!enabled) return { shrunk: false, rssBeforeBytes, rssAfterBytes: rssBeforeBytes };
  fullGc();
  bridge.mallocTrim();
  return { shrunk: true, rssBeforeBytes, rssAfterBytes: process.memoryUsage.rss() };
}

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

function fullGc(): void {
  let gc = (globalThis as { gc?: Gc }).gc;
  if (typeof gc !== 'function') {
    // --expose-gc set at run time reaches only contexts created afterwards, so
    // take gc() from a fresh context and leave this one's globals untouched.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  if (v8Major() >= 12) {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    return;
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc'); // the app's own GCs after the checkpoint stay as they were
  }
  gc();
}

function v8Major(): number {
  return Number(process.versions.v8.split('.')[0]);
}
