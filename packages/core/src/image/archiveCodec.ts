import { spawn } from 'node:child_process';
import { Duplex, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { trustedExecutable } from '../trust/trustedExecutable.js';
import { ImageError } from './imageMeta.js';

/**
 * The compression of an image archive: zstd (`.tar.zst`) or gzip (`.tar.gz`).
 * gzip is in every Node's zlib; zstd only in Node >= 22.15, so on older Nodes
 * the `zstd` program is used, when one that only root (or we) could have put
 * there is found.
 */
export type Compression = 'zstd' | 'gzip';

/** A stream transform, with what it is for messages. */
export interface Codec {
  stream: Duplex | Transform;
  /** "zlib" or the zstd binary's path. */
  by: string;
  /** Settles once the work is done: rejects when a program failed, even after its output looked whole. */
  done: Promise<void>;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const SBIN_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];

/** The compression an output path asks for by its name, or undefined when the name says none of them. */
export function compressionOfName(path: string): Compression | undefined {
  if (/\.(tar\.zst|tzst)$/.test(path)) return 'zstd';
  if (/\.(tar\.gz|tgz)$/.test(path)) return 'gzip';
  return undefined;
}

/** The compression of an archive from its first bytes, or undefined when it is neither. */
export function compressionOfBytes(head: Buffer): Compression | undefined {
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  return undefined;
}

interface ZstdZlib {
  createZstdCompress?: () => Transform;
  createZstdDecompress?: () => Transform;
}

/** Whether this machine can write `.tar.zst` archives (zlib's zstd, or a trusted zstd program). */
export function zstdAvailable(): boolean {
  return typeof (zlib as ZstdZlib).createZstdCompress === 'function' || zstdProgram() !== undefined;
}

export function compressor(compression: Compression): Codec {
  return codec(compression, 'compress');
}

export function decompressor(compression: Compression): Codec {
  return codec(compression, 'decompress');
}

function codec(compression: Compression, direction: 'compress' | 'decompress'): Codec {
  if (compression === 'gzip') return { stream: direction === 'compress' ? zlib.createGzip() : zlib.createGunzip(), by: 'zlib', done: Promise.resolve() };
  const fromZlib = direction === 'compress' ? (zlib as ZstdZlib).createZstdCompress : (zlib as ZstdZlib).createZstdDecompress;
  if (typeof fromZlib === 'function') return { stream: fromZlib(), by: 'zlib', done: Promise.resolve() };
  const program = zstdProgram();
  if (!program) {
    throw new ImageError(
      `this Node (${process.version}) has no zstd in zlib and no usable zstd program was found on PATH or in ${SBIN_DIRS.join(', ')}: ` +
        (direction === 'compress' ? 'install zstd, or export to a .tar.gz archive instead' : 'install zstd to import this archive'),
    );
  }
  return { ...programStream(program, direction === 'compress' ? ['-q', '-c'] : ['-q', '-d', '-c']), by: program };
}

/** The first zstd on PATH or in the usual directories that trustedExecutable() accepts. */
function zstdProgram(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const path = join(dir, 'zstd');
    if (!existsSync(path)) continue;
    const trust = trustedExecutable(path);
    if ('real' in trust) return trust.real;
  }
  return undefined;
}

/** A program filtering stdin to stdout, as a duplex stream; `done` rejects when the program fails. */
function programStream(program: string, args: string[]): { stream: Duplex; done: Promise<void> } {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ImageError(`${program} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}): ${stderr.trim() || 'no message'}`));
    });
  });
  done.catch(() => undefined); // awaited by the caller once the stream is through
  // Destroyed half way (an archive refused): the program must not outlive us.
  stream.once('close', () => {
    if (stream.errored && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { stream, done };
}
