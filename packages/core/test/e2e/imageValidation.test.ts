import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { criuUsable, leftOver, newToken, runCrac, tempDir } from '@node-crac/test-kit';
import { checkpointFixture, resealMeta } from './harness.js';

t.test('crac doctor says checkpoints can work here', async (t) => {
  if (!criuUsable(t)) return;
  const doctor = await runCrac(t, ['doctor']);
  t.equal(doctor.code, 0);
  t.match(doctor.output, /Verdict: checkpoints can work on this machine/);
});

t.test('restore refuses a missing, corrupt or foreign image with a clear error and leaves no process', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const scratch = tempDir(t, 'crac-bad-images-');
  let n = 0;

  /** A copy of the good image, changed by `spoil`. */
  function spoiled(spoil: (dir: string) => void): string {
    const dir = join(scratch, `image-${++n}`);
    cpSync(imageDir, dir, { recursive: true });
    spoil(dir);
    return dir;
  }
  const withMeta = (change: (m: Record<string, any>) => void) => (dir: string): void => resealMeta(dir, change);

  const cases: [string, string, RegExp][] = [
    ['no such directory', join(scratch, 'nothing-here'), /No checkpoint image at .*the directory does not exist/],
    ['crac.json missing', spoiled((dir) => rmSync(join(dir, 'crac.json'))), /not a complete node-crac image: crac\.json is missing/],
    ['crac.json corrupt', spoiled((dir) => writeFileSync(join(dir, 'crac.json'), '{"format": "node-crac-im', { mode: 0o600 })), /crac\.json is corrupt/],
    ['crac.json of an unfinished checkpoint', spoiled(withMeta((m) => (m.complete = false))), /incomplete image: the checkpoint did not finish/],
    ['another Node binary', spoiled(withMeta((m) => (m.node.mappedFiles.find((f: { path: string }) => f.path === m.node.execPath).size += 1))), /Node binary .* changed since the checkpoint/],
    ['a Node binary that is not here', spoiled(withMeta((m) => (m.node.execPath = '/nonexistent/node'))), /Node binary it was made with \(\/nonexistent\/node/],
    ['a CPU without a feature the image may use', spoiled(withMeta((m) => m.cpu.flags.push('avx9000'))), /this CPU .* lacks features .*: avx9000/],
    ['a CRIU file missing', spoiled((dir) => rmSync(join(dir, 'pstree.img'))), /is damaged:\s+- pstree\.img is missing/],
    ['a CRIU file truncated', spoiled((dir) => writeFileSync(join(dir, 'pages-1.img'), '', { mode: 0o600 })), /is damaged:\s+- pages-1\.img has 0 bytes/],
  ];
  for (const [what, dir, message] of cases) {
    const run = await runCrac(t, ['restore', dir]);
    t.not(run.code, 0, `${what}: non-zero exit`);
    t.match(run.output, message, `${what}: says why`);
  }
  t.same(await leftOver(token), [], 'no restored process left behind');
});
