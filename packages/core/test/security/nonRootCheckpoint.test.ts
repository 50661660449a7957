import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CRAC_BIN, criuUsable, getJson, leftOver, newToken, runCrac, startNode, stopProcess, tempDir } from '@node-crac/test-kit';
import t from 'tap';
import { FIXTURE } from '../e2e/harness.js';
import { createLocalUser, dirOwnedBy } from './fixtures/localUser.js';

// CRIU dumps only as root, and without root it exits before writing even its
// log: the message used to name a dump.log that did not exist. crac checkpoint
// now refuses at once, before it starts the app or writes anything.

t.test('crac checkpoint as a user who is not root: refused before the app starts, naming the user and the fix', async (t) => {
  if (!criuUsable(t)) return;
  const user = createLocalUser(t);
  const token = newToken(t);
  const theirs = dirOwnedBy(t, user, 'theirs', 0o700);
  const imageDir = join(theirs, 'image');

  // Without tap's NODE_OPTIONS, whose coverage hooks cannot write where this user may not.
  const run = user.sh(`exec env -u NODE_OPTIONS ${process.execPath} ${CRAC_BIN} checkpoint --image ${imageDir} -- ${process.execPath} ${FIXTURE} ${token}`);
  const output = run.stdout + run.stderr;
  t.equal(run.status, 1, output);
  t.match(output, new RegExp(`crac checkpoint: this command \\(and so the app it would start\\) runs as uid ${user.uid} \\(${user.name}\\), not root, and CRIU dumps a process only as root: run it as root \\(sudo\\)`));
  t.notMatch(output, /started|dump\.log/, 'no app was started, no CRIU log is named');
  t.notOk(existsSync(imageDir), 'no image directory was made');
  t.same(readdirSync(theirs), []);
  t.same(await leftOver(token), []);
});

t.test('crac checkpoint --pid of an app run by a user who is not root: refused before the app is signalled, and it goes on', async (t) => {
  if (!criuUsable(t)) return;
  const user = createLocalUser(t);
  const token = newToken(t);
  const asUser = ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups'];
  const app = startNode(t, 'setpriv', [...asUser, process.execPath, CRAC_BIN, 'run', '--', process.execPath, FIXTURE, token], { NODE_OPTIONS: '' });
  const pid = Number((await app.waitFor(/pid (\d+)\)/))[1]);
  const port = Number((await app.waitFor(/listening (\d+)/))[1]);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');

  const run = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir]);
  t.equal(run.code, 1, run.output);
  t.match(run.output, new RegExp(`process ${pid} runs as uid ${user.uid} \\(${user.name}\\), not root, and CRIU dumps a process only as root`));
  t.notOk(existsSync(imageDir), 'no image directory was made');
  t.ok((await getJson(port)).state, 'the app goes on serving, never frozen');
  t.notMatch(app.output(), /checkpoint-failed|triggered checkpoint/, 'and never heard of a checkpoint');
  await stopProcess(app);
});
