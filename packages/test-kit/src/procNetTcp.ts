import { readFileSync } from 'node:fs';

/** One row of /proc/net/tcp (IPv4 sockets of this network namespace). */
export interface TcpSocket {
  /** Local address as the kernel prints it: 8 hex digits, little-endian. */
  localAddressHex: string;
  localPort: number;
  /** The kernel's state code: '0A' is LISTEN, '01' ESTABLISHED. */
  state: string;
  inode: string;
}

export const TCP_LISTEN = '0A';

/** The rows of /proc/net/tcp (or of the table text given). */
export function readProcNetTcp(text = readFileSync('/proc/net/tcp', 'utf8')): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [addressHex, portHex] = fields[1]?.split(':') ?? [];
    if (!addressHex || !portHex || fields[3] === undefined || fields[9] === undefined) continue;
    sockets.push({ localAddressHex: addressHex, localPort: parseInt(portHex, 16), state: fields[3], inode: fields[9] });
  }
  return sockets;
}

/** The inode of the IPv4 socket listening on `port`, or undefined. */
export function listeningInode(port: number): string | undefined {
  return readProcNetTcp().find((socket) => socket.localPort === port && socket.state === TCP_LISTEN)?.inode;
}
