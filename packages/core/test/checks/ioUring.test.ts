import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { runCheckChild } from './fixtures/runCheckChild.js';

// Node 24 (libuv >= 1.50) opens an io_uring ring per event loop; the
// machine's Node 20 has none. scripts/provision-node.sh caches the binary.
const node24 = execFileSync(path.join(__dirname, '../../../../scripts/provision-node.sh'), ['24.9.0'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
})
  .trim()
  .split('\n')
  .pop()!;

t.test('a process holding io_uring fails, naming io_uring and `crac run`', async (t) => {
  const { before } = await runCheckChild(t, 'fresh', { node: node24, ioUring: true });
  if (before.passed) throw new Error('the check passed on Node 24');
  t.equal(before.name, 'OpenResourcesError');
  t.ok(before.ioUring);
  t.match(before.message, /^Checkpoint refused: this process holds \d+ io_uring ring\(s\), which CRIU cannot dump:$/m);
  t.match(before.message, /^fd \d+: io_uring$/m);
  t.match(before.message, 'Node.js v24.9.0 opens an io_uring ring in every event loop');
  t.match(before.message, 'Start the app with `crac run -- node app.js`');
  t.notMatch(before.message, /beforeCheckpoint/, 'no app-level advice when only io_uring is in the way');
  t.equal(before.fds.length, before.message.match(/^fd \d+: io_uring$/gm)?.length, 'one line per ring');
});

t.test('no policy rule lets io_uring through', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crac-iouring-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const policy = path.join(dir, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({ rules: [{ match: {}, action: 'ignore' }] }));
  const { before } = await runCheckChild(t, 'fresh', { node: node24, ioUring: true, env: { CRAC_POLICY: policy } });
  t.notOk(before.passed);
  if (!before.passed) t.ok(before.ioUring);
});

t.test("with `crac run`'s io_uring blocker Node 24 has no ring, and a fresh process passes", async (t) => {
  const { before } = await runCheckChild(t, 'fresh', { node: node24 });
  t.ok(before.passed, 'the check passes', { before });
  const listening = await runCheckChild(t, 'tcp-listen', { node: node24 });
  if (listening.before.passed) throw new Error('a listening server passed');
  t.notOk(listening.before.ioUring);
  t.match(listening.before.message, new RegExp(`^fd \\d+: tcp 127\\.0\\.0\\.1:${listening.info.port} LISTEN$`, 'm'));
});
