import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The native addon (native/bridge.c): prebuilt in the package, or built from source by `npm run build:native`. */
export interface NativeBridge {
  /** A real pipe (not a socketpair), both ends close-on-exec: [readFd, writeFd]. */
  pipe(): [number, number];
  /**
   * Runs `criuArgv` (a `criu dump` of this process) from a grandchild outside this
   * process tree and blocks in read() on the status pipe until EOF. Returns what was
   * read: the status text ("ok", or why the dump failed or was not started) when this
   * process was not dumped away, the restore payload in a restored copy. Throws, before
   * anything is started, on a bad argument or descriptor. `writeFd` is closed by the call.
   */
  checkpointSelf(criuArgv: string[], readFd: number, writeFd: number): Buffer;
  /** malloc_trim(0): hands freed heap pages back to the kernel; true if any were released. */
  mallocTrim(): boolean;
  /** OpenSSL RAND_poll() of the node binary: reseeds the DRBG; true on success. */
  randPoll(): boolean;
  /**
   * A close-on-exec TCP socket listening on the numeric address `host`:`port`
   * (SO_REUSEADDR, and SO_REUSEPORT when `reusePort`); nothing accepts on it.
   * Throws an Error whose `code` is the errno name (EADDRINUSE, EACCES, ...).
   */
  listenTcp(host: string, port: number, backlog: number, reusePort: boolean): number;
  /** A close-on-exec duplicate of descriptor `fd` of process `pid` (pidfd_getfd); throws with `code` ESRCH, EBADF, EPERM, ... */
  takeDescriptor(pid: number, fd: number): number;
  /** What descriptor `fd` is: throws (EBADF) only when it is no open descriptor. */
  describeSocket(fd: number): SocketDescription;
}

/** describeSocket(): `socket` false for a descriptor that is no socket (then nothing else is set). */
export interface SocketDescription {
  socket: boolean;
  /** SO_ACCEPTCONN: listen() was called on it. */
  listening?: boolean;
  /** A SOCK_STREAM IPPROTO_TCP socket of family IPv4 or IPv6. */
  tcp?: boolean;
  family?: 'IPv4' | 'IPv6' | 'unix' | 'other';
  /** The bound address as inet_ntop writes it ('127.0.0.1', '::'), for IPv4 and IPv6. */
  address?: string;
  port?: number;
}

const packageRoot = resolve(__dirname, '../..');
const platform = `${process.platform}-${process.arch}`;
const sourceBuild = resolve(packageRoot, 'native/build/Release');
const prebuilt = resolve(packageRoot, 'prebuilds', platform);
const NATIVE_FILES = ['crac_bridge.node', 'crac_restore_helper', 'crac_no_io_uring.so'];
const BUILD_FROM_SOURCE = `build it from source with "npm run build:native" in ${packageRoot} (needs a C compiler, make and python3)`;

/**
 * Where the addon, the restore helper and the io_uring blocker are: a source
 * build (`npm run build:native`) wins over the binaries prebuilt for this
 * platform; each set is taken whole, never mixed.
 */
function nativeDir(): string | undefined {
  return [sourceBuild, prebuilt].find((dir) => NATIVE_FILES.every((name) => existsSync(resolve(dir, name))));
}

/** The path of one of the native files (`crac_bridge.node`, ...); throws, saying how to build them, when they are missing. */
export function nativeFile(name: string, what: string): string {
  const dir = nativeDir();
  if (!dir) throw new NativeBridgeError('ERR_CRAC_NATIVE_NOT_BUILT', `node-crac ${what} (${name}) is missing: no prebuilt binaries for ${platform} in ${prebuilt} and no source build in ${sourceBuild}; ${BUILD_FROM_SOURCE}`);
  return resolve(dir, name);
}

/** Why the native code cannot be used here: `code` tells the cases apart, the message names the fix. */
export class NativeBridgeError extends Error {
  override name = 'NativeBridgeError';
  constructor(
    readonly code: 'ERR_CRAC_NATIVE_UNSUPPORTED_PLATFORM' | 'ERR_CRAC_NATIVE_NOT_BUILT' | 'ERR_CRAC_NATIVE_LOAD_FAILED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

let bridge: NativeBridge | undefined;
let loadError: NativeBridgeError | undefined;

/** Loads the addon on first use; throws a NativeBridgeError saying why when it is not available. */
export function loadBridge(): NativeBridge {
  if (bridge) return bridge;
  if (loadError) throw loadError;
  if (process.platform !== 'linux') {
    loadError = new NativeBridgeError(
      'ERR_CRAC_NATIVE_UNSUPPORTED_PLATFORM',
      `node-crac native bridge: CRIU checkpoints need Linux (this is ${process.platform}); use CRAC_ENGINE=simulate`,
    );
    throw loadError;
  }
  let addonPath: string;
  try {
    addonPath = nativeFile('crac_bridge.node', 'native bridge');
  } catch (error) {
    loadError = new NativeBridgeError('ERR_CRAC_NATIVE_NOT_BUILT', `${(error as Error).message}, or use CRAC_ENGINE=simulate`);
    throw loadError;
  }
  try {
    bridge = require(addonPath) as NativeBridge;
  } catch (error) {
    loadError = new NativeBridgeError('ERR_CRAC_NATIVE_LOAD_FAILED', `node-crac native bridge at ${addonPath} failed to load: ${(error as Error).message}; ${BUILD_FROM_SOURCE}`, {
      cause: error,
    });
    throw loadError;
  }
  return bridge;
}

/** The restore helper executable (native/restore_helper.c); throws a NativeBridgeError when it is missing. */
export function restoreHelperPath(): string {
  return nativeFile('crac_restore_helper', 'restore helper');
}

/**
 * The LD_PRELOAD library (native/no_io_uring.c) under which io_uring_setup fails
 * with ENOSYS, so that libuv uses epoll; throws a NativeBridgeError when it is missing.
 */
export function ioUringBlockerPath(): string {
  return nativeFile('crac_no_io_uring.so', 'io_uring blocker');
}
