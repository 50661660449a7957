import t from 'tap';
import { procStatFields } from '../../src/checks/procStat.js';

t.test('the fields of /proc/PID/stat after the command name, or undefined for no such process', async (t) => {
  const fields = procStatFields(process.pid)!;
  t.equal(fields[1], String(process.ppid), 'field 4, the parent');
  t.match(fields[0], /^[RSDZTtWXxKWP]$/, 'field 3, the state');
  t.equal(procStatFields(2 ** 22 + 1), undefined);
});
