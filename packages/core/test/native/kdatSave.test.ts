import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { criuUsable, tempDir } from '@node-crac/test-kit';
import { restoreHelperPath } from '../../src/native/bridge.js';

// The helper as CRIU's pre-restore action saves the probes CRIU wrote on the
// tmpfs into the cache. Restores run in PID namespaces of their own, so two
// that save at once can be the same PID: a temp file named by the PID would
// clash with (and remove) the other's.

t.test("a save under way in another restore with the same PID neither stops this one nor loses the other's file", async (t) => {
  if (!criuUsable(t)) return; // what CRIU needs, a mount namespace needs too
  const cache = join(tempDir(t, 'crac-kdat-save-'), 'probes.kdat');
  const script = [
    'mount -t tmpfs -o size=1m tmpfs /run',
    'printf probes > /run/criu.kdat',
    ': > "$CRAC_KDAT_CACHE.$$"', // the other restore's temp file, named by the PID this one has too
    'exec env CRTOOLS_SCRIPT_ACTION=pre-restore CRAC_KDAT_RUN_TMPFS=fresh "$HELPER"',
  ].join(' && ');
  const run = spawnSync('unshare', ['--mount', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, HELPER: restoreHelperPath(), CRAC_KDAT_CACHE: cache, CRAC_KDAT_STAMP: 'node-crac-kdat test' },
  });
  t.equal(run.status, 0, run.stderr);
  t.match(run.stderr, /^crac_restore_helper: action pre-restore at [\d.]+\n$/, 'nothing to say but the time of the action, for the log');
  t.equal(readFileSync(cache, 'utf8'), 'node-crac-kdat test\nprobes', 'the stamp, then the probes');
  t.equal(statSync(cache).mode & 0o777, 0o600);
  const others = readdirSync(join(cache, '..')).filter((name) => name !== 'probes.kdat');
  t.equal(others.length, 1, 'no file of this save is left');
  t.match(others[0], /^probes\.kdat\.\d+$/, "the other restore's file is still there");
});
