/**
 * The file entries of a `.zip` (Binance public-data zips hold one CSV), each as a stream of its
 * inflated bytes that can never grow past the size the archive declares for it. A zip bomb that
 * declares its true size is refused by its compression ratio before a byte is inflated; one
 * whose header lies fails at the first byte past the size it declares.
 */
import { basename } from 'node:path';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { crc32, createGunzip, type ZlibOptions } from 'node:zlib';
import yauzl from 'yauzl';
import { FileError } from '../core/errors.ts';
import type { Entry } from './read-source.ts';

/**
 * Inflate output chunk: large enough that per-chunk costs (stream hops, the scanner's carry,
 * a segment check) vanish; 1 MiB measured ~0.03 CPU-s less than 256 KiB on 2M trades.
 */
const INFLATE_CHUNK = 1 << 20;
/**
 * Inflated bytes zlib may hold ahead of the reader: a few chunks, so zlib's thread inflates the
 * next ones while the scanner reads this one (the default, 16 KiB, stops it after every chunk).
 */
const INFLATE_AHEAD = 4 * INFLATE_CHUNK;
/** A gzip member header: deflate, no flags, no time, unknown OS (RFC 1952, 2.3). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** Compressed bytes per read. */
const READ_CHUNK = 1 << 20;

/**
 * The most an entry may expand. The bundled real captures and archives deflate 5:1 (Binance spot
 * aggTrades) to 14:1 (a JSON trade capture); a bomb of one repeated byte reaches deflate's limit
 * of ~1030:1. 200:1 (Apache POI's ZipSecureFile refuses past 100:1) stops bombs before a byte is
 * inflated and leaves real data alone.
 */
const MAX_RATIO = 200;
/** Below this, an entry is too small to harm, whatever its ratio (a header-only file). */
const RATIO_FLOOR = 1 << 20;

export interface ZipArchive {
  /** Records in the central directory, directories included. */
  readonly entryCount: number;
  /** The file entries, in order; the archive closes when this ends or is returned early. */
  entries(): AsyncGenerator<Entry>;
  /** Close without reading the entries. */
  close(): void;
}

/** Open a zip: its central directory is read now (a corrupt one fails here), entries on demand. */
export async function openZip(path: string): Promise<ZipArchive> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(archiveError(path, err)) : resolve(z!))),
  );
  return { entryCount: zip.entryCount, entries: () => entriesOf(path, zip), close: () => zip.close() };
}

async function* entriesOf(path: string, zip: yauzl.ZipFile): AsyncGenerator<Entry> {
  try {
    let found = 0;
    for (;;) {
      const entry = await nextEntry(path, zip);
      if (!entry) break;
      // Directories and macOS resource forks carry no data.
      if (entry.fileName.endsWith('/') || entry.fileName.startsWith('__MACOSX/')) continue;
      found++;
      yield { name: basename(entry.fileName), size: entry.uncompressedSize, stream: await openEntry(path, zip, entry) };
    }
    if (found === 0) throw new FileError('E_EMPTY', path, 'zip archive holds no file');
  } finally {
    zip.close();
  }
}

function nextEntry(path: string, zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise<yauzl.Entry | null>((resolve, reject) => {
    const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e));
    const onEnd = () => (cleanup(), resolve(null));
    const onError = (e: Error) => (cleanup(), reject(archiveError(path, e)));
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/**
 * The entry's bytes, read and inflated here (not by yauzl) so the read size, the inflate chunk
 * size and the size bound are ours: 1 MiB reads instead of 16 KiB ones cut the round trips
 * through the thread pool ~60-fold.
 */
async function openEntry(path: string, zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  if (entry.isEncrypted()) throw new FileError('E_FORMAT', path, `zip entry ${JSON.stringify(entry.fileName)} is encrypted`);
  if (entry.uncompressedSize > RATIO_FLOOR && entry.uncompressedSize > MAX_RATIO * entry.compressedSize) {
    throw new FileError('E_ZIP_BOMB', path, `zip entry ${JSON.stringify(entry.fileName)} declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed (over ${MAX_RATIO}:1, no market data compresses so well): a zip bomb; refused`);
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new FileError('E_FORMAT', path, `zip entry ${JSON.stringify(entry.fileName)} uses compression method ${entry.compressionMethod}; only stored and deflate are read`);
  }
  const { fileDataStart } = await new Promise<{ fileDataStart: number }>((resolve, reject) =>
    zip.readLocalFileHeader(entry, { minimal: true }, (err, h) => (err ? reject(archiveError(path, err)) : resolve(h))),
  );
  const raw: Readable =
    entry.compressedSize === 0
      ? Readable.from([])
      : createReadStream(path, { start: fileDataStart, end: fileDataStart + entry.compressedSize - 1, highWaterMark: READ_CHUNK });
  const deflated = entry.compressionMethod === 8;
  // A deflated entry's CRC-32 and size are checked by zlib itself (see gzipMember); a stored
  // one's by CheckedEntry.
  const bound = new CheckedEntry(path, entry.fileName, entry.uncompressedSize, deflated ? undefined : entry.crc32);
  let data: Readable = raw;
  if (deflated) {
    data = gzipMember(raw, entry.crc32, entry.uncompressedSize);
    raw.on('error', (e) => data.destroy(e));
  }
  data.on('error', (e) => bound.destroy(zlibCheckError(path, entry, e) ?? e));
  bound.on('close', () => {
    raw.destroy();
    data.destroy();
  });
  return data.pipe(bound);
}

/**
 * The raw deflate bytes of a zip entry inflated as one gzip member, the header ours and the
 * trailer the CRC-32 and size the zip declares for the entry (RFC 1952: both formats carry the
 * same CRC-32 of the inflated bytes). Deflate itself carries no checksum, so a corrupt stream
 * can inflate to the right length; this way zlib checks the CRC-32 on its own thread as it
 * inflates, while the bytes are still in cache, instead of a second pass on the main thread
 * (~0.03 CPU-s on 2M trades; docs/BENCHMARKS.md). zlib reads the 8 bytes after the deflate
 * stream's last block as the trailer: a stream that ends early fails its check there, and so
 * does an entry whose declared compressed size runs past its deflate stream (a raw inflate, as
 * before, ignored such bytes; the entry's header is then wrong, so it is refused as corrupt).
 */
function gzipMember(raw: Readable, crc: number, size: number): Readable {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4); // ISIZE: the size modulo 2^32
  // zlib streams pass stream options on to their Transform (@types/node does not declare them).
  const options: ZlibOptions & TransformOptions = { chunkSize: INFLATE_CHUNK, readableHighWaterMark: INFLATE_AHEAD };
  const gunzip = createGunzip(options);
  gunzip.write(GZIP_HEADER);
  raw.on('end', () => gunzip.end(trailer));
  raw.pipe(gunzip, { end: false });
  return gunzip;
}

/** zlib's failed trailer checks (gzipMember), said as the zip's: the entry is corrupt. */
function zlibCheckError(path: string, entry: yauzl.Entry, e: Error): FileError | undefined {
  const name = JSON.stringify(entry.fileName);
  if ((e as NodeJS.ErrnoException).code !== 'Z_DATA_ERROR') return undefined;
  if (/incorrect data check/.test(e.message)) return archiveError(path, new Error(`zip entry ${name} does not inflate to the CRC-32 its header declares, ${hex(entry.crc32)}`));
  if (/incorrect length check/.test(e.message)) return archiveError(path, new Error(`zip entry ${name} inflates to another size than the ${entry.uncompressedSize} bytes its header declares`));
  return undefined;
}

/**
 * Passes bytes through, failing as soon as they exceed the declared size; at the end, failing if
 * they are fewer or (a stored entry; gzipMember checks a deflated one's) their CRC-32 is not the
 * archive's.
 */
class CheckedEntry extends Transform {
  private seen = 0;
  private crc = 0;
  constructor(
    private readonly path: string,
    private readonly entryName: string,
    private readonly declared: number,
    /** undefined: checked by zlib. */
    private readonly expectedCrc: number | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.declared) {
      cb(new FileError('E_ZIP_BOMB', this.path, `zip entry ${JSON.stringify(this.entryName)} inflates past the ${this.declared} bytes its header declares: a zip bomb or a corrupt archive; refused`));
      return;
    }
    if (this.expectedCrc !== undefined) this.crc = crc32(chunk, this.crc);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const name = JSON.stringify(this.entryName);
    if (this.seen < this.declared) {
      cb(archiveError(this.path, new Error(`zip entry ${name} inflates to ${this.seen} bytes, its header declares ${this.declared}`)));
    } else if (this.expectedCrc !== undefined && this.crc !== this.expectedCrc) {
      cb(archiveError(this.path, new Error(`zip entry ${name} has CRC-32 ${hex(this.crc)}, its header declares ${hex(this.expectedCrc)}`)));
    } else {
      cb();
    }
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * yauzl's refusal of an entry name that would land outside the folder it is extracted into
 * (`../x`, `/etc/x`, `C:/x`; yauzl reads `\\` as `/`), said as such; any other failure as a
 * truncated or corrupt archive (gzip too).
 */
export function archiveError(path: string, err: Error): FileError {
  const unsafe = /^(invalid relative path|absolute path): (.*)$/s.exec(err.message);
  if (unsafe) {
    const what = unsafe[1] === 'absolute path' ? 'an absolute entry name' : 'a path-traversal entry name';
    return new FileError('E_ZIP_ENTRY_NAME', path, `zip entry ${JSON.stringify(unsafe[2])} is ${what} (it would point outside the archive's folder): refused, nothing imported`);
  }
  return new FileError('E_TRUNCATED', path, `archive is truncated or corrupt (${err.message})`);
}
