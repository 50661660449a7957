import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The native addon (native/bridge.c), built by node-gyp when node-crac is installed. */
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
}

const packageRoot = resolve(__dirname, '../..');
const releaseDir = resolve(packageRoot, 'build/Release');
const addonPath = resolve(releaseDir, 'crac_bridge.node');

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
  if (!existsSync(addonPath)) {
    loadError = new NativeBridgeError(
      'ERR_CRAC_NATIVE_NOT_BUILT',
      `node-crac native bridge is not built (${addonPath} is missing): it is compiled by node-gyp when node-crac is installed, ` +
        `which needs a C compiler, make and python3. Install them and run "npx node-gyp rebuild" in ${packageRoot}, ` +
        `or use CRAC_ENGINE=simulate.`,
    );
    throw loadError;
  }
  try {
    bridge = require(addonPath) as NativeBridge;
  } catch (error) {
    loadError = new NativeBridgeError('ERR_CRAC_NATIVE_LOAD_FAILED', `node-crac native bridge at ${addonPath} failed to load: ${(error as Error).message}`, {
      cause: error,
    });
    throw loadError;
  }
  return bridge;
}

/** The restore helper executable (native/restore_helper.c); throws a NativeBridgeError when it is not built. */
export function restoreHelperPath(): string {
  const helper = resolve(releaseDir, 'crac_restore_helper');
  if (!existsSync(helper)) {
    throw new NativeBridgeError('ERR_CRAC_NATIVE_NOT_BUILT', `node-crac restore helper is not built (${helper} is missing): run "npx node-gyp rebuild" in ${packageRoot}`);
  }
  return helper;
}

/**
 * The LD_PRELOAD library (native/no_io_uring.c) under which io_uring_setup fails
 * with ENOSYS, so that libuv uses epoll; throws when it is not built (NativeBridgeError).
 */
export function ioUringBlockerPath(): string {
  const library = resolve(releaseDir, 'crac_no_io_uring.so');
  if (!existsSync(library)) {
    throw new NativeBridgeError('ERR_CRAC_NATIVE_NOT_BUILT', `node-crac io_uring blocker is not built (${library} is missing): run "npx node-gyp rebuild" in ${packageRoot}`);
  }
  return library;
}
