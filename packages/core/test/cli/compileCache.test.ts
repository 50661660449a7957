import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CRAC_BIN, tempDir } from '@node-crac/test-kit';

// The crac command loads its modules from V8's code cache where Node has one
// (>= 22.1), in the user's private runtime directory; never under coverage.

const hasCompileCache = typeof (require('node:module') as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function crac(env: Record<string, string | undefined>): { status: number | null; runtime: string } {
  const tmp = tempDir(t, 'crac-compile-cache-');
  const { NODE_V8_COVERAGE: _coverage, ...inherited } = process.env;
  const run = spawnSync(process.execPath, [CRAC_BIN, 'restore', join(tmp, 'no-image')], { env: { ...inherited, TMPDIR: tmp, ...env }, encoding: 'utf8' });
  return { status: run.status, runtime: join(tmp, `node-crac-${process.getuid!()}`) };
}

t.test('the code cache is kept in the private runtime directory, where Node has one', async (t) => {
  const { status, runtime } = crac({});
  t.equal(status, 1, 'the command ran (no image there)');
  if (hasCompileCache) {
    t.equal(statSync(runtime).mode & 0o777, 0o700);
    t.ok(readdirSync(join(runtime, 'compile-cache')).length > 0, 'the cache has entries');
  } else t.notOk(existsSync(join(runtime, 'compile-cache')), `Node ${process.version} has no compile cache: nothing is written`);
});

t.test('no code cache under coverage, nor with NODE_DISABLE_COMPILE_CACHE=1', async (t) => {
  for (const env of [{ NODE_V8_COVERAGE: tempDir(t, 'crac-coverage-') }, { NODE_DISABLE_COMPILE_CACHE: '1' }]) {
    const { status, runtime } = crac(env);
    t.equal(status, 1);
    const entries = existsSync(join(runtime, 'compile-cache')) ? readdirSync(join(runtime, 'compile-cache')) : [];
    t.same(entries, [], `nothing cached with ${Object.keys(env)[0]}`);
  }
});
