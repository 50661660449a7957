import t from 'tap';
import {
  decodeHexAddress,
  formatEndpoint,
  parseInetTable,
  parseUnixTable,
} from '../../src/checks/socketTables.js';

// Lines as this machine's kernel (Linux 6.18, x86_64) prints them.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 13872 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A052 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 13873 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:A054 0100007F:1538 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 20002 1 0000000000000000 20 4 30 10 -1
`;
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
00000000cc0b9c4f: 00000003 00000000 00000000 0001 03 16115 /tmp/us.sock
0000000094cdcbb5: 00000002 00000000 00010000 0001 01 16112 /tmp/us.sock
0000000094cdcbb6: 00000002 00000000 00000000 0002 01 16120 @abstract name
0000000094cdcbb7: 00000003 00000000 00000000 0001 03 16121
`;

t.test('IPv4 addresses are decoded from host byte order', async (t) => {
  t.equal(decodeHexAddress('0100007F'), '127.0.0.1');
  t.equal(decodeHexAddress('00000000'), '0.0.0.0');
  t.equal(decodeHexAddress('0F02000A'), '10.0.2.15');
});

t.test('IPv6 addresses are decoded and compressed (RFC 5952), IPv4-mapped ones shown as Node shows them', async (t) => {
  t.equal(decodeHexAddress('00000000000000000000000001000000'), '::1');
  t.equal(decodeHexAddress('00000000000000000000000000000000'), '::');
  t.equal(decodeHexAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
  t.equal(decodeHexAddress('B80D0120000000000000000001000000'), '2001:db8::1');
  t.equal(decodeHexAddress('000080FE00000000FF000002030000FE'), 'fe80::200:ff:fe00:3');
  // Only the longest zero run is compressed; a single zero group stays.
  t.equal(decodeHexAddress('B80D0120000000000000010000000000'), '2001:db8:0:0:1::');
  t.equal(decodeHexAddress('B80D0120010000000100000001000000'), '2001:db8:0:1:0:1:0:1');
  t.throws(() => decodeHexAddress('0100'), /unexpected address/);
});

t.test('endpoints are written as Node users read them', async (t) => {
  t.equal(formatEndpoint({ address: '127.0.0.1', port: 3000 }), '127.0.0.1:3000');
  t.equal(formatEndpoint({ address: '::1', port: 3000 }), '[::1]:3000');
});

t.test('tcp tables give addresses and states by inode, skipping sockets without one', async (t) => {
  const v4 = parseInetTable(TCP, 'tcp', 'ipv4');
  t.same([...v4.keys()], [13872, 13873], 'TIME_WAIT with inode 0 is no descriptor');
  t.same(v4.get(13872), {
    protocol: 'tcp',
    family: 'ipv4',
    local: { address: '127.0.0.1', port: 3000 },
    remote: { address: '0.0.0.0', port: 0 },
    state: 'LISTEN',
  });
  t.same(v4.get(13873), {
    protocol: 'tcp',
    family: 'ipv4',
    local: { address: '127.0.0.1', port: 41042 },
    remote: { address: '127.0.0.1', port: 5432 },
    state: 'ESTABLISHED',
  });
  const v6 = parseInetTable(TCP6, 'tcp', 'ipv6');
  t.match(v6.get(20001), { local: { address: '::', port: 8080 }, state: 'LISTEN' });
  t.match(v6.get(20002), {
    local: { address: '::ffff:127.0.0.1', port: 8080 },
    remote: { address: '::ffff:127.0.0.1', port: 50000 },
    state: 'ESTABLISHED',
  });
});

t.test('unix tables give type, state and path', async (t) => {
  const unix = parseUnixTable(UNIX);
  t.same(unix.get(16112), { socketType: 'stream', state: 'LISTEN', path: '/tmp/us.sock' });
  t.same(unix.get(16115), { socketType: 'stream', state: 'CONNECTED', path: '/tmp/us.sock' });
  t.same(unix.get(16120), { socketType: 'dgram', state: 'UNCONNECTED', path: '@abstract name' });
  t.same(unix.get(16121), { socketType: 'stream', state: 'CONNECTED', path: undefined });
});
