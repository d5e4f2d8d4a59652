/**
 * Streaming readers for archive files as published: plain text, `.gz`, and `.zip` (Binance
 * public-data zips hold one CSV). Nothing is ever loaded whole: lines come in batches per chunk.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { FileError } from '../core/errors.ts';
import { archiveError, openZip } from './zip-entries.ts';

export interface Entry {
  /** File name inside the container (or the file's own name without `.gz`). */
  readonly name: string;
  /** Decompressed bytes, or undefined when unknown (gzip). */
  readonly size: number | undefined;
  readonly stream: Readable;
  /** For gzip: compressed bytes read so far (progress against the file size). */
  readonly rawBytes?: () => number;
}

/** Lines of one chunk; `firstLineNo` is the 1-based number of lines[0]. */
export interface LineBatch {
  readonly lines: string[];
  readonly firstLineNo: number;
  /** Bytes of decompressed text consumed so far. */
  readonly bytes: number;
}

export function isZip(path: string): boolean {
  return path.toLowerCase().endsWith('.zip');
}

export function isGzip(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** The entries of a file: one for plain and gzip files, each file entry of a zip. */
export async function* openEntries(path: string): AsyncGenerator<Entry> {
  const name = basename(path);
  if (isZip(path)) {
    yield* (await openZip(path)).entries();
  } else if (isGzip(path)) {
    const gunzip = createGunzip();
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    raw.on('error', (e) => gunzip.destroy(e));
    yield { name: name.slice(0, -3), size: undefined, stream: raw.pipe(gunzip), rawBytes: () => raw.bytesRead };
  } else {
    yield { name, size: undefined, stream: createReadStream(path, { highWaterMark: 1 << 20 }) };
  }
}

/** Read an entry's text as batches of lines, CRLF or LF, the last line with or without newline. */
export async function* readLines(path: string, stream: Readable): AsyncGenerator<LineBatch> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 1;
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const text = carry + decoder.write(chunk);
      const lines = text.split('\n');
      carry = lines.pop()!;
      stripCr(lines);
      if (lines.length > 0) {
        yield { lines, firstLineNo: lineNo, bytes };
        lineNo += lines.length;
      }
    }
  } catch (e) {
    throw readError(path, e);
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) {
    const lines = [rest];
    stripCr(lines);
    yield { lines, firstLineNo: lineNo, bytes };
  }
}

/** A failure while reading or decompressing, as the FileError that names it. */
export function readError(path: string, e: unknown): FileError {
  if (e instanceof FileError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_BUF_ERROR' || err.code === 'Z_DATA_ERROR' || /unexpected end|invalid|corrupt|bad/i.test(err.message)) {
    return archiveError(path, err);
  }
  return new FileError('E_IO', path, err.message);
}

function stripCr(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
}

/** sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (e) {
    throw new FileError('E_IO', path, (e as Error).message);
  }
  return hash.digest('hex');
}

/**
 * Verify a Binance-style `<file>.CHECKSUM` beside the file (`<sha256>  <name>`), when present.
 * Returns whether one was checked.
 */
export function verifyChecksum(path: string, sha256: string): boolean {
  const sumFile = `${path}.CHECKSUM`;
  if (!existsSync(sumFile)) return false;
  const text = readFileSync(sumFile, 'utf8').trim();
  const expected = text.split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{64}$/.test(expected)) {
    throw new FileError('E_CHECKSUM', path, `${basename(sumFile)} does not hold a sha256 (got ${JSON.stringify(text.slice(0, 80))})`);
  }
  if (expected !== sha256) {
    throw new FileError('E_CHECKSUM', path, `sha256 ${sha256} does not match ${basename(sumFile)} (${expected}): the download is corrupt or incomplete`);
  }
  return true;
}
