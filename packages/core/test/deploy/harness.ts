// podman for the deploy/ tests: the project's containers.conf (scripts/provision-podman.sh),
// names unique to one test run, and removal of exactly what a test created.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Teardown } from '@node-crac/test-kit';

export const WORKSPACE = resolve(__dirname, '../../../..');
const CONTAINERS_CONF = join(WORKSPACE, '.cache/container/containers.conf');
// NODE: deploy/build-app-image.sh copies the Node binary running the tests into the image.
const env = { ...process.env, CONTAINERS_CONF, NODE: process.execPath };

/** What the privileges of deploy/README.md grant a container: checkpoint and restore alike. */
export const PRIVILEGES = ['--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_TIME', '--security-opt', 'seccomp=unconfined'];
/** node-crac's command line inside the app image (deploy/Containerfile). */
export const CRAC_IN_IMAGE = ['node', '/app/node_modules/node-crac/bin/crac.js'];

/** Why podman cannot be used here, or undefined when it can. */
export function podmanProblem(): string | undefined {
  if (!existsSync(CONTAINERS_CONF)) return `no ${CONTAINERS_CONF}: run "bash scripts/provision-podman.sh" (scripts/setup.sh does)`;
  const version = spawnSync('podman', ['--version'], { encoding: 'utf8', env });
  return version.status === 0 ? undefined : `podman does not run (${version.error?.message ?? version.stderr}): run "bash scripts/provision-podman.sh"`;
}

export interface Ran {
  code: number | null;
  output: string;
}

/** Runs a command with the project's containers.conf, to its end (killed after `limitMs`). */
export function run(command: string, args: string[], limitMs = 300_000): Ran {
  const done = spawnSync(command, args, { encoding: 'utf8', env, cwd: WORKSPACE, timeout: limitMs, maxBuffer: 64 * 1024 * 1024 });
  return { code: done.status, output: `${done.stdout ?? ''}${done.stderr ?? ''}${done.error ? `\n${done.error.message}` : ''}` };
}

/** Runs podman and throws with its output unless it succeeds. */
export function podman(args: string[], limitMs?: number): string {
  const ran = run('podman', args, limitMs);
  if (ran.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${ran.code}:\n${ran.output}`);
  return ran.output;
}

/**
 * A name prefix unique to this run. Every container, pod and image made with
 * it is removed by name at teardown; the base image is a cache the tests
 * share (deploy/build-base-image.sh) and stays.
 */
export function podmanNames(t: Teardown): { prefix: string; containers: string[]; pods: string[]; images: string[]; kubeFiles: string[] } {
  const made = { prefix: `crac-test-${randomUUID().slice(0, 8)}`, containers: [] as string[], pods: [] as string[], images: [] as string[], kubeFiles: [] as string[] };
  t.teardown(() => {
    for (const file of made.kubeFiles) run('podman', ['kube', 'down', file]);
    // A pod whose play failed half-way is not taken down by `kube down`.
    if (made.pods.length > 0) run('podman', ['pod', 'rm', '-f', '--ignore', ...made.pods]);
    if (made.containers.length > 0) run('podman', ['rm', '-f', '--ignore', ...made.containers]);
    if (made.images.length > 0) run('podman', ['rmi', '-f', '--ignore', ...made.images]);
  });
  return made;
}
