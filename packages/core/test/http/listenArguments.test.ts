import t from 'tap';
import { tcpListenCall } from '../../src/http/listenArguments.js';

const cb = (): void => {};

t.test('the common forms of listen() for a TCP port are read', async (t) => {
  t.match(tcpListenCall([3000]), { port: 3000, host: undefined, backlog: undefined, callback: undefined });
  t.match(tcpListenCall(['3000', cb]), { port: 3000, callback: cb });
  t.match(tcpListenCall([3000, '127.0.0.1']), { port: 3000, host: '127.0.0.1' });
  t.match(tcpListenCall([3000, '::', 128, cb]), { port: 3000, host: '::', backlog: 128, callback: cb });
  t.match(tcpListenCall([3000, 64, cb]), { port: 3000, host: undefined, backlog: 64 });
  t.match(tcpListenCall([{ port: 3000, host: 'localhost', backlog: 10 }, cb]), { port: 3000, host: 'localhost', backlog: 10, callback: cb });
  const signal = new AbortController().signal;
  t.match(tcpListenCall([{ port: '3000', signal }]), { port: 3000, signal });
  t.match(tcpListenCall([0]), { port: 0 }, 'any port: the caller tells it apart');
  t.match(tcpListenCall([{ port: 3000, host: '127.0.0.1', cb, exclusive: false, ipv6Only: false }]), { port: 3000, host: '127.0.0.1' }, "options Node ignores for a TCP bind (Fastify's cb) change nothing");
});

t.test('every other form is left alone', async (t) => {
  for (const args of [
    [],
    [cb],
    ['/tmp/app.sock'],
    ['\\\\.\\pipe\\app'],
    [{ path: '/tmp/app.sock' }],
    [{ fd: 3 }],
    [{ handle: {} }],
    [{ port: 3000, ipv6Only: true }],
    [{ port: 3000, reusePort: true }],
    [{ port: 3000, host: 7 }],
    [{ port: 3000, backlog: '5' }],
    [{ port: 3000 }, 'extra'],
    [{}],
    [70000],
    [3000, '127.0.0.1', '5'],
    [3000, '127.0.0.1', 5, 'x'],
    [3000, {}],
    [3.5],
  ]) {
    t.equal(tcpListenCall(args), undefined, JSON.stringify(args));
  }
});
