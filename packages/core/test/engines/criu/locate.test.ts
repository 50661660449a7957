import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CriuNotFoundError, locateCriu } from '../../../src/engines/criu/locate.js';

/** A stand-in criu that prints `version` and passes or fails `criu check`. */
function fakeCriu(t: { teardown(fn: () => void): void }, version: string, checkPasses = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-criu-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'criu');
  writeFileSync(path, `#!/bin/sh\ncase "$1" in --version) echo "Version: ${version}";; check) ${checkPasses ? 'echo "Looks good."' : 'echo "Error: no timens" >&2; exit 1'};; esac\n`);
  chmodSync(path, 0o755);
  return path;
}

function withEnv(t: { teardown(fn: () => void): void }, name: string, value: string | undefined): void {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  t.teardown(() => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  });
}

t.test('CRAC_CRIU_PATH is used when it is CRIU >= 4', async (t) => {
  const criu = fakeCriu(t, '4.1.1');
  withEnv(t, 'CRAC_CRIU_PATH', criu);
  t.same(locateCriu(), { path: criu, version: '4.1.1', source: 'CRAC_CRIU_PATH' });
});

t.test('a CRAC_CRIU_PATH that is too old or missing is an error, not skipped', async (t) => {
  withEnv(t, 'CRAC_CRIU_PATH', fakeCriu(t, '3.17.1'));
  t.throws(() => locateCriu(), { name: 'CriuNotFoundError', message: /version 3\.17\.1 is too old/ });
  withEnv(t, 'CRAC_CRIU_PATH', '/nonexistent/criu');
  t.throws(() => locateCriu(), { message: /CRAC_CRIU_PATH=\/nonexistent\/criu: not an executable file/ });
});

t.test('a criu on PATH must be >= 4 and pass `criu check`', async (t) => {
  withEnv(t, 'CRAC_CRIU_PATH', undefined);
  const good = fakeCriu(t, '4.0');
  withEnv(t, 'PATH', join(good, '..'));
  t.same(locateCriu(), { path: good, version: '4.0', source: 'PATH' });

  const failing = fakeCriu(t, '4.0', false);
  withEnv(t, 'PATH', join(failing, '..'));
  // Next comes the workspace's provisioned CRIU, when there is one.
  try {
    t.equal(locateCriu().source, 'workspace cache', 'the failing criu is passed over');
  } catch (error) {
    t.type(error, CriuNotFoundError);
    t.match((error as CriuNotFoundError).reasons.join('\n'), /`criu check` failed: Error: no timens/);
  }
});
