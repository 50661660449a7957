import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CRAC_BIN, criuUsable, getJson, leftOver, newToken, runCrac, startCrac, startNode, tempDir } from '@node-crac/test-kit';
import { FIXTURE } from './harness.js';

// crac checkpoint checks what a dump needs before it starts the app (or
// signals it), with crac doctor's words, instead of finding out after the
// readiness wait and the warm-up.

/** The finding (and its fix) that `crac doctor` prints as a failure under `env`. */
async function doctorFailure(t: Test, env: Record<string, string>): Promise<string> {
  const doctor = await runCrac(t, ['doctor'], env);
  t.equal(doctor.code, 1, 'crac doctor finds the same problem');
  const finding = /^\[FAIL\] (.*)\n\s+fix: (.*)$/m.exec(doctor.output);
  if (!finding) throw new Error(`crac doctor printed no failure:\n${doctor.output}`);
  return `  - ${finding[1]}\n    fix: ${finding[2]}`;
}

t.test('no usable CRIU: refused at once with the doctor\'s finding, before the app starts', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const env = { CRAC_CRIU_PATH: join(tempDir(t, 'crac-nocriu-'), 'criu') };
  const run = await runCrac(t, ['checkpoint', '--image', imageDir, '--warmup-url', 'http://127.0.0.1:1/', '--', process.execPath, FIXTURE, token], env);
  t.equal(run.code, 1, run.output);
  t.match(run.output, `crac checkpoint: checkpoints cannot work on this machine, so the app was not started:\n${await doctorFailure(t, env)}\nRun "crac doctor" for every check.\n`);
  t.notMatch(run.output, /crac: started|state /, 'the app was not started');
  t.notOk(existsSync(imageDir), 'nothing was written');
  t.same(await leftOver(token), []);
});

t.test('without CAP_SYS_ADMIN: refused before the app starts, naming the capability and the fix', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = startNode(t, '/usr/bin/setpriv', ['--bounding-set', '-sys_admin', process.execPath, CRAC_BIN, 'checkpoint', '--image', imageDir, '--', process.execPath, FIXTURE, token]);
  t.equal((await run.exited).code, 1, run.output());
  t.match(run.output(), /^crac checkpoint: checkpoints cannot work on this machine, so the app was not started:\n {2}- CAP_SYS_ADMIN is not effective; without it, checkpoint: CRIU cannot probe the kernel .*\n {4}fix: run as root with CAP_SYS_ADMIN/);
  t.notMatch(run.output(), /crac: started|state /);
  t.same(await leftOver(token), []);
});

t.test('crac checkpoint --pid: refused before the app is signalled, and it goes on serving', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const app = startCrac(t, ['run', '--', process.execPath, FIXTURE, token]);
  const pid = Number((await app.waitFor(/pid (\d+)\)/))[1]);
  const port = Number((await app.waitFor(/listening (\d+)/))[1]);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');
  const run = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir], { CRAC_CRIU_PATH: '/nonexistent/criu' });
  t.equal(run.code, 1, run.output);
  t.match(run.output, `crac checkpoint: checkpoints cannot work on this machine, so process ${pid} was not asked to checkpoint:\n  - CRAC_CRIU_PATH=/nonexistent/criu is refused`);
  t.notOk(existsSync(imageDir));
  t.type((await getJson(port)).state, 'string', 'the app still serves');
  app.child.kill('SIGTERM');
  await app.exited;
  t.same(await leftOver(token), []);
});
