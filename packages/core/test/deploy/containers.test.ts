// The container recipe of deploy/ end to end, with real podman, CRIU, PostgreSQL
// and Redis: the base image from debootstrap, the realistic example's app image,
// its checkpoint taken inside a container, restores in two other containers,
// and the Kubernetes manifest played twice by podman kube play. The containers
// share the host's network (PostgreSQL and Redis on 127.0.0.1).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, get, tempDir } from '@node-crac/test-kit';
import t from 'tap';
import { CRAC_IN_IMAGE, podman, podmanNames, podmanProblem, PRIVILEGES, run, WORKSPACE } from './harness.js';

t.setTimeout(1_200_000);

const problem = podmanProblem();
if (problem) {
  t.fail(`podman is not usable here: ${problem}`);
} else {
  const made = podmanNames(t);
  const appImage = `localhost/${made.prefix}:app`;
  const restoreImage = `localhost/${made.prefix}:restore`;
  made.images.push(appImage, restoreImage);

  const without = (privilege: string): string[] => PRIVILEGES.filter((flag, i) => flag !== privilege && PRIVILEGES[i + 1] !== privilege);

  /** Resolves with the response once `path` answers 200 on `port`, or fails after `limitMs`. */
  const serving = async (port: number, path: string, limitMs = 60_000): Promise<string> => {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const answer = await get(port, path).catch(() => undefined);
      if (answer?.status === 200) return answer.body;
      if (Date.now() > deadline) throw new Error(`no 200 from 127.0.0.1:${port}${path} within ${limitMs} ms (last: ${answer?.status ?? 'no answer'})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const logsOf = (name: string): string => run('podman', ['logs', name]).output;

  t.test('build the app image: the base image from debootstrap, then the realistic example with this Node and CRIU', async (t) => {
    const built = run('bash', ['deploy/build-app-image.sh', 'example-realistic', appImage], 900_000);
    t.equal(built.code, 0, built.output);
    t.match(podman(['run', '--pull', 'never', '--rm', appImage, 'node', '--version']), process.version, 'the image runs the Node binary of the checkpoint');
  });

  t.test('crac doctor in a container checks each privilege, not the uid', async (t) => {
    const plain = run('podman', ['run', '--pull', 'never', '--rm', appImage, ...CRAC_IN_IMAGE, 'doctor']);
    t.not(plain.code, 0, 'root with the default capabilities cannot checkpoint');
    t.match(plain.output, /\[ok {2}\] uid 0/);
    for (const capability of ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_TIME']) t.match(plain.output, `[FAIL] ${capability} is not effective`);
    t.match(plain.output, /\[FAIL\] a seccomp filter applies/);
    t.match(plain.output, /fix: .*--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_TIME --security-opt seccomp=unconfined/);
    t.match(plain.output, /\[FAIL\] "criu check" fails: .*\n\s+fix: grant the privileges above first/, 'criu check fails for the missing privileges, and says so');

    const granted = run('podman', ['run', '--pull', 'never', '--rm', ...PRIVILEGES, appImage, ...CRAC_IN_IMAGE, 'doctor']);
    t.equal(granted.code, 0, granted.output);
    t.match(granted.output, /ns_last_pid sysctl is inaccessible.*harmless.*clone3\(set_tid\)/, 'the read-only /proc/sys of a container is no failure');
    t.match(granted.output, 'Verdict: checkpoints can work');
  });

  t.test('a checkpoint without CAP_SYS_ADMIN fails, names it, and the container ends', async (t) => {
    const port = await freePort();
    const name = `${made.prefix}-no-sys-admin`;
    made.containers.push(name);
    const failed = run('podman', ['run', '--pull', 'never', '--rm', '--name', name, '--network', 'host', '-e', `PORT=${port}`, '-e', 'LOG_LEVEL=warn', ...without('SYS_ADMIN'),
      appImage, ...CRAC_IN_IMAGE, 'checkpoint', '--image', '/image', '--', 'node', 'server.js']);
    t.not(failed.code, 0);
    // Refused by the pre-flight, before the app starts.
    t.match(failed.output, /so the app was not started:\n\s+- CAP_SYS_ADMIN is not effective;.*\n\s+fix: .*--cap-add SYS_ADMIN/);
  });

  t.test('checkpoint inside a container, then restore in two others that both serve', async (t) => {
    const port = await freePort();
    const checkpoint = run('bash', ['deploy/checkpoint-image.sh', appImage, restoreImage, '--network', 'host', '-e', `PORT=${port}`, '--',
      '--warmup-url', `http://127.0.0.1:${port}/api/orders`, '--warmup-requests', '20', '--', 'node', 'server.js']);
    t.equal(checkpoint.code, 0, checkpoint.output);
    t.match(checkpoint.output, 'Checkpoint written to /image');

    const replicas = [`${made.prefix}-restore-1`, `${made.prefix}-restore-2`];
    const ports = [await freePort(), await freePort()];
    made.containers.push(...replicas);
    replicas.forEach((name, i) => podman(['run', '--pull', 'never', '-d', '--name', name, '--network', 'host', ...PRIVILEGES, '-e', `PORT=${ports[i]}`, restoreImage]));
    for (const [i, port] of ports.entries()) {
      const health = await serving(port, '/health').catch((error: Error) => { throw new Error(`${error.message}\n${logsOf(replicas[i] ?? '')}`); });
      t.match(JSON.parse(health), { status: 'ok', redis: 'PONG' }, `replica ${i + 1} reaches PostgreSQL and Redis`);
      t.ok(await serving(port, '/api/orders'), `replica ${i + 1} serves the app's routes`);
      t.match(logsOf(replicas[i] ?? ''), /restored from a checkpoint/, `replica ${i + 1} was restored, not started cold`);
    }
    podman(['rm', '-f', ...replicas]);
  });

  t.test('a restore without the privileges of its checkpoint exits non-zero and names what is missing', async (t) => {
    const restoreWith = async (name: string, privileges: string[]): Promise<{ code: number | null; output: string }> => {
      made.containers.push(`${made.prefix}-${name}`);
      return run('podman', ['run', '--pull', 'never', '--rm', '--name', `${made.prefix}-${name}`, '--network', 'host', ...privileges, '-e', `PORT=${await freePort()}`, restoreImage]);
    };
    const noNetAdmin = await restoreWith('no-net-admin', without('NET_ADMIN'));
    t.not(noNetAdmin.code, 0);
    t.match(noNetAdmin.output, /the app held CAP_NET_ADMIN when it was checkpointed and this restore does not/, 'refused before CRIU starts');

    const seccomp = await restoreWith('seccomp', without('seccomp=unconfined'));
    t.not(seccomp.code, 0);
    t.match(seccomp.output, /CRIU could not restore \/image/);
    t.match(seccomp.output, /Hint: a seccomp filter applies .*fix: .*--security-opt seccomp=unconfined/);
  });

  t.test('the Kubernetes manifest under podman kube play: two replicas answer 200, then come down', async (t) => {
    // kube play honours replicas, but with hostNetwork all replicas of one
    // Deployment share its port: play the manifest twice, each with its own name and port.
    const manifest = readFileSync(join(WORKSPACE, 'deploy/kubernetes/deployment.yaml'), 'utf8');
    const dir = tempDir(t, 'crac-kube-');
    const deployments: { name: string; port: number; file: string }[] = [];
    for (const suffix of ['a', 'b']) {
      const name = `${made.prefix}-${suffix}`;
      const port = await freePort();
      const file = join(dir, `${suffix}.yaml`);
      const variant = manifest
        .replace(/image: .*/, `image: ${restoreImage}`)
        .replace(/node-crac-app/g, name)
        .replace('replicas: 2', 'replicas: 1')
        .replace(/ {10}ports:\n {12}- containerPort: 3000\n/, '')
        .replace(/value: "3000"/, `value: "${port}"`)
        .replace(/port: 3000/g, `port: ${port}`)
        .replace(/\n {4}spec:\n/, '\n    spec:\n      hostNetwork: true\n');
      writeFileSync(file, variant);
      made.kubeFiles.push(file);
      made.containers.push(`${name}-pod-0-app`);
      made.pods.push(`${name}-pod-0`);
      deployments.push({ name, port, file });
      podman(['kube', 'play', file]);
    }
    for (const { name, port } of deployments) {
      const container = `${name}-pod-0-app`;
      await serving(port, '/health').catch((error: Error) => { throw new Error(`${error.message}\n${logsOf(container)}`); });
      t.pass(`${name} answers 200 on port ${port}`);
      t.equal(run('podman', ['healthcheck', 'run', container]).code, 0, `${name}: the liveness probe passes`);
    }
    for (const { file } of deployments) podman(['kube', 'down', file]);
    for (const { name } of deployments) t.equal(run('podman', ['pod', 'exists', `${name}-pod-0`]).code, 1, `${name}'s pod is gone`);
  });
}
