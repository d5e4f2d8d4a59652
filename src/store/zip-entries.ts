/**
 * The file entries of a `.zip` (Binance public-data zips hold one CSV), each as a stream of its
 * inflated bytes that can never grow past the size the archive declares for it. A zip bomb that
 * declares its true size is refused by its compression ratio before a byte is inflated; one
 * whose header lies fails at the first byte past the size it declares.
 */
import { basename } from 'node:path';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { FileError } from '../core/errors.ts';
import type { Entry } from './read-source.ts';

/** Inflate output chunk: large enough that per-chunk costs (scanner, segment write) vanish. */
const INFLATE_CHUNK = 256 * 1024;
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
  const bound = new CheckedEntry(path, entry.fileName, entry.uncompressedSize, entry.crc32);
  let data: Readable = raw;
  if (entry.compressionMethod === 8) {
    const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
    raw.on('error', (e) => inflate.destroy(e));
    data = raw.pipe(inflate);
  }
  data.on('error', (e) => bound.destroy(e));
  bound.on('close', () => {
    raw.destroy();
    data.destroy();
  });
  return data.pipe(bound);
}

/**
 * Passes bytes through, failing as soon as they exceed the declared size; at the end, failing if
 * they are fewer or their CRC-32 is not the archive's (deflate itself carries no checksum, so a
 * corrupt stream can inflate to the right length; zlib's crc32 costs ~0.02 s per 100 MB).
 */
class CheckedEntry extends Transform {
  private seen = 0;
  private crc = 0;
  constructor(
    private readonly path: string,
    private readonly entryName: string,
    private readonly declared: number,
    private readonly expectedCrc: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.declared) {
      cb(new FileError('E_ZIP_BOMB', this.path, `zip entry ${JSON.stringify(this.entryName)} inflates past the ${this.declared} bytes its header declares: a zip bomb or a corrupt archive; refused`));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const name = JSON.stringify(this.entryName);
    if (this.seen < this.declared) {
      cb(archiveError(this.path, new Error(`zip entry ${name} inflates to ${this.seen} bytes, its header declares ${this.declared}`)));
    } else if (this.crc !== this.expectedCrc) {
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
