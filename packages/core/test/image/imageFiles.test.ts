import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@node-crac/test-kit';
import t from 'tap';
import { clearPreviousImage } from '../../src/image/imageFiles.js';

t.test('clearPreviousImage removes CRIU\'s files and what the manifest lists, nothing else', async (t) => {
  const parent = tempDir(t, 'crac-clear-');
  const dir = join(parent, 'image');
  mkdirSync(dir, { mode: 0o700 });
  const outside = join(parent, 'outside.img');
  writeFileSync(outside, 'x');
  for (const name of ['core-12.img', 'pages-2.img', 'stats-dump', 'irmap-cache', '.crac.json.123', 'listed.bin', 'dump.log', 'notes.txt']) writeFileSync(join(dir, name), 'x');
  mkdirSync(join(dir, 'sub.img'));
  writeFileSync(join(dir, 'crac.json'), JSON.stringify({ files: { 'listed.bin': {}, '../outside.img': {}, 'gone.img': {} } }));
  clearPreviousImage(dir);
  t.same(readdirSync(dir).sort(), ['dump.log', 'notes.txt', 'sub.img'], 'the log, a file of no image and a directory stay');
  t.ok(existsSync(outside), 'a manifest name outside the directory is never followed');
});

t.test('a crac.json that cannot be read: only CRIU\'s own names are removed', async (t) => {
  const dir = tempDir(t, 'crac-clear-');
  writeFileSync(join(dir, 'crac.json'), '{"files": {"listed.bin"');
  for (const name of ['inventory.img', 'listed.bin']) writeFileSync(join(dir, name), 'x');
  clearPreviousImage(dir);
  t.same(readdirSync(dir), ['listed.bin']);
});
