import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkOwnDirectory } from '../trust/trustedPath.js';
import { compressionOfBytes, compressionOfName, compressor, decompressor, type Compression } from './archiveCodec.js';
import { explainWriteError, readSealedImage } from './imageDir.js';
import { checkImageFiles, manifestDigest, verifyImageContent } from './imageIntegrity.js';
import { IMAGE_META_FILE, ImageError, type ImageMeta } from './imageMeta.js';
import { createStagingDir, IMAGE_DIR_FIX } from './stagingDir.js';
import { BLOCK, describeTarType, END_OF_ARCHIVE, fileHeader, padding, parseHeader } from './tarFormat.js';

/**
 * An image as one file that moves between hosts and registries: a tar of
 * crac.json (first) and the CRIU files its manifest lists, compressed with
 * zstd or gzip. Its SHA-256 is printed and written beside it (`NAME.sha256`,
 * the format of sha256sum); `crac import` and `crac verify` check the archive
 * against that digest, and every file in it against the image's manifest, and
 * name what differs. Importing extracts only flat regular files, into a
 * private directory that becomes the image once everything checked out.
 */

/** The digest file written beside an archive. */
export const digestFileOf = (archive: string): string => `${archive}.sha256`;

// CRIU's files are named like pages-1.img, core-1234.img; nothing else goes into an archive.
const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_META_BYTES = 16 * 1024 * 1024;

export interface ExportResult {
  archive: string;
  sha256: string;
  bytes: number;
  files: number;
}

/**
 * Writes the sealed image in `dir` to `archive` (its compression from its name),
 * after a full check of its content: a damaged image is not shipped. The archive
 * is written aside (O_EXCL) and renamed into place, then its digest file.
 */
export async function exportImage(dir: string, archive: string): Promise<ExportResult> {
  const compression = compressionOfName(archive);
  if (!compression) throw new ImageError(`${archive}: name the archive NAME.tar.zst (zstd) or NAME.tar.gz (gzip)`);
  const meta = readSealedImage(dir);
  verifyImageContent(dir, meta);
  const names = [IMAGE_META_FILE, ...Object.keys(meta.files ?? {}).sort()];
  const codec = compressor(compression);
  const temp = join(dirname(archive), `.${basename(archive)}.${process.pid}`);
  let fd: number;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw explainWriteError(error, `write ${archive}`, archive);
  }
  const digest = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      Readable.from(tarOf(dir, names)),
      codec.stream,
      new Transform({
        transform(chunk: Buffer, _encoding, next) {
          digest.update(chunk);
          bytes += chunk.length;
          next(null, chunk);
        },
      }),
      createWriteStream('', { fd, flush: true }),
    );
    await codec.done;
    renameSync(temp, archive);
  } catch (error) {
    rmSync(temp, { force: true });
    throw explainWriteError(error, `write ${archive}`, archive);
  }
  const sha256 = digest.digest('hex');
  writeDigestFile(archive, sha256);
  return { archive, sha256, bytes, files: names.length - 1 };
}

/** The tar stream of `names` in `dir`, each read without following a link. */
async function* tarOf(dir: string, names: string[]): AsyncGenerator<Buffer> {
  const mtimeS = Math.floor(Date.now() / 1000);
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const name of names) {
    const fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const { size } = fstatSync(fd);
      yield fileHeader(name, size, mtimeS);
      let left = size;
      while (left > 0) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, left), null);
        if (n === 0) throw new ImageError(`${join(dir, name)} became shorter while it was being exported`);
        left -= n;
        yield Buffer.from(buffer.subarray(0, n));
      }
      yield padding(size);
    } finally {
      closeSync(fd);
    }
  }
  yield END_OF_ARCHIVE;
}

function writeDigestFile(archive: string, sha256: string): void {
  const path = digestFileOf(archive);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeSync(fd, `${sha256}  ${basename(archive)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw explainWriteError(error, `write ${path}`, path);
  }
}

/** Where the digest an archive is checked against comes from. */
export interface ExpectedDigest {
  sha256: string;
  /** "--sha256" or the digest file's path, for messages. */
  from: string;
}

/**
 * The digest to check `archive` against: the one given (from a channel the
 * user trusts, such as the pipeline that exported it), else the digest file
 * beside the archive, else none.
 */
export function expectedDigest(archive: string, given: string | undefined): ExpectedDigest | undefined {
  if (given !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(given)) throw new ImageError(`--sha256 wants the 64 hex digits of a SHA-256, got "${given}"`);
    return { sha256: given.toLowerCase(), from: '--sha256' };
  }
  const path = digestFileOf(archive);
  if (!existsSync(path)) return undefined;
  const sha256 = /^([0-9a-f]{64})\b/i.exec(readFileSync(path, 'utf8'))?.[1];
  if (!sha256) throw new ImageError(`${path} holds no SHA-256 (expected "HEX  ${basename(archive)}", as crac export writes it)`);
  return { sha256: sha256.toLowerCase(), from: path };
}

/** Said when there is no digest to check an archive against. */
export function noDigestNote(archive: string): string {
  return `no digest to check ${archive} against (no --sha256, no ${digestFileOf(archive)}): only its files are checked against the manifest inside it`;
}

export interface ArchiveCheck {
  sha256: string;
  files: number;
  bytes: number;
  /** The digest it was checked against, if there was one. */
  checkedAgainst: ExpectedDigest | undefined;
}

/** Checks an archive without extracting it: its digest, and every file against the manifest inside it. */
export async function verifyArchive(archive: string, expected: ExpectedDigest | undefined): Promise<ArchiveCheck> {
  const { meta, sha256 } = await readArchive(archive, expected, () => undefined);
  const files = meta.files ?? {};
  return { sha256, files: Object.keys(files).length, bytes: Object.values(files).reduce((sum, f) => sum + f.size, 0), checkedAgainst: expected };
}

/**
 * Extracts `archive` into `outDir`, which must not exist or be empty: into a
 * private directory beside it first (0700, files 0600, O_EXCL|O_NOFOLLOW),
 * renamed into place only once the archive's digest, every file's digest and
 * the image's own record checked out. A failed import leaves nothing.
 */
export async function importArchive(archive: string, outDir: string, expected: ExpectedDigest | undefined): Promise<ArchiveCheck> {
  const existed = existsSync(outDir) || isLink(outDir);
  if (existed) {
    checkOwnDirectory(outDir, IMAGE_DIR_FIX);
    if (readdirSync(outDir).length > 0) throw new ImageError(`${outDir} is not empty: import into a new directory (or an empty one)`);
  }
  const staging = createStagingDir(outDir, 'import');
  try {
    const result = await readArchive(archive, expected, (name) => {
      try {
        return openSync(join(staging, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      } catch (error) {
        throw explainWriteError(error, `write ${join(staging, name)}`, staging);
      }
    });
    const meta = readSealedImage(staging);
    checkImageFiles(staging, meta);
    if (existed) rmdirSync(outDir);
    renameSync(staging, outDir);
    return { sha256: result.sha256, files: Object.keys(meta.files ?? {}).length, bytes: meta.imageSizeBytes ?? 0, checkedAgainst: expected };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Reads the archive through: each member checked as it streams by (a flat
 * regular file, crac.json first, then only files its manifest lists, each
 * with the size and SHA-256 recorded there), handed to `open` for a
 * descriptor to write it to (or none), and the whole archive's digest
 * compared with `expected` at the end.
 */
async function readArchive(archive: string, expected: ExpectedDigest | undefined, open: (name: string) => number | undefined): Promise<{ meta: ImageMeta; sha256: string }> {
  const fd = openSync(archive, constants.O_RDONLY | constants.O_NOFOLLOW);
  const head = Buffer.alloc(4);
  let compression: Compression | undefined;
  try {
    if (!fstatSync(fd).isFile()) throw new ImageError(`${archive} is not a regular file`);
    compression = compressionOfBytes(head.subarray(0, readSync(fd, head, 0, 4, 0)));
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!compression) {
    closeSync(fd);
    throw new ImageError(`${archive} is not an image archive: neither zstd nor gzip data (crac export writes NAME.tar.zst or NAME.tar.gz)`);
  }
  let codec: ReturnType<typeof decompressor>;
  try {
    codec = decompressor(compression);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const digest = createHash('sha256');
  const reader = new MemberReader(archive, open);
  try {
    await pipeline(
      createReadStream('', { fd, start: 0 }),
      new Transform({
        transform(chunk: Buffer, _encoding, next) {
          digest.update(chunk);
          next(null, chunk);
        },
      }),
      codec.stream,
      reader,
    );
    await codec.done;
  } catch (error) {
    reader.abandon();
    const sha256 = digest.digest('hex');
    // A damaged archive is best explained by its digest, when there is one to compare.
    if (expected && expected.sha256 !== sha256) {
      throw new ImageError(`${digestMismatch(archive, expected, sha256)}; reading it failed: ${(error as Error).message}`);
    }
    throw error instanceof ImageError ? error : new ImageError(`${archive} could not be read as an image archive (${compression}): ${(error as Error).message}`);
  }
  const sha256 = digest.digest('hex');
  if (expected && expected.sha256 !== sha256) throw new ImageError(digestMismatch(archive, expected, sha256));
  return { meta: reader.finish(), sha256 };
}

function digestMismatch(archive: string, expected: ExpectedDigest, sha256: string): string {
  return `${archive} is not the archive that was exported: its SHA-256 is ${sha256}, ${expected.from} says ${expected.sha256} (damaged or tampered with in transit)`;
}

/** The tar stream's consumer: a state machine over headers, contents and padding. */
class MemberReader extends Writable {
  private pending = Buffer.alloc(0);
  private member: { name: string; size: number; left: number; fd: number | undefined; hash: ReturnType<typeof createHash>; text: Buffer[] | undefined } | undefined;
  private skip = 0;
  private ended = false;
  private meta: ImageMeta | undefined;
  private readonly seen = new Set<string>();

  constructor(
    private readonly archive: string,
    private readonly open: (name: string) => number | undefined,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, next: (error?: Error | null) => void): void {
    try {
      this.take(chunk);
      next();
    } catch (error) {
      next(error as Error);
    }
  }

  override _final(next: (error?: Error | null) => void): void {
    next(this.ended ? null : new ImageError(`${this.archive} ends early: ${this.member ? `${this.member.name} is cut short` : 'no end-of-archive mark'} (the file was truncated)`));
  }

  /** The image's record, once the whole archive was read and every manifest file was in it. */
  finish(): ImageMeta {
    const meta = this.meta!;
    const missing = Object.keys(meta.files ?? {}).filter((name) => !this.seen.has(name));
    if (missing.length > 0) throw new ImageError(`${this.archive} lacks files of the image's manifest: ${missing.join(', ')}`);
    return meta;
  }

  /** Closes the file being written, after a failure. */
  abandon(): void {
    if (this.member?.fd !== undefined) closeSync(this.member.fd);
    this.member = undefined;
  }

  private take(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0 && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
      } else if (this.member) {
        const n = Math.min(this.member.left, data.length);
        this.content(data.subarray(0, n));
        data = data.subarray(n);
      } else if (data.length >= BLOCK) {
        this.header(data.subarray(0, BLOCK));
        data = data.subarray(BLOCK);
      } else {
        this.pending = Buffer.from(data);
        return;
      }
    }
  }

  private header(block: Buffer): void {
    const header = parseHeader(block);
    if (header === undefined) {
      // What follows the first zero block (the second one, compressor padding) is not read.
      if (!this.meta) throw new ImageError(`${this.archive} holds no image: it ends before ${IMAGE_META_FILE}`);
      this.ended = true;
      return;
    }
    if (typeof header === 'string') throw new ImageError(`${this.archive} is not an image archive: ${header}`);
    const { name, size, type } = header;
    if (type !== '0' && type !== '\0') throw new ImageError(`${this.archive}: ${JSON.stringify(name)} is ${describeTarType(type)}; an image archive holds only regular files, so it is refused`);
    if (!MEMBER_NAME.test(name)) throw new ImageError(`${this.archive}: the entry ${JSON.stringify(name)} is not a plain file name (a path, an absolute path or a hidden name); refused`);
    if (this.seen.has(name)) throw new ImageError(`${this.archive}: ${name} is in it twice; refused`);
    if (!this.meta && name !== IMAGE_META_FILE) throw new ImageError(`${this.archive}: ${name} comes before ${IMAGE_META_FILE}; crac export writes the record first, so this archive was not made by it`);
    if (this.meta) {
      const entry = this.meta.files?.[name];
      if (!entry) throw new ImageError(`${this.archive}: ${name} is not part of the image as it was sealed (not in its manifest); refused`);
      if (entry.size !== size) throw new ImageError(`${this.archive}: ${name} has ${size} bytes, ${entry.size} in the image's manifest`);
    } else if (size > MAX_META_BYTES) {
      throw new ImageError(`${this.archive}: ${IMAGE_META_FILE} is ${size} bytes, more than a record can be`);
    }
    this.seen.add(name);
    this.member = { name, size, left: size, fd: this.open(name), hash: createHash('sha256'), text: this.meta ? undefined : [] };
    if (size === 0) this.memberDone();
  }

  private content(bytes: Buffer): void {
    const member = this.member!;
    member.hash.update(bytes);
    member.text?.push(Buffer.from(bytes));
    if (member.fd !== undefined) for (let at = 0; at < bytes.length; ) at += writeSync(member.fd, bytes, at);
    member.left -= bytes.length;
    if (member.left === 0) this.memberDone();
  }

  private memberDone(): void {
    const member = this.member!;
    this.member = undefined;
    if (member.fd !== undefined) closeSync(member.fd);
    this.skip = padding(member.size).length;
    const sha256 = member.hash.digest('hex');
    if (member.text) {
      this.meta = parseRecord(this.archive, Buffer.concat(member.text).toString('utf8'));
      return;
    }
    if (sha256 !== this.meta!.files![member.name]!.sha256) {
      throw new ImageError(`${this.archive}: ${member.name} differs from the image's manifest (SHA-256 mismatch): the archive was damaged or tampered with; export it again`);
    }
  }
}

/**
 * crac.json from an archive, checked before any other member is taken: a
 * sealed record whose own digest matches. An import then reads the extracted
 * image as every restore does (readSealedImage).
 */
function parseRecord(archive: string, text: string): ImageMeta {
  let meta: ImageMeta;
  try {
    meta = JSON.parse(text) as ImageMeta;
  } catch (error) {
    throw new ImageError(`${archive}: its ${IMAGE_META_FILE} is corrupt: ${(error as Error).message}`);
  }
  if (meta === null || typeof meta !== 'object' || meta.format !== 'node-crac-image' || !meta.complete || typeof meta.files !== 'object' || meta.files === null) {
    throw new ImageError(`${archive}: its ${IMAGE_META_FILE} is not the record of a sealed node-crac image`);
  }
  if (meta.manifestDigest !== manifestDigest(meta)) {
    throw new ImageError(`${archive}: its ${IMAGE_META_FILE} was changed after the image was sealed (its digest does not match): the archive was damaged or tampered with`);
  }
  return meta;
}
