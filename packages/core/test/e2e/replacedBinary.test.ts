import { chmodSync, closeSync, copyFileSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { criuUsable, freePort, getJson, leftOver, newToken, runCrac, startCrac, stopProcess, tempDir, tryConnect } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// The checkpointed process's code comes back from its binaries at restore (the
// image holds only the pages it wrote). A Node binary patched after the
// checkpoint with its size and mtime put back restored, ran another byte than
// the one it was checkpointed over and died of SIGTRAP without a word. The
// binary here is a copy of this Node, so that patching it harms nothing else.
const MTIME_S = 1_700_000_000; // whole seconds: utimes puts them back exactly

t.test('a Node binary patched after the checkpoint, size and mtime kept, is refused before anything runs', async (t) => {
  if (!criuUsable(t)) return;
  const dir = tempDir(t, 'crac-replaced-binary-');
  const node = join(dir, 'node');
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  utimesSync(node, MTIME_S, MTIME_S);

  const token = newToken(t);
  const port = await freePort();
  const imageDir = join(dir, 'image');
  const checkpoint = await runCrac(t, ['checkpoint', '--image', imageDir, '--', node, FIXTURE, token], { PORT: String(port) });
  t.equal(checkpoint.code, 0, checkpoint.output);
  const state = /^state (\w+)$/m.exec(checkpoint.output)?.[1];
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as { node: { execPath: string; mappedFiles: { path: string; size: number; mtimeMs: number }[] } };
  t.equal(meta.node.execPath, node, 'the image was made with the copy');
  t.ok(meta.node.mappedFiles.some((f) => f.path === node), 'the copy is among the mapped files recorded');
  t.ok(meta.node.mappedFiles.some((f) => f.path.endsWith('.node')), 'and the native addon');
  t.same(await leftOver(token), [], 'the checkpointed app is gone');

  await t.test('the unchanged binary restores', async (t) => {
    const restorer = startCrac(t, ['restore', imageDir]);
    await restorer.waitFor(new RegExp(`listening ${port}`));
    t.equal((await getJson(port)).state, state, 'the restored copy answers with its state');
    await stopProcess(restorer);
    t.same(await leftOver(token), [], 'and is gone once stopped');
  });

  await t.test('the same binary under another identity (a copy, as on another host) restores: its content decides', async (t) => {
    const original = `${node}.original`;
    copyFileSync(node, original);
    rmSync(node);
    renameSync(original, node);
    chmodSync(node, 0o755);
    utimesSync(node, MTIME_S, MTIME_S);
    const restorer = startCrac(t, ['restore', imageDir]);
    await restorer.waitFor(new RegExp(`listening ${port}`));
    t.equal((await getJson(port)).state, state);
    await stopProcess(restorer);
    t.same(await leftOver(token), []);
  });

  // One byte in the middle of the binary (its code), flipped in place: same
  // inode, same size, mtime put back. The ctime and the content tell.
  const offset = Math.floor(statSync(node).size / 2);
  const fd = openSync(node, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, offset);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, offset);
  closeSync(fd);
  utimesSync(node, MTIME_S, MTIME_S);
  const patched = statSync(node);
  const recorded = meta.node.mappedFiles.find((f) => f.path === node)!;
  t.equal(patched.size, recorded.size, 'the patched binary has the recorded size');
  t.equal(patched.mtimeMs, recorded.mtimeMs, 'and the recorded mtime');

  const restore = await runCrac(t, ['restore', imageDir], {}, 60_000);
  t.not(restore.code, 0, 'crac restore exits non-zero');
  t.match(restore.output, `the Node binary ${node} changed since the checkpoint (its content differs (SHA-256)`, 'names the binary and why');
  t.match(restore.output, 'checkpoint again with the installed binaries', 'and the fix');
  t.notMatch(restore.output, /listening|SIGTRAP|Restore finished/, 'nothing was restored');
  t.same(await leftOver(token, 1_000), [], 'no restored process is left');
  t.equal(await tryConnect(port), 'ECONNREFUSED', `nothing listens on ${port}`);
});
