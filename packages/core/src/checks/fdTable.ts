import { constants, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import {
  formatEndpoint,
  readSocketTables,
  type InetEndpoint,
  type IpFamily,
  type SocketTables,
  type UnixSocketEntry,
} from './socketTables.js';

/**
 * This process's descriptor table, read from /proc/self/fd (what each
 * descriptor points at) and /proc/self/fdinfo (open flags and position), with
 * sockets resolved through the kernel's socket tables.
 */

export type DescriptorKind =
  | 'tcp'
  | 'udp'
  | 'unix'
  | 'file'
  | 'directory'
  | 'pipe'
  | 'fifo'
  | 'inotify'
  | 'io_uring'
  | 'epoll'
  | 'eventfd'
  | 'signalfd'
  | 'timerfd'
  | 'tty'
  | 'device'
  | 'other';

export type AccessMode = 'read' | 'write' | 'read-write';

interface DescriptorCommon {
  fd: number;
  /** readlink(/proc/self/fd/N), e.g. `socket:[1234]`, `pipe:[99]`, `/var/log/app.log`. */
  target: string;
  /** open(2) flags from fdinfo, including O_CLOEXEC. */
  flags: number;
  /** File offset from fdinfo. */
  position: number;
}

export interface InetDescriptor extends DescriptorCommon {
  kind: 'tcp' | 'udp';
  inode: number;
  family: IpFamily;
  local: InetEndpoint;
  /** Undefined while not connected (listening TCP, unconnected UDP). */
  remote: InetEndpoint | undefined;
  state: string;
}

export interface UnixDescriptor extends DescriptorCommon, UnixSocketEntry {
  kind: 'unix';
  inode: number;
}

export interface PathDescriptor extends DescriptorCommon {
  kind: 'file' | 'directory' | 'fifo' | 'tty' | 'device';
  path: string;
  /** The file was unlinked after it was opened (readlink ends in ` (deleted)`). */
  deleted: boolean;
}

export interface PipeDescriptor extends DescriptorCommon {
  kind: 'pipe';
  inode: number;
}

export interface KernelObjectDescriptor extends DescriptorCommon {
  kind: 'io_uring' | 'epoll' | 'eventfd' | 'signalfd' | 'timerfd';
}

export interface InotifyDescriptor extends DescriptorCommon {
  kind: 'inotify';
  /** Active watches (`inotify wd:` lines in fdinfo); libuv keeps the instance open after the last fs.watch closes. */
  watches: number;
}

export interface OtherDescriptor extends DescriptorCommon {
  kind: 'other';
}

export type Descriptor =
  | InetDescriptor
  | UnixDescriptor
  | PathDescriptor
  | PipeDescriptor
  | KernelObjectDescriptor
  | InotifyDescriptor
  | OtherDescriptor;

// /proc/self/fd links to anonymous inodes read `anon_inode:[name]` (inotify: `anon_inode:inotify`).
const ANON_INODE_KINDS: Record<string, KernelObjectDescriptor['kind']> = {
  eventpoll: 'epoll',
  eventfd: 'eventfd',
  signalfd: 'signalfd',
  timerfd: 'timerfd',
  io_uring: 'io_uring',
};

const DELETED_SUFFIX = ' (deleted)';

/** Every open descriptor of this process, ordered by number. */
export function scanDescriptors(): Descriptor[] {
  const sockets = readSocketTables();
  const descriptors: Descriptor[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const descriptor = readDescriptor(Number(name), sockets);
    if (descriptor) descriptors.push(descriptor);
  }
  return descriptors.sort((a, b) => a.fd - b.fd);
}

/** Undefined when the descriptor was closed while the table was read (e.g. readdir's own directory fd). */
function readDescriptor(fd: number, sockets: SocketTables): Descriptor | undefined {
  let target: string;
  let info: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
    info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const common: DescriptorCommon = {
    fd,
    target,
    flags: parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '0', 8),
    position: Number(/^pos:\s*(\d+)/m.exec(info)?.[1] ?? 0),
  };

  const bracketed = /^(socket|pipe):\[(\d+)\]$/.exec(target);
  if (bracketed) {
    const inode = Number(bracketed[2]);
    if (bracketed[1] === 'pipe') return { ...common, kind: 'pipe', inode };
    const inet = sockets.inet.get(inode);
    if (inet) {
      const connected = inet.remote.port !== 0;
      return {
        ...common,
        kind: inet.protocol,
        inode,
        family: inet.family,
        local: inet.local,
        remote: connected ? inet.remote : undefined,
        state: inet.state,
      };
    }
    const unix = sockets.unix.get(inode);
    if (unix) return { ...common, kind: 'unix', inode, ...unix };
    // An unbound tcp/udp socket, netlink, packet, raw, or a socket of another network namespace.
    return { ...common, kind: 'other' };
  }

  const anon = /^anon_inode:\[?([^\]]+)\]?$/.exec(target);
  if (anon) {
    if (anon[1] === 'inotify') return { ...common, kind: 'inotify', watches: info.match(/^inotify wd:/gm)?.length ?? 0 };
    const kind = ANON_INODE_KINDS[anon[1]!];
    return kind ? { ...common, kind } : { ...common, kind: 'other' };
  }

  if (!target.startsWith('/')) return { ...common, kind: 'other' };
  const deleted = target.endsWith(DELETED_SUFFIX);
  const path = deleted ? target.slice(0, -DELETED_SUFFIX.length) : target;
  let stats;
  try {
    // Through the magic link: the object itself, even when deleted or shadowed by a mount.
    stats = statSync(`/proc/self/fd/${fd}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const kind: PathDescriptor['kind'] = stats.isDirectory()
    ? 'directory'
    : stats.isFIFO()
      ? 'fifo'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? isatty(fd)
          ? 'tty'
          : 'device'
        : 'file';
  return { ...common, kind, path, deleted };
}

export function accessMode(flags: number): AccessMode {
  const mode = flags & 3; // O_ACCMODE
  return mode === constants.O_WRONLY ? 'write' : mode === constants.O_RDWR ? 'read-write' : 'read';
}

export function isAppend(flags: number): boolean {
  return (flags & constants.O_APPEND) !== 0;
}

/**
 * Node and libuv open every descriptor of their own with O_CLOEXEC; one
 * without it above stdio was inherited from the parent process.
 */
export function isInherited(descriptor: Descriptor): boolean {
  // O_CLOEXEC is not in fs.constants; fdinfo reports it as 02000000 on Linux.
  return descriptor.fd > 2 && (descriptor.flags & 0o2000000) === 0;
}

/** One line for messages, e.g. `fd 21: tcp 127.0.0.1:3000 LISTEN`. */
export function describeDescriptor(descriptor: Descriptor): string {
  return `fd ${descriptor.fd}: ${describeObject(descriptor)}`;
}

function describeObject(d: Descriptor): string {
  switch (d.kind) {
    case 'tcp':
      return d.remote
        ? `tcp ${formatEndpoint(d.local)} -> ${formatEndpoint(d.remote)} ${d.state}`
        : `tcp ${formatEndpoint(d.local)} ${d.state}`;
    case 'udp':
      return d.remote ? `udp ${formatEndpoint(d.local)} -> ${formatEndpoint(d.remote)}` : `udp ${formatEndpoint(d.local)}`;
    case 'unix':
      return `unix ${d.socketType} ${d.path ?? '(unnamed)'} ${d.state}`;
    case 'file':
    case 'directory':
    case 'fifo':
    case 'device':
      return `${d.kind} ${d.path}${d.deleted ? DELETED_SUFFIX : ''} (${describeOpenMode(d)})`;
    case 'tty':
      return `tty ${d.path}`;
    case 'pipe':
      return `pipe [${d.inode}] (${accessMode(d.flags) === 'write' ? 'write end' : 'read end'})`;
    case 'inotify':
      return `inotify (fs.watch, ${d.watches} watch${d.watches === 1 ? '' : 'es'})`;
    case 'other':
      return d.target.startsWith('socket:')
        ? `socket ${d.target.slice('socket:'.length)} (not in /proc/net/{tcp,udp,unix}: unbound, or another protocol)`
        : d.target;
    default:
      return d.kind;
  }
}

function describeOpenMode(d: PathDescriptor): string {
  if (isAppend(d.flags)) return 'append';
  const mode = accessMode(d.flags);
  return d.kind === 'file' && d.position > 0 ? `${mode}, position ${d.position}` : mode;
}
