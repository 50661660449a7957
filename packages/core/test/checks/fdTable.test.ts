import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { describeDescriptor, scanDescriptors, type Descriptor } from '../../src/checks/fdTable.js';

// These run in the tap process: they look only at the descriptors they open.

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crac-fdtable-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function describeFd(fd: number): string {
  const descriptor = scanDescriptors().find((d) => d.fd === fd);
  if (!descriptor) throw new Error(`fd ${fd} is not open`);
  return describeDescriptor(descriptor);
}

function openFile(t: Test, file: string, flags: string): number {
  const fd = fs.openSync(file, flags);
  t.teardown(() => fs.closeSync(fd));
  return fd;
}

function tcpLines(port: number): string[] {
  return scanDescriptors()
    .filter((d): d is Descriptor & { kind: 'tcp' } => d.kind === 'tcp')
    .filter((d) => d.local.port === port || d.remote?.port === port)
    .map(describeDescriptor);
}

async function listen(t: Test, host: string): Promise<number> {
  const server = net.createServer((socket) => t.teardown(() => socket.destroy()));
  server.listen(0, host);
  await once(server, 'listening');
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

async function connect(t: Test, port: number, host: string): Promise<net.Socket> {
  const client = net.connect(port, host);
  await once(client, 'connect');
  t.teardown(() => client.destroy());
  return client;
}

t.test('a listening TCP server', async (t) => {
  const port = await listen(t, '127.0.0.1');
  t.match(tcpLines(port), [new RegExp(`^fd \\d+: tcp 127\\.0\\.0\\.1:${port} LISTEN$`)]);
});

t.test('an established IPv6 connection, and an IPv4 client of a dual-stack server', async (t) => {
  const port = await listen(t, '::');
  const v6 = await connect(t, port, '::1');
  t.ok(
    tcpLines(port).includes(`fd ${fdOf(v6)}: tcp [::1]:${v6.localPort} -> [::1]:${port} ESTABLISHED`),
    'IPv6 client',
  );
  const v4 = await connect(t, port, '127.0.0.1');
  t.ok(
    tcpLines(port).includes(`fd ${fdOf(v4)}: tcp 127.0.0.1:${v4.localPort} -> 127.0.0.1:${port} ESTABLISHED`),
    'IPv4 client',
  );
  t.ok(
    tcpLines(port).some((line) => line.endsWith(`tcp [::ffff:127.0.0.1]:${port} -> [::ffff:127.0.0.1]:${v4.localPort} ESTABLISHED`)),
    "the server's side of the IPv4 connection, IPv4-mapped",
  );
  t.ok(tcpLines(port).some((line) => line.endsWith(`tcp [::]:${port} LISTEN`)));
});

// The descriptor behind a socket, found by its unique local port.
function fdOf(socket: net.Socket): number {
  const descriptor = scanDescriptors().find((d) => d.kind === 'tcp' && d.local.port === socket.localPort);
  if (!descriptor) throw new Error(`no descriptor for local port ${socket.localPort}`);
  return descriptor.fd;
}

t.test('UDP sockets, unconnected and connected', async (t) => {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.teardown(() => new Promise<void>((resolve) => socket.close(resolve)));
  const port = socket.address().port;
  const udp = () => scanDescriptors().filter((d): d is Descriptor & { kind: 'udp' } => d.kind === 'udp' && d.local.port === port);
  t.match(udp().map(describeDescriptor), [new RegExp(`^fd \\d+: udp 127\\.0\\.0\\.1:${port}$`)]);
  socket.connect(53, '127.0.0.1');
  await once(socket, 'connect');
  t.match(udp().map(describeDescriptor), [new RegExp(`^fd \\d+: udp 127\\.0\\.0\\.1:${port} -> 127\\.0\\.0\\.1:53$`)]);
});

t.test('a unix socket server, its accepted connection and its client', async (t) => {
  const file = path.join(tempDir(t), 'app.sock');
  const server = net.createServer((socket) => t.teardown(() => socket.destroy()));
  server.listen(file);
  await once(server, 'listening');
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const client = net.connect(file);
  await once(client, 'connect');
  t.teardown(() => client.destroy());
  const lines = scanDescriptors()
    .filter((d) => d.kind === 'unix')
    .map((d) => describeDescriptor(d).replace(/^fd \d+: /, ''));
  t.ok(lines.includes(`unix stream ${file} LISTEN`), 'listening');
  t.ok(lines.includes(`unix stream ${file} CONNECTED`), 'accepted');
  t.ok(lines.includes('unix stream (unnamed) CONNECTED'), 'client');
});

t.test('regular files with their path, access mode, append and position', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'data.txt');
  fs.writeFileSync(file, '0123456789');
  const read = openFile(t, file, 'r');
  t.equal(describeFd(read), `fd ${read}: file ${file} (read)`);
  fs.readSync(read, Buffer.alloc(4), 0, 4, null);
  t.equal(describeFd(read), `fd ${read}: file ${file} (read, position 4)`);
  const readWrite = openFile(t, file, 'r+');
  t.equal(describeFd(readWrite), `fd ${readWrite}: file ${file} (read-write)`);
  const write = openFile(t, path.join(dir, 'out.txt'), 'w');
  t.equal(describeFd(write), `fd ${write}: file ${dir}/out.txt (write)`);
  const append = openFile(t, path.join(dir, 'app.log'), 'a');
  t.equal(describeFd(append), `fd ${append}: file ${dir}/app.log (append)`);
  const gone = openFile(t, path.join(dir, 'gone.txt'), 'w');
  fs.unlinkSync(path.join(dir, 'gone.txt'));
  t.equal(describeFd(gone), `fd ${gone}: file ${dir}/gone.txt (deleted) (write)`);
});

t.test('directories, FIFOs and devices', async (t) => {
  const dir = tempDir(t);
  const directory = openFile(t, dir, 'r');
  t.equal(describeFd(directory), `fd ${directory}: directory ${dir} (read)`);
  const fifo = path.join(dir, 'queue');
  execFileSync('mkfifo', [fifo]);
  const fifoFd = fs.openSync(fifo, fs.constants.O_RDWR);
  t.teardown(() => fs.closeSync(fifoFd));
  t.equal(describeFd(fifoFd), `fd ${fifoFd}: fifo ${fifo} (read-write)`);
  const zero = openFile(t, '/dev/zero', 'r');
  t.equal(describeFd(zero), `fd ${zero}: device /dev/zero (read)`);
});

t.test('inotify from fs.watch counts its watches', async (t) => {
  const watcher = fs.watch(tempDir(t));
  t.teardown(() => watcher.close());
  const inotify = scanDescriptors().filter((d) => d.kind === 'inotify');
  t.equal(inotify.length, 1, 'one inotify instance per loop');
  t.match(describeDescriptor(inotify[0]!), /^fd \d+: inotify \(fs\.watch, 1 watch\)$/);
});

t.test("libuv's own descriptors are classified", async (t) => {
  const kinds = new Set(scanDescriptors().map((d) => d.kind));
  t.ok(kinds.has('epoll'), 'epoll');
  t.ok(kinds.has('eventfd'), 'eventfd');
  t.ok(kinds.has('pipe'), 'pipe');
});
