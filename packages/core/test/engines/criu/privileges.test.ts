import t from 'tap';
import { capabilitiesLacking, missingCapabilities, readPrivileges, seccompProblem } from '../../../src/engines/criu/privileges.js';

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

t.test('capabilitiesLacking names each capability of a recorded set that this process lacks', async (t) => {
  const restorer = readPrivileges(status('00000000aa2435fb', 0));
  t.same(capabilitiesLacking('aa2435fb', restorer), [], 'the same set');
  t.same(capabilitiesLacking('000001ffffffffff', restorer), [
    'CAP_DAC_READ_SEARCH', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BROADCAST', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO',
    'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TTY_CONFIG', 'CAP_LEASE',
    'CAP_AUDIT_CONTROL', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
    'CAP_CHECKPOINT_RESTORE',
  ], 'a --privileged app restored with the deploy/ set');
  t.same(capabilitiesLacking('20000000000', readPrivileges(status('0', 0))), ['CAP_41'], 'a bit newer than this table is named by number');
});
