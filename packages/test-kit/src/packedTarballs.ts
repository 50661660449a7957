import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Teardown } from './teardown.js';
import { tempDir } from './tempDir.js';

const PACKAGES_DIR = resolve(__dirname, '../..');

/** The published packages, by their folder under packages/. */
export const PUBLISHED_PACKAGES = ['core', 'criu-linux-x64', 'fastify-crac', 'express-crac', 'koa-crac', 'pg-crac', 'redis-crac'];

/**
 * Packs each folder with `pnpm pack` (which turns `workspace:` ranges into
 * versions, as publishing does) into a directory removed at the end of the
 * test. Returns the tarballs' paths by package name.
 */
export function packTarballs(t: Teardown, folders: string[] = PUBLISHED_PACKAGES): Record<string, string> {
  const destination = tempDir(t, 'node-crac-tarballs-');
  const tarballs: Record<string, string> = {};
  for (const folder of folders) {
    const dir = join(PACKAGES_DIR, folder);
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
    const printed = execFileSync('pnpm', ['pack', '--pack-destination', destination], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    tarballs[name] = printed.trim().split('\n').pop()!;
  }
  return tarballs;
}
