import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * The kernel's socket tables for this process's network namespace
 * (/proc/self/net/{tcp,tcp6,udp,udp6,unix}), keyed by socket inode: a
 * descriptor's `socket:[inode]` link is looked up here to learn its protocol,
 * addresses and state.
 */

export type IpFamily = 'ipv4' | 'ipv6';

export interface InetEndpoint {
  address: string;
  port: number;
}

export interface InetSocketEntry {
  protocol: 'tcp' | 'udp';
  family: IpFamily;
  local: InetEndpoint;
  remote: InetEndpoint;
  /** TCP state name (LISTEN, ESTABLISHED, ...); a connected UDP socket is ESTABLISHED, an unconnected one CLOSE. */
  state: string;
}

export type UnixSocketType = 'stream' | 'dgram' | 'seqpacket' | 'unknown';

export interface UnixSocketEntry {
  socketType: UnixSocketType;
  state: 'LISTEN' | 'UNCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'DISCONNECTING' | 'UNKNOWN';
  /** Bound path; abstract names start with '@'; undefined for an unnamed socket. */
  path: string | undefined;
}

export interface SocketTables {
  inet: Map<number, InetSocketEntry>;
  unix: Map<number, UnixSocketEntry>;
}

// include/net/tcp_states.h
const TCP_STATES: Record<number, string> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW_SYN_RECV',
};

// include/uapi/linux/net.h (socket_state) and __SO_ACCEPTCON
const UNIX_STATES: Record<number, UnixSocketEntry['state']> = {
  1: 'UNCONNECTED',
  2: 'CONNECTING',
  3: 'CONNECTED',
  4: 'DISCONNECTING',
};
const SO_ACCEPTCON = 0x10000;
const UNIX_TYPES: Record<number, UnixSocketType> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };

export function readSocketTables(netDir = '/proc/self/net'): SocketTables {
  const inet = new Map<number, InetSocketEntry>();
  const tables = [
    ['tcp', 'tcp', 'ipv4'],
    ['tcp6', 'tcp', 'ipv6'],
    ['udp', 'udp', 'ipv4'],
    ['udp6', 'udp', 'ipv6'],
  ] as const;
  for (const [file, protocol, family] of tables) {
    // A kernel without IPv6 has no tcp6/udp6 file.
    const text = readOptional(`${netDir}/${file}`);
    if (text !== undefined) for (const [inode, entry] of parseInetTable(text, protocol, family)) inet.set(inode, entry);
  }
  return { inet, unix: parseUnixTable(readOptional(`${netDir}/unix`) ?? '') };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parses /proc/net/{tcp,tcp6,udp,udp6}: `sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...`. */
export function parseInetTable(text: string, protocol: 'tcp' | 'udp', family: IpFamily): Map<number, InetSocketEntry> {
  const entries = new Map<number, InetSocketEntry>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const inode = Number(fields[9]);
    // Sockets in TIME_WAIT and embryonic connections belong to no descriptor (inode 0).
    if (!inode) continue;
    const stateCode = parseInt(fields[3]!, 16);
    entries.set(inode, {
      protocol,
      family,
      local: parseHexEndpoint(fields[1]!),
      remote: parseHexEndpoint(fields[2]!),
      state: TCP_STATES[stateCode] ?? `STATE_${fields[3]}`,
    });
  }
  return entries;
}

/** Parses /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`. */
export function parseUnixTable(text: string): Map<number, UnixSocketEntry> {
  const entries = new Map<number, UnixSocketEntry>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 7) continue;
    const flags = parseInt(fields[3]!, 16);
    const inode = Number(fields[6]);
    // The path is the rest of the line (a path with spaces was split above).
    const path = fields.length > 7 ? fields.slice(7).join(' ') : undefined;
    entries.set(inode, {
      socketType: UNIX_TYPES[parseInt(fields[4]!, 16)] ?? 'unknown',
      state: flags & SO_ACCEPTCON ? 'LISTEN' : (UNIX_STATES[parseInt(fields[5]!, 16)] ?? 'UNKNOWN'),
      path,
    });
  }
  return entries;
}

/** `0100007F:0BB8` -> 127.0.0.1:3000 (the kernel prints each 32-bit word of the address in host byte order). */
function parseHexEndpoint(text: string): InetEndpoint {
  const [hexAddress = '', hexPort = ''] = text.split(':');
  return { address: decodeHexAddress(hexAddress), port: parseInt(hexPort, 16) };
}

export function decodeHexAddress(hex: string): string {
  if (hex.length !== 8 && hex.length !== 32) throw new Error(`unexpected address in /proc/net: ${hex}`);
  const bytes = Buffer.alloc(hex.length / 2);
  for (let word = 0; word < bytes.length / 4; word++) {
    const value = parseInt(hex.slice(word * 8, word * 8 + 8), 16);
    if (endianness() === 'LE') bytes.writeUInt32LE(value, word * 4);
    else bytes.writeUInt32BE(value, word * 4);
  }
  return bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes);
}

/** RFC 5952 text form, with IPv4-mapped addresses as ::ffff:a.b.c.d (as Node reports them). */
function formatIpv6(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.subarray(12).join('.')}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // The longest run of two or more zero groups (the first one on a tie) becomes '::'.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatEndpoint(endpoint: InetEndpoint): string {
  return endpoint.address.includes(':') ? `[${endpoint.address}]:${endpoint.port}` : `${endpoint.address}:${endpoint.port}`;
}
