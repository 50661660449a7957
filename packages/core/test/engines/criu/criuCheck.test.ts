import t from 'tap';
import { sortComplaints } from '../../../src/engines/criu/criuCheck.js';

// What `criu check` prints in a podman container granted SYS_ADMIN, NET_ADMIN and SYS_TIME.
const inContainer = [
  'Error (criu/tun.c:85): tun: Unable to create tun: No such file or directory',
  "Warn  (criu/kerndat.c:1285): Can't keep kdat cache on non-tempfs",
  'Error (criu/cr-check.c:160): sys/kernel/ns_last_pid sysctl is inaccessible: Read-only file system',
  'Warn  (criu/cr-check.c:1648): Does not look good.',
  'Error (criu/tun.c:85): tun: Unable to create tun: No such file or directory',
].join('\n');

t.test('a read-only ns_last_pid and a missing tun device are harmless when clone3(set_tid) works', async (t) => {
  const result = sortComplaints(inContainer, () => true);
  t.same(result.problems, []);
  t.same(result.harmless.map((h) => h.line), [
    'Error (criu/tun.c:85): tun: Unable to create tun: No such file or directory',
    'Error (criu/cr-check.c:160): sys/kernel/ns_last_pid sysctl is inaccessible: Read-only file system',
  ]);
  t.match(result.harmless[1]?.why, /clone3\(set_tid\)/);
});

t.test('without clone3(set_tid) CRIU writes ns_last_pid, so a read-only one is a problem', async (t) => {
  const result = sortComplaints(inContainer, (pattern) => !pattern.test('ns_last_pid sysctl is inaccessible'));
  t.same(result.problems, ['Error (criu/cr-check.c:160): sys/kernel/ns_last_pid sysctl is inaccessible: Read-only file system']);
  t.equal(result.harmless.length, 1);
});

t.test('any other error is a problem, and a failure without Error lines is reported as printed', async (t) => {
  t.same(sortComplaints('Error (criu/cr-check.c:1): Kernel does not support PTRACE_O_SUSPEND_SECCOMP', () => true).problems, [
    'Error (criu/cr-check.c:1): Kernel does not support PTRACE_O_SUSPEND_SECCOMP',
  ]);
  t.same(sortComplaints('criu: cannot execute\nsecond line', () => true), { problems: ['criu: cannot execute; second line'], harmless: [] });
});
