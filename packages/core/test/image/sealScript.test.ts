import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { restoreEnvAtTeardown, tempDir } from '@node-crac/test-kit';
import { writeSealScript } from '../../src/image/sealScript.js';
import { userRuntimeDir } from '../../src/trust/privateTemp.js';

t.test('the seal script lives in a private directory of its own, and a seal removes what dumps killed midway left', async (t) => {
  restoreEnvAtTeardown(t, ['TMPDIR']);
  process.env.TMPDIR = tempDir(t, 'crac-seal-');
  const runtime = userRuntimeDir();
  const namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1];
  const gone = spawnSync(process.execPath, ['-e', '']).pid;
  const left = {
    byGone: join(runtime, `seal-${namespace}-${gone}-AbCdEf`),
    byLive: join(runtime, `seal-${namespace}-${process.pid}-AbCdEf`),
    inOtherNamespace: join(runtime, `seal-1-${gone}-AbCdEf`),
  };
  for (const dir of Object.values(left)) mkdirSync(join(dir, 'inside'), { recursive: true });

  const sealer = writeSealScript('/images/app', 1234);
  t.equal(dirname(dirname(sealer.path)), runtime, 'in the runtime directory');
  t.match(sealer.path, new RegExp(`/seal-${namespace}-${process.pid}-\\w{6}/seal$`));
  t.equal(statSync(sealer.path).mode & 0o777, 0o700);
  t.equal(statSync(dirname(sealer.path)).mode & 0o777, 0o700);
  t.match(readFileSync(sealer.path, 'utf8'), /post-dump[\s\S]*'\/images\/app' '1234'/);
  t.notOk(existsSync(left.byGone), 'the directory of a process that is gone is removed');
  t.ok(existsSync(left.byLive), 'that of a live process stays');
  t.ok(existsSync(left.inOtherNamespace), 'that of another PID namespace stays');
  sealer.remove();
  t.notOk(existsSync(dirname(sealer.path)), 'remove() takes its directory');
});
