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

/**
 * The longest line any reader accepts, in characters (UTF-16 units; bytes for ASCII text). The
 * longest real line we know is a full order-book snapshot frame (Bybit orderbook.500, Binance
 * 1000-level REST snapshot) at some tens of KiB; a line past this is a broken or hostile file, and
 * refusing it early keeps memory bounded instead of buffering a 300 MB "line".
 */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Read an entry's text as batches of lines, CRLF or LF, the last line with or without newline.
 * A UTF-8 byte-order mark before line 1 is dropped (spreadsheet exports write one before the
 * header). Linear in the input: a long line is gathered in pieces, never re-joined per chunk, and
 * a line longer than `maxLine` characters fails with E_LINE_TOO_LONG naming `where:line`.
 */
export async function* readLines(where: string, stream: Readable, maxLine = MAX_LINE_CHARS): AsyncGenerator<LineBatch> {
  const decoder = new StringDecoder('utf8');
  // The unfinished last line, in pieces: one per chunk that held no newline.
  let carry: string[] = [];
  let carryLength = 0;
  let lineNo = 1;
  let bytes = 0;
  let first = true;
  const tooLong = (at: number) =>
    new FileError('E_LINE_TOO_LONG', where, `line is longer than ${maxLine} characters (the limit for one row or frame): not a market-data file, or a corrupt one`, at);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let text = decoder.write(chunk);
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      const nl = text.indexOf('\n');
      if (nl < 0) {
        carry.push(text);
        carryLength += text.length;
        if (carryLength > maxLine) throw tooLong(lineNo);
        continue;
      }
      const lines = text.split('\n');
      if (carry.length > 0) {
        lines[0] = carry.join('') + lines[0];
        carry = [];
      }
      const rest = lines.pop()!;
      carry.push(rest);
      carryLength = rest.length;
      const long = stripCrAndMeasure(lines, maxLine);
      if (long >= 0) throw tooLong(lineNo + long);
      if (carryLength > maxLine) throw tooLong(lineNo + lines.length);
      yield { lines, firstLineNo: lineNo, bytes };
      lineNo += lines.length;
    }
  } catch (e) {
    throw readError(where, e);
  }
  let rest = carry.join('') + decoder.end();
  if (first && rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
  if (rest.length > maxLine) throw tooLong(lineNo);
  if (rest.length > 0) {
    const lines = [rest];
    stripCrAndMeasure(lines, maxLine);
    yield { lines, firstLineNo: lineNo, bytes };
  }
}

/**
 * A gzip stream that ends without its trailer (zlib "unexpected end of file"): cut short, not
 * corrupt. Everything before the cut decompressed fine and was read. A random archive cut short
 * is refused (E_TRUNCATED, nothing imported); a recorder capture, an append-only log whose every
 * complete line stands alone, is read up to the cut by the importer (FileFormat.appendOnlyLog).
 */
export class GzipEndsEarly extends FileError {
  constructor(where: string, why: string) {
    super('E_TRUNCATED', where, `archive is truncated: the gzip stream ends without its trailer (${why})`);
  }
}

/** A failure while reading or decompressing, as the FileError that names it. */
export function readError(path: string, e: unknown): FileError {
  if (e instanceof FileError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_BUF_ERROR' && /unexpected end of file/.test(err.message)) return new GzipEndsEarly(path, err.message);
  if (err.code === 'Z_BUF_ERROR' || err.code === 'Z_DATA_ERROR' || /unexpected end|invalid|corrupt|bad/i.test(err.message)) {
    return archiveError(path, err);
  }
  return new FileError('E_IO', path, err.message);
}

/** Drop each line's trailing CR; returns the index of the first line over `max`, or -1. */
function stripCrAndMeasure(lines: string[], max: number): number {
  let long = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    if (long < 0 && lines[i].length > max) long = i;
  }
  return long;
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
