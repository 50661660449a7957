import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type Teardown, trustedTempDir } from '@node-crac/test-kit';
import { BUNDLED_CRIU_PACKAGE, bundledCriuLauncher, untrustedBundledFile } from '../../../src/engines/criu/bundled.js';

/** A project whose node_modules holds a stand-in of the CRIU package: bin/criu, sbin/criu and lib/. */
function projectWithBundledCriu(t: Teardown): { project: string; pkg: string } {
  const project = trustedTempDir(t, 'criu-bundled-');
  const pkg = join(project, 'node_modules', BUNDLED_CRIU_PACKAGE);
  for (const dir of ['bin', 'sbin', 'lib']) mkdirSync(join(pkg, dir), { recursive: true, mode: 0o755 });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: BUNDLED_CRIU_PACKAGE, version: '0.0.0' }));
  writeFileSync(join(pkg, 'bin', 'criu'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(pkg, 'sbin', 'criu'), '', { mode: 0o755 });
  writeFileSync(join(pkg, 'lib', 'ld-linux-x86-64.so.2'), '', { mode: 0o755 });
  writeFileSync(join(pkg, 'lib', 'libc.so.6'), '', { mode: 0o644 });
  return { project, pkg };
}

t.test('the package is resolved from node-crac\'s own location, as Node resolves a dependency', async (t) => {
  const { project, pkg } = projectWithBundledCriu(t);
  t.same(bundledCriuLauncher(join(project, 'node_modules', 'node-crac')), { path: join(pkg, 'bin', 'criu') });
});

t.test("under Yarn's Plug'n'Play, the package is where its dependency map puts it, for node-crac's location", async (t) => {
  const { project, pkg } = projectWithBundledCriu(t);
  const elsewhere = trustedTempDir(t, 'criu-bundled-pnp-');
  const asked: string[][] = [];
  const pnp = { resolveToUnqualified: (request: string, issuer: string) => (asked.push([request, issuer]), `${pkg}/`) };
  t.same(bundledCriuLauncher(elsewhere, pnp), { path: join(pkg, 'bin', 'criu') });
  t.same(asked, [[BUNDLED_CRIU_PACKAGE, `${elsewhere}/`]]);

  // Not in the map (an optional dependency left out): the node_modules folders, then the usual message.
  const refusing = { resolveToUnqualified: () => { throw new Error('node-crac tried to access it, but it isn\'t declared'); } };
  t.same(bundledCriuLauncher(join(project, 'node_modules', 'node-crac'), refusing), { path: join(pkg, 'bin', 'criu') });
  t.match(bundledCriuLauncher(elsewhere, { resolveToUnqualified: () => null }), { missing: /is not installed/ });
});

t.test('without the package, it says it is an optional dependency that was left out', async (t) => {
  const project = trustedTempDir(t, 'criu-bundled-none-');
  t.match(bundledCriuLauncher(project), { missing: `${BUNDLED_CRIU_PACKAGE} is not installed (an optional dependency of node-crac, for x64 Linux; reinstall without --omit=optional` });
});

t.test('every file the launcher runs or loads must be trusted, like the launcher', async (t) => {
  const { pkg } = projectWithBundledCriu(t);
  const launcher = join(pkg, 'bin', 'criu');
  t.equal(untrustedBundledFile(launcher), undefined, 'all owned by root (or you) and writable by nobody else');

  const libc = join(pkg, 'lib', 'libc.so.6');
  chmodSync(libc, 0o666);
  t.match(untrustedBundledFile(launcher), { problem: `the binary ${libc} is group- and world-writable (mode 0666)`, fix: `chmod go-w ${libc}` });
  chmodSync(libc, 0o644);

  chmodSync(join(pkg, 'sbin', 'criu'), 0o775);
  t.match(untrustedBundledFile(launcher), { problem: /sbin\/criu is group-writable/ });
  chmodSync(join(pkg, 'sbin', 'criu'), 0o755);

  chmodSync(join(pkg, 'lib'), 0o777);
  t.match(untrustedBundledFile(launcher), { problem: `the directory ${join(pkg, 'lib')} is group- and world-writable (mode 0777)` });
  chmodSync(join(pkg, 'lib'), 0o755);

  // A library that is a symlink is followed, as the loader follows it, and its target checked.
  const open = trustedTempDir(t, 'criu-bundled-open-');
  chmodSync(open, 0o777);
  writeFileSync(join(open, 'libplanted.so'), '', { mode: 0o644 });
  symlinkSync(join(open, 'libplanted.so'), join(pkg, 'lib', 'libplanted.so'));
  t.match(untrustedBundledFile(launcher), { problem: `the directory ${open} is group- and world-writable (mode 0777)` });
  rmSync(join(pkg, 'lib', 'libplanted.so'));
  symlinkSync('libc.so.6', join(pkg, 'lib', 'libc.so'));
  t.equal(untrustedBundledFile(launcher), undefined, 'a link to a trusted library next to it is fine');

  mkdirSync(join(pkg, 'lib', 'not-a-library'));
  t.match(untrustedBundledFile(launcher), { problem: `${join(pkg, 'lib', 'not-a-library')} is not a regular file` });
});

t.test('a package without lib/ is refused, naming the folder', async (t) => {
  const { pkg } = projectWithBundledCriu(t);
  const launcher = join(pkg, 'bin', 'criu');
  rmSync(join(pkg, 'lib'), { recursive: true });
  t.match(untrustedBundledFile(launcher), { problem: `${join(pkg, 'lib')} cannot be read (ENOENT)`, fix: `reinstall ${BUNDLED_CRIU_PACKAGE}` });
});
