import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCrac, tempDir } from '@node-crac/test-kit';
import type { Test } from 'tap';
import { manifestDigest } from '../../src/image/imageIntegrity.js';
import type { ImageMeta } from '../../src/image/imageMeta.js';

// What only the core end-to-end tests share; processes, ports, CRIU and HTTP
// helpers come from @node-crac/test-kit.

export const FIXTURE = resolve(__dirname, '../fixtures/httpApp.js');
/** The app that reports what a restored copy sees: randomness, timers, restore clock (see the file). */
export const PROBE_FIXTURE = resolve(__dirname, '../fixtures/probeApp.js');
const LIMIT_MS = 60_000;

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

/** A copy of the image in `imageDir` (a fresh directory, removed at the end of the test), to spoil. */
export function copyImage(t: Test, imageDir: string): string {
  const copy = join(tempDir(t, 'crac-image-copy-'), 'image');
  cpSync(imageDir, copy, { recursive: true });
  return copy;
}

/**
 * Changes the crac.json in `dir` and seals it again (a new manifest digest), as
 * only the image's owner could: the change then reaches the checks behind the digest.
 */
export function resealMeta(dir: string, change: (meta: Record<string, any>) => void): void {
  const file = join(dir, 'crac.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  change(meta);
  meta.manifestDigest = manifestDigest(meta as ImageMeta);
  writeFileSync(file, JSON.stringify(meta), { mode: 0o600 });
}
