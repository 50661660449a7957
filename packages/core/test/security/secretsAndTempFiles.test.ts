// Secrets given at restore never reach a command line, and the files root
// writes outside the image cannot be read or redirected by another user.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { criuUsable, getJson, leftOver, newToken, runCrac, startCrac, tempDir } from '@node-crac/test-kit';
import t from 'tap';
import { checkpointFixture, FIXTURE } from '../e2e/harness.js';
import { createLocalUser } from './fixtures/localUser.js';

/** Every command line on the machine that holds `secret`. */
function commandLinesWith(secret: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(secret)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

t.test('--env-file and --env NAME hand secrets over without any command line showing them', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const secret = `s3cret-${randomBytes(8).toString('hex')}`;
  const envFile = join(tempDir(t, 'crac-secrets-'), 'restore.env');
  writeFileSync(envFile, `# database\nTEST_VAR="${secret}-file"\n`, { mode: 0o600 });

  for (const [how, args, env] of [
    ['--env-file', ['--env-file', envFile], {}],
    ['--env NAME', ['--env', 'TEST_VAR'], { TEST_VAR: `${secret}-env` }],
  ] as const) {
    const restorer = startCrac(t, ['restore', imageDir, ...args], env);
    const port = Number((await restorer.waitFor(/listening (\d+)/))[1]);
    const answer = await getJson(port);
    t.equal(answer.testVar, `${secret}-${how === '--env-file' ? 'file' : 'env'}`, `${how}: the app got the value`);
    t.same(commandLinesWith(secret), [], `${how}: no process of the restore shows it in its command line`);
    restorer.child.kill('SIGTERM');
    await restorer.exited;
  }
  t.same(await leftOver(token), []);
});

t.test('--env-file refuses a file that another user could write, and --env NAME a variable that is not set', async (t) => {
  const attacker = createLocalUser(t);
  const dir = tempDir(t, 'crac-secrets-');
  const theirs = join(dir, 'theirs.env');
  writeFileSync(theirs, 'TEST_VAR=x\n', { mode: 0o600 });
  chownSync(theirs, attacker.uid, attacker.gid);
  const owned = await runCrac(t, ['restore', '/nonexistent', '--env-file', theirs]);
  t.equal(owned.code, 1);
  t.match(owned.output, new RegExp(`${theirs} \\(owner uid ${attacker.uid} \\(${attacker.name}\\), mode 0600\\) is owned by uid ${attacker.uid} \\(${attacker.name}\\): keep secrets in a file that only you`));
  const open = join(dir, 'open.env');
  writeFileSync(open, 'TEST_VAR=x\n');
  chmodSync(open, 0o666);
  t.match((await runCrac(t, ['restore', '/nonexistent', '--env-file', open])).output, /is writable by every user/);
  const malformed = join(dir, 'bad.env');
  writeFileSync(malformed, 'GOOD=1\nnot a line\n', { mode: 0o600 });
  t.match((await runCrac(t, ['restore', '/nonexistent', '--env-file', malformed])).output, /bad\.env, line 2: expected NAME=VALUE/);
  const unset = await runCrac(t, ['restore', '/nonexistent', '--env', 'CRAC_TEST_SURELY_UNSET']);
  t.equal(unset.code, 2);
  t.match(unset.output, /CRAC_TEST_SURELY_UNSET is not set in this command's environment/);
});

t.test("the restore log goes into a private directory: another user's planted names are neither read nor clobbered", async (t) => {
  if (!criuUsable(t)) return;
  const attacker = createLocalUser(t);
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token);
  const shared = tempDir(t, 'crac-tmp-');
  chmodSync(shared, 0o1777); // like /tmp
  const lastPid = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
  // The names the restore log and the trigger request used to have, for the next PIDs.
  const planted = attacker.sh(
    `for p in $(seq ${lastPid + 1} ${lastPid + 400}); do : > ${shared}/node-crac-restore-$p.log; : > ${shared}/node-crac-trigger-$p.json; done; chmod 666 ${shared}/*`,
  );
  t.equal(planted.status, 0, planted.stderr);
  const restorer = startCrac(t, ['restore', '--keep-log', imageDir], { TMPDIR: shared });
  await restorer.waitFor(/listening (\d+)/);
  restorer.child.kill('SIGTERM');
  await restorer.exited;
  const touched = readdirSync(shared).filter((name) => name.startsWith('node-crac-restore-') && name.endsWith('.log') && statSync(join(shared, name)).size > 0);
  t.same(touched, [], "nothing was written into the attacker's files");
  const logDir = readdirSync(shared).find((name) => /^node-crac-restore-[A-Za-z0-9]{6}$/.test(name));
  t.ok(logDir, 'the kept log is in a fresh directory');
  const dirStat = statSync(join(shared, logDir!));
  t.equal(dirStat.mode & 0o777, 0o700, 'that only root can enter');
  t.equal(dirStat.uid, 0);
  const log = join(shared, logDir!, 'restore.log');
  t.equal(statSync(log).mode & 0o777, 0o600);
  t.match(readFileSync(log, 'utf8'), /Restore finished successfully/);
  t.same(await leftOver(token), []);
});

t.test('a TMPDIR that another user can write, or a runtime directory they made, is refused', async (t) => {
  if (!criuUsable(t)) return;
  const attacker = createLocalUser(t);
  const token = newToken(t);
  const app = startCrac(t, ['run', '--', process.execPath, FIXTURE, token]);
  const pid = Number((await app.waitFor(/\(pid (\d+)\)/))[1]);
  await app.waitFor(/listening \d+/);
  const imageDir = join(tempDir(t, 'crac-image-'), 'image');

  const open = tempDir(t, 'crac-tmp-');
  chmodSync(open, 0o777);
  const inOpen = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir], { TMPDIR: open });
  t.equal(inOpen.code, 1);
  t.match(inOpen.output, /\(owner root, mode 0777\) is writable by every user: set TMPDIR to a directory that only you and root can write to/);

  const sticky = tempDir(t, 'crac-tmp-');
  chmodSync(sticky, 0o1777);
  const runtime = join(sticky, `node-crac-${process.getuid?.()}`);
  mkdirSync(runtime, { mode: 0o700 });
  chownSync(runtime, attacker.uid, attacker.gid);
  const inTheirs = await runCrac(t, ['checkpoint', '--pid', String(pid), '--image', imageDir], { TMPDIR: sticky });
  t.equal(inTheirs.code, 1);
  t.match(inTheirs.output, new RegExp(`node-crac-0 \\(owner uid ${attacker.uid} \\(${attacker.name}\\), mode 0700\\) is owned by uid ${attacker.uid} \\(${attacker.name}\\), not by the user running node-crac \\(root\\): remove`));
  t.same(readdirSync(runtime), [], 'no request was left in it');
  t.match((await getJson(Number((await app.waitFor(/listening (\d+)/))[1]))).state, /\w+/, 'the app goes on serving');
  app.child.kill('SIGTERM');
  await app.exited;
  t.same(await leftOver(token), []);
});
