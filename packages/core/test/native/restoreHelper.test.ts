import { spawnSync } from 'node:child_process';
import t from 'tap';
import { restoreHelperPath } from '../../src/native/bridge.js';

// The failure paths of the compiled helper that need neither CRIU nor a namespace.
const helper = restoreHelperPath();
const run = (...args: string[]) => spawnSync(helper, args, { encoding: 'utf8', timeout: 10_000 });

t.test('launch with a malformed <parent-pid> names it and exits 2 without starting anything', async (t) => {
  for (const bad of ['', 'abc', '12abc', '-5', '+5', ' 5', '0', '2147483648', '99999999999999999999']) {
    const result = run('launch', bad, '/bin/true');
    t.equal(result.status, 2, `"${bad}": exit status 2`);
    t.equal(result.stderr, `crac_restore_helper: bad <parent-pid> "${bad}": expected a process id (a positive decimal integer)\n`, `"${bad}": the message names it`);
  }
});

t.test('launch with a pid that is not its parent says so and exits 1', async (t) => {
  const result = run('launch', '1', '/bin/true');
  t.equal(result.status, 1);
  t.match(result.stderr, /^crac_restore_helper: <parent-pid> 1 is not our parent \(that is \d+\)/);
});

t.test('wait outside criu --exec-cmd says there is nothing to wait for and exits 1', async (t) => {
  const result = run('wait');
  t.equal(result.status, 1);
  t.match(result.stderr, /no restored process to wait for \(run by criu --exec-cmd only\)/);
});

t.test('a wrong command line prints the usage and exits 2', async (t) => {
  for (const args of [[], ['launch', '5'], ['restore']]) {
    const result = run(...args);
    t.equal(result.status, 2, args.join(' ') || '(no arguments)');
    t.match(result.stderr, /^usage: crac_restore_helper launch <parent-pid>/);
  }
});
