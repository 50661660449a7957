import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { criuUsable, getJson, leftOver, newToken, startNode, tempDir } from '@node-crac/test-kit';
import { PROBE_FIXTURE } from './harness.js';

// Node 24 started without `crac run` holds io_uring rings. Its own
// checkpointRestore() with the criu engine fails with a message naming
// io_uring and `crac run`, whether the open-resource check or CRIU itself
// refuses, and the app goes on serving.

// Whatever Node runs the tests: scripts/provision-node.sh caches the binary.
const node24 = execFileSync(resolve(__dirname, '../../../../scripts/provision-node.sh'), ['24.9.0'], { encoding: 'utf8' }).trim().split('\n').pop()!;

const refusals: [string, string, RegExp][] = [
  ['the open-resource check', '', /io_uring[\s\S]*Start the app with `crac run -- node app\.js`/],
  ['CRIU, when the check is off', '&checkOpenResources=0', /CriuDumpError[\s\S]*io_uring[\s\S]*start it with \\?"crac run\\?"/],
];

t.test('a Node 24 process holding io_uring fails its checkpoint, naming io_uring and crac run, and goes on', async (t) => {
  if (!criuUsable(t)) return;
  const token = newToken(t);
  // Started directly: an empty LD_PRELOAD keeps crac run's io_uring blocker away.
  const app = startNode(t, node24, [PROBE_FIXTURE, token], { LD_PRELOAD: '' });
  let from = 0;
  /** The next match of `pattern` in the app's output after the previous one. */
  const next = async (pattern: RegExp): Promise<string> => {
    const match = await app.waitFor(pattern, from);
    from += match.index! + match[0].length;
    return match[1]!;
  };
  let port = Number(await next(/listening (\d+)/));

  for (const [refuser, query, message] of refusals) {
    const imageDir = join(tempDir(t, 'crac-image-'), 'image');
    await getJson(port, `/checkpoint?image=${encodeURIComponent(imageDir)}${query}`);
    // After a failed checkpoint the app listens again (on a new free port), then reports.
    port = Number(await next(/listening (\d+)/));
    t.match(await next(/checkpoint-failed (.*)/), message, `${refuser} refuses, naming io_uring and crac run`);
    t.notOk(existsSync(join(imageDir, 'crac.json')), 'no image was written');
    t.equal((await getJson(port, '/hit')).generation, 0, 'the app still serves');
  }

  app.child.kill('SIGTERM');
  await app.exited;
  t.same(await leftOver(token), [], 'no process left');
});
