import t from 'tap';
import { autoAdapters } from '../../src/cli/autoOption.js';
import { UsageError } from '../../src/cli/command.js';

t.test('--auto takes pg and ioredis, comma-separated, once each; not with --no-auto', async (t) => {
  t.same(autoAdapters(undefined, false), []);
  t.same(autoAdapters(undefined, true), []);
  t.same(autoAdapters('pg', false), ['pg']);
  t.same(autoAdapters('ioredis, pg,pg', false), ['ioredis', 'pg']);
  t.throws(() => autoAdapters('pg,mysql', false), new UsageError('--auto takes pg, ioredis (comma-separated), not "mysql"'));
  t.throws(() => autoAdapters('', false), new UsageError('--auto takes pg, ioredis (comma-separated), not ""'));
  t.throws(() => autoAdapters('pg', true), new UsageError('--auto adds to the automatic registration that --no-auto turns off: give one of them'));
});
