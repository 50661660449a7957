import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setEnv, type Teardown, tempDir, trustedTempDir } from '@node-crac/test-kit';
import { locateCriu } from '../../../src/engines/criu/locate.js';

// Locating CRIU for a restore runs no `criu --version` (nor `criu check`) for
// a binary already seen, while it stays the same file; a changed binary is asked again.

/** A stand-in criu that writes each command it is run with to `calls`. */
function countingCriu(t: Teardown, version: string): { path: string; calls(): string[] } {
  const dir = trustedTempDir(t, 'criu-probe-cache-');
  const path = join(dir, 'criu');
  const log = join(dir, 'calls');
  writeFileSync(log, '');
  writeFileSync(path, `#!/bin/sh\necho "$1" >> ${log}\ncase "$1" in --version) echo "Version: ${version}";; check) echo "Looks good.";; esac\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

// locateCriu also keeps its answer in memory for the process, keyed by CRAC_CRIU_PATH and
// PATH: a PATH never used before makes it look again, as a new `crac restore` process would.
let fresh = 0;
const newProcessPath = (base: string): string => `${base}:/nonexistent-${process.pid}-${++fresh}`;

t.test('CRAC_CRIU_PATH: the second look runs nothing; a rewritten binary is asked again', async (t) => {
  setEnv(t, { TMPDIR: tempDir(t, 'crac-probe-cache-') });
  const criu = countingCriu(t, '4.1.1');
  setEnv(t, { CRAC_CRIU_PATH: criu.path, PATH: newProcessPath('/nonexistent') });
  t.match(locateCriu(), { path: criu.path, version: '4.1.1' });
  t.same(criu.calls(), ['--version'], 'the first look asks the version');
  setEnv(t, { PATH: newProcessPath('/nonexistent') });
  t.match(locateCriu(), { path: criu.path, version: '4.1.1' });
  t.same(criu.calls(), ['--version'], 'the next one runs nothing');

  writeFileSync(criu.path, readFileSync(criu.path, 'utf8').replace('4.1.1', '4.2.0'));
  setEnv(t, { PATH: newProcessPath('/nonexistent') });
  t.match(locateCriu(), { version: '4.2.0' }, 'a changed binary gives its own version');
  t.same(criu.calls(), ['--version', '--version']);
});

t.test('on PATH: `criu check` runs once per boot, and a too-old CRIU is not asked again either', async (t) => {
  setEnv(t, { TMPDIR: tempDir(t, 'crac-probe-cache-'), CRAC_CRIU_PATH: undefined });
  const old = countingCriu(t, '3.17.1');
  const good = countingCriu(t, '4.1.1');
  const dirs = `${join(old.path, '..')}:${join(good.path, '..')}`;
  setEnv(t, { PATH: newProcessPath(dirs) });
  t.match(locateCriu(), { path: good.path, skipped: [{ path: old.path, problem: 'version 3.17.1 is too old (>= 4.0 needed)' }] });
  t.same(old.calls(), ['--version']);
  t.same(good.calls(), ['--version', 'check']);
  setEnv(t, { PATH: newProcessPath(dirs) });
  t.match(locateCriu(), { path: good.path, skipped: [{ path: old.path, problem: 'version 3.17.1 is too old (>= 4.0 needed)' }] });
  t.same(old.calls(), ['--version'], 'the old one is not run again');
  t.same(good.calls(), ['--version', 'check'], 'nor the one used');
});
