import t from 'tap';
import { missingCapabilities, readPrivileges, seccompProblem } from '../../../src/engines/criu/privileges.js';

const status = (capEff: string, seccomp: number): string => `Name:\tnode\nCapEff:\t${capEff}\nSeccomp:\t${seccomp}\n`;

t.test('a podman container with its default capabilities lacks all three, and its seccomp filter is named', async (t) => {
  const privileges = readPrivileges(status('00000000a80425fb', 2));
  t.same(missingCapabilities('checkpoint', privileges).map((c) => c.name), ['CAP_SYS_ADMIN']);
  t.same(missingCapabilities('restore', privileges).map((c) => c.name), ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_SYS_TIME']);
  t.match(seccompProblem(privileges), /Seccomp: 2.*suspending seccomp failed/);
});

t.test('SYS_ADMIN, NET_ADMIN and SYS_TIME without a seccomp filter are enough, whatever the uid', async (t) => {
  const privileges = readPrivileges(status('00000000aa2435fb', 0));
  t.same(missingCapabilities('checkpoint', privileges), []);
  t.same(missingCapabilities('restore', privileges), []);
  t.equal(seccompProblem(privileges), undefined);
});

t.test('a status without the fields counts as no capability and no filter', async (t) => {
  const privileges = readPrivileges('Name:\tnode\n');
  t.equal(privileges.effective, 0n);
  t.equal(missingCapabilities('restore', privileges).length, 3);
  t.equal(seccompProblem(privileges), undefined);
});
