import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { restorePrivilegeProblem } from '../../src/cli/restorePrivileges.js';
import { appChanges, checkAppUnchanged, describeApp, describeHost, hostDifferences } from '../../src/image/compatibility.js';
import { ImageError, type ImageMeta } from '../../src/image/imageMeta.js';

const imageWith = (fields: Partial<ImageMeta>): ImageMeta => ({ criu: { path: '/usr/sbin/criu', version: '4.1.1' }, ...fields }) as ImageMeta;

t.test('the app files loaded in this process are recorded, each with its digest; a change is named', async (t) => {
  const app = describeApp();
  const self = app.files.find((f) => f.path.endsWith('/src/image/compatibility.ts'));
  t.ok(self, 'a required module is among them');
  t.match(self?.sha256, /^[0-9a-f]{64}$/);
  t.notOk(app.files.some((f) => f.path.endsWith('.node')), 'native addons are left to the mapped files');
  t.same(appChanges(imageWith({ app })), [], 'nothing changed');

  const dir = mkdtempSync(join(tmpdir(), 'crac-app-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'server.js');
  writeFileSync(file, 'console.log(1)\n');
  const recorded = imageWith({ app: { files: [{ ...app.files[0]!, path: file, size: 15, dev: 0, ino: 0, sha256: 'f'.repeat(64) }] } });
  t.match(appChanges(recorded), [`the app file ${file} changed since the checkpoint (its content differs (SHA-256)`]);
  appendFileSync(file, '// more\n');
  t.throws(() => checkAppUnchanged(recorded), new ImageError(`The image holds an older version of the app:\n  - the app file ${file} changed since the checkpoint (23 bytes, 15 at the checkpoint)\nCheckpoint again with the app as it is now`));
  rmSync(file);
  t.match(appChanges(recorded), [/\(it is missing\)$/]);
  t.same(appChanges(imageWith({})), [], 'an image of an earlier version records no app files');
});

t.test('another kernel or CRIU version is told, not refused', async (t) => {
  t.same(describeHost(), { kernel: release() });
  t.same(hostDifferences(imageWith({ host: describeHost() }), '4.1.1'), []);
  t.same(hostDifferences(imageWith({ host: { kernel: '5.10.0-old' } }), '4.2'), [
    `the image was taken on kernel 5.10.0-old, this is ${release()}`,
    'the image was taken with CRIU 4.1.1, this is CRIU 4.2',
  ]);
  t.same(hostDifferences(imageWith({}), '4.1.1'), [], 'no kernel recorded: nothing to compare');
});

t.test('restoring needs CAP_SYS_ADMIN and CAP_SYS_PTRACE, judged by the effective capabilities', async (t) => {
  t.equal(restorePrivilegeProblem('CapEff:\t000001ffffffffff\n'), undefined, 'all of them');
  t.equal(restorePrivilegeProblem('CapEff:\t0000000000280000\n'), undefined, 'exactly SYS_ADMIN and SYS_PTRACE');
  t.match(restorePrivilegeProblem('CapEff:\t0000000000000000\n'), /^restoring needs CAP_SYS_ADMIN and CAP_SYS_PTRACE, which this process \(uid \d+\) does not have: run it as root/);
  t.match(restorePrivilegeProblem('CapEff:\t0000010000080000\n'), /^restoring needs CAP_SYS_ADMIN, which/, 'PTRACE and CHECKPOINT_RESTORE without SYS_ADMIN');
});
