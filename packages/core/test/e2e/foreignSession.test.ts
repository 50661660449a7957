import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';
import { criuUsable, getJson, leftOver, newToken, startCrac, startNode, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

const CRAC = resolve(__dirname, '../../bin/crac.js');
// A new PID namespace whose first process keeps the session it had outside: the
// session leader is invisible inside (NSsid 0), as in a sandboxed CI runner.
// --kill-child ends the namespace when unshare is killed by PID at teardown.
const FOREIGN_SESSION = ['--pid', '--fork', '--kill-child', '--mount-proc'];

t.test('crac checkpoint works when its session began outside its PID namespace', async (t) => {
  if (!criuUsable(t)) return;
  const probe = spawnSync('unshare', [...FOREIGN_SESSION, 'grep', '^NSsid:', '/proc/self/status'], { encoding: 'utf8' });
  t.equal(probe.status, 0, `unshare runs (root is needed): ${probe.stderr}`);
  t.match(probe.stdout, /^NSsid:\s+0$/m, 'inside, the session leader is outside the namespace');

  const doctor = spawnSync('unshare', [...FOREIGN_SESSION, process.execPath, CRAC, 'doctor'], { encoding: 'utf8' });
  t.match(doctor.stdout, /\[warn\] session: its leader is outside this PID namespace.*\n.*fix: .*crac run.*setsid/, 'crac doctor warns and names the fix');
  t.match(doctor.stdout, /Verdict: checkpoints can work/, 'a warning, not a failure');

  const token = newToken(t);
  const imageDir = resolve(tempDir(t, 'crac-image-'), 'image');
  const checkpoint = startNode(t, 'unshare', [...FOREIGN_SESSION, process.execPath, CRAC, 'checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token]);
  const { code } = await checkpoint.exited;
  t.equal(code, 0, `crac checkpoint wrote an image (the app leads its own session):\n${checkpoint.output()}`);
  const state = /^state (\w+)$/m.exec(checkpoint.output())?.[1];

  const restorer = startCrac(t, ['restore', imageDir]);
  const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
  t.equal((await getJson(port)).state, state, 'the restored copy serves the state from before the checkpoint');
  restorer.child.kill('SIGTERM');
  await restorer.exited;
  t.same(await leftOver(token), [], 'no app left');
});
