import { existsSync, renameSync, rmSync } from 'node:fs';
import { createStagingDir } from '../image/stagingDir.js';
import { checkpointRunning, waitUntilReady } from './checkpoint.js';
import { say } from './command.js';
import type { LaunchedApp } from './launchApp.js';

const SAVE_TIMEOUT_MS = 120_000;

export interface SavePlan {
  readyUrl: string | undefined;
  readyTimeoutMs: number;
}

/**
 * `crac start --save`: once the cold-started app is ready, checkpoints it with
 * leaveRunning (it goes on serving) into a fresh private directory beside
 * `imageDir`, which then replaces `imageDir` by rename, so the next start
 * restores. Any failure is told and the app goes on: saving is never a reason
 * for the app to stop.
 */
export async function saveColdImage(app: LaunchedApp, imageDir: string, plan: SavePlan): Promise<void> {
  let ended = false;
  void app.exited.then(() => (ended = true));
  let staging: string | undefined;
  try {
    await waitUntilReady(app, plan, () => !ended);
    staging = createStagingDir(imageDir, 'saving');
    await checkpointRunning(app.pid, staging, { leaveRunning: true, timeoutMs: SAVE_TIMEOUT_MS });
    replaceImage(staging, imageDir);
    say(`saved an image of the cold-started app to ${imageDir}: the next crac start restores it`);
  } catch (error) {
    if (staging) rmSync(staging, { recursive: true, force: true });
    say(`no image of the cold-started app was saved: ${(error as Error).message}${ended ? '' : '; the app goes on'}`);
  }
}

/** Puts the sealed image in `staging` where `imageDir` is, the one that was there (a damaged or outdated image) removed. */
function replaceImage(staging: string, imageDir: string): void {
  if (!existsSync(imageDir)) {
    renameSync(staging, imageDir);
    return;
  }
  const old = `${staging}.replaced`;
  renameSync(imageDir, old);
  renameSync(staging, imageDir);
  rmSync(old, { recursive: true, force: true });
}
