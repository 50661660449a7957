import t from 'tap';
import { checkDumpPrivilege, DumpPrivilegeError, effectiveUid } from '../../../src/engines/criu/dumpPrivilege.js';

t.test('checkDumpPrivilege refuses any uid but root, naming it and the fix', async (t) => {
  t.doesNotThrow(() => checkDumpPrivilege(0, 'this process'));
  t.doesNotThrow(() => checkDumpPrivilege(undefined, 'this process'), 'a platform without uids is left to CRIU');
  t.throws(() => checkDumpPrivilege(4242, 'process 7'), {
    name: 'DumpPrivilegeError',
    message: /^process 7 runs as uid 4242, not root, and CRIU dumps a process only as root: run it as root \(sudo\)$/,
  });
  t.throws(() => checkDumpPrivilege(4242, 'x'), DumpPrivilegeError);
});

t.test('effectiveUid reads /proc/PID/status; undefined for no such process', async (t) => {
  t.equal(effectiveUid(process.pid), process.geteuid?.());
  t.equal(effectiveUid(2 ** 22 + 1), undefined);
});
