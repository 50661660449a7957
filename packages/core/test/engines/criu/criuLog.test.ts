import t from 'tap';
import { criuErrorHint, criuErrorLines } from '../../../src/engines/criu/criuLog.js';

t.test('criuErrorLines keeps the Error lines without timestamps, and drops the harmless ones', async (t) => {
  const log = [
    '(00.001) Version: 4.1.1',
    "(00.002) Error (criu/util.c:1): Can't setup RLIMIT_NOFILE for self",
    '(00.310) Error (criu/cr-dump.c:1664): A session leader of 2110(2110) is outside of its pid namespace',
    '(00.311) Error (criu/cr-dump.c:2111): Dumping FAILED.',
  ].join('\n');
  t.same(criuErrorLines(log), [
    'Error (criu/cr-dump.c:1664): A session leader of 2110(2110) is outside of its pid namespace',
    'Error (criu/cr-dump.c:2111): Dumping FAILED.',
  ]);
});

t.test('criuErrorHint names the cause and the fix for the errors node-crac knows', async (t) => {
  const hint = (line: string): string | undefined => criuErrorHint([line, 'Error (criu/cr-dump.c:2111): Dumping FAILED.']);
  t.match(hint('Error (criu/cr-dump.c:1664): A session leader of 2110(2110) is outside of its pid namespace'), /crac run.*setsid/);
  t.match(hint('Error (criu/files-ext.c:95): unsupported: io_uring'), /io_uring.*crac run/);
  t.match(hint('Error (criu/sk-unix.c:1): External socket is used'), /unix socket/);
  t.match(hint("Error (criu/cr-restore.c:1): Can't fork for 42: File exists"), /PID namespace/);
  t.equal(hint('Error (criu/mem.c:1): something else'), undefined, 'no hint for an unknown error');
});
