import { exportsExactly } from '@node-crac/test-kit';
import t from 'tap';
import * as redisCrac from '../src/index.js';
import { PendingRepliesError } from '../src/index.js';
import { redisUrlFromEnv, targetFromRedisUrl } from '../src/redisUrl.js';

t.test('a redis:// URL sets every connection setting, to ioredis\' default where it is left out', async (t) => {
  t.same(targetFromRedisUrl('redis://cache.internal', undefined), {
    host: 'cache.internal',
    port: 6379,
    path: null,
    username: null,
    password: null,
    db: 0,
    tls: undefined,
  });
  t.same(targetFromRedisUrl('redis://app%40eu:p%3Ass@[::1]:6380/3', undefined), {
    host: '::1',
    port: 6380,
    path: null,
    username: 'app@eu',
    password: 'p:ss',
    db: 3,
    tls: undefined,
  });
  t.match(targetFromRedisUrl('redis:///2', undefined), { host: 'localhost', db: 2 });
});

t.test('rediss:// keeps the client\'s TLS options, or turns TLS on with defaults', async (t) => {
  const tls = { servername: 'cache' };
  t.equal(targetFromRedisUrl('rediss://cache:6380', tls).tls, tls);
  t.same(targetFromRedisUrl('rediss://cache:6380', undefined).tls, {});
});

t.test('what is no Redis URL is refused, quoted without its password', async (t) => {
  t.throws(() => targetFromRedisUrl('redis://app:hunter2@cache:99999', undefined), { name: 'TypeError', message: 'not a URL: "redis://app:***@cache:99999"' });
  t.throws(() => targetFromRedisUrl('http://user:hunter2@host', undefined), { message: '"http://user:***@host/" is not a redis:// or rediss:// URL' });
  t.throws(() => targetFromRedisUrl('redis://host/cache', undefined), { message: '"redis://host/cache" names no database number in its path' });
  t.throws(() => targetFromRedisUrl('redis://host/-1', undefined), { message: /names no database number/ });
});

t.test('REDIS_URL is read from the environment; an empty one is none', async (t) => {
  t.equal(redisUrlFromEnv({ REDIS_URL: 'redis://cache' }), 'redis://cache');
  t.equal(redisUrlFromEnv({ REDIS_URL: '' }), undefined);
  t.equal(redisUrlFromEnv({}), undefined);
});

t.test('PendingRepliesError counts the commands still waiting by name', async (t) => {
  const error = new PendingRepliesError(['blpop', 'get', 'get'], 250);
  t.same(error.commands, ['blpop', 'get', 'get']);
  t.match(error.message, /^3 command\(s\) still awaiting a reply after 250 ms \(blpop, get x2\)/);
});

t.test('the entry exports what the README documents', async (t) => {
  exportsExactly(t, redisCrac, [
    'DEFAULT_REPLY_TIMEOUT_MS',
    'HELD_WORK_DISCARDED',
    'HeldCommandDiscardedError',
    'HeldWorkDiscardedError',
    'PendingRepliesError',
    'ReconnectError',
    'cracRedis',
    'redisUrlFromEnv',
  ]);
});
