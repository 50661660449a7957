import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CRAC_BIN, criuUsable, freePort, leftOver, newToken } from '@node-crac/test-kit';
import { checkpointFixture } from './harness.js';

// CRIU restores the app's capability sets and cannot grant one its restorer
// lacks; it then hung instead of failing. `crac restore` compares the
// capabilities crac.json records with its own before CRIU starts.

t.test('a restorer without a capability the checkpointed app held is refused before CRIU runs, naming it', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  const { imageDir } = await checkpointFixture(t, token, { PORT: String(await freePort()) });
  const meta = JSON.parse(readFileSync(join(imageDir, 'crac.json'), 'utf8')) as { capabilities?: { effective: string } };
  t.ok(meta.capabilities && (BigInt(`0x${meta.capabilities.effective}`) >> 22n) & 1n, 'crac.json records the app\'s capabilities, CAP_SYS_BOOT among them (root)');

  // setpriv drops CAP_SYS_BOOT from the bounding set: root's crac restore runs without it.
  const restore = spawnSync('setpriv', ['--bounding-set=-sys_boot', '--', process.execPath, CRAC_BIN, 'restore', imageDir], { encoding: 'utf8', timeout: 60_000 });
  const output = `${restore.stdout}${restore.stderr}`;
  t.not(restore.status, 0, output);
  t.equal(restore.signal, null, 'it exits by itself, it does not hang');
  t.match(output, /the app held CAP_SYS_BOOT when it was checkpointed and this restore does not/);
  t.notMatch(output, /CRIU could not restore/, 'CRIU was not started');
  t.same(await leftOver(token), [], 'no restored process is left');
});
