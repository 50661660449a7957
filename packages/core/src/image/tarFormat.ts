/**
 * The part of the tar format (POSIX ustar) that an image archive uses: flat
 * regular files, nothing else. Written by `crac export`, read by `crac import`
 * and `crac verify`; a reader refuses every other kind of entry rather than
 * interpret it (links, directories, devices, long-name and pax extensions).
 */

export const BLOCK = 512;

/** One entry's header, as far as an image archive has any use for it. */
export interface TarHeader {
  name: string;
  size: number;
  /** The raw typeflag: '0' (or NUL) for a regular file; anything else is refused by the reader. */
  type: string;
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

/** "a symbolic link", for a refusal naming what an entry is. */
export function describeTarType(type: string): string {
  return TYPE_NAMES[type] ?? `an entry of type ${JSON.stringify(type)}`;
}

function writeString(block: Buffer, text: string, at: number, length: number): void {
  block.write(text, at, length, 'utf8');
}

function writeOctal(block: Buffer, value: number, at: number, length: number): void {
  writeString(block, `${value.toString(8).padStart(length - 1, '0')}\0`, at, length);
}

/** The 512-byte header of a regular file (0600, owned by uid 0, mtime `mtimeS`). */
export function fileHeader(name: string, size: number, mtimeS: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, name, 0, 100);
  writeOctal(block, 0o600, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, mtimeS, 136, 12);
  block.fill(' ', 148, 156); // the checksum counts its own field as spaces
  writeString(block, '0', 156, 1);
  writeString(block, 'ustar\0', 257, 6);
  writeString(block, '00', 263, 2);
  writeOctal(block, checksum(block), 148, 7);
  return block;
}

/** Zeros up to the next block boundary after `size` bytes of content. */
export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

function readString(block: Buffer, at: number, length: number): string {
  const field = block.subarray(at, at + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

function readOctal(block: Buffer, at: number, length: number): number {
  const text = readString(block, at, length).trim();
  if (!/^[0-7]+$/.test(text)) return Number.NaN;
  return parseInt(text, 8);
}

/**
 * The header in `block`, undefined for a zero block (the end of the archive),
 * or a string saying why it is not a ustar header this reader accepts.
 */
export function parseHeader(block: Buffer): TarHeader | undefined | string {
  if (block.every((byte) => byte === 0)) return undefined;
  // "ustar\0" (POSIX) or "ustar  " (GNU tar's default format).
  if (!readString(block, 257, 6).startsWith('ustar')) return 'not a ustar header';
  if (readOctal(block, 148, 8) !== checksum(block)) return 'a header whose checksum does not match';
  const prefix = readString(block, 345, 155);
  const name = prefix === '' ? readString(block, 0, 100) : `${prefix}/${readString(block, 0, 100)}`;
  const size = readOctal(block, 124, 12);
  if (!Number.isSafeInteger(size)) return `a header for ${JSON.stringify(name)} without a valid size`;
  return { name, size, type: String.fromCharCode(block[156]!) };
}
