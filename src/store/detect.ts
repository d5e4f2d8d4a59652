/** Which format reads a file: forced with --format, or detected from its name and first line. */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { FileError } from '../core/errors.ts';
import type { FileFormat } from '../core/format.ts';
import { isGzip } from './read-source.ts';

/** The format forced with --format (checked against the header), or the best detected one. */
export function chooseFormat(opts: { readonly formats: readonly FileFormat[]; readonly format?: string }, where: string, entryName: string, firstLine: string): FileFormat {
  const scored = opts.formats.map((f) => ({ f, score: f.detect(entryName, firstLine) })).filter((s) => s.score > 0);
  scored.sort((a, b) => b.score - a.score);
  if (opts.format) {
    const forced = opts.formats.find((f) => f.id === opts.format);
    if (!forced) throw new FileError('E_FORMAT', where, `unknown format ${JSON.stringify(opts.format)}; known: ${opts.formats.map((f) => f.id).join(', ')}`);
    const other = scored[0];
    if (other && other.score === 2 && other.f !== forced && forced.detect(entryName, firstLine) === 0 && !forced.readsLine1?.(firstLine)) {
      throw new FileError('E_FORMAT', where, `line 1 is the header of format ${other.f.id}, not ${forced.id}: ${JSON.stringify(firstLine.slice(0, 120))}`);
    }
    return forced;
  }
  if (scored.length === 0) {
    throw new FileError('E_FORMAT', where, `no known format matches the file name and line 1 ${JSON.stringify(firstLine.slice(0, 120))}; pass --format (see orderflow formats)`);
  }
  if (scored.length > 1 && scored[1].score === scored[0].score) {
    throw new FileError('E_FORMAT', where, `ambiguous format (${scored.filter((s) => s.score === scored[0].score).map((s) => s.f.id).join(', ')}); pass --format`);
  }
  return scored[0].f;
}

/**
 * The first non-empty line of a plain or gzip file, reading no more than needed (<= 1 MB), without
 * the UTF-8 byte-order mark some exporters put before the header (readLines drops it too).
 */
export async function peekFirstLine(path: string): Promise<string | undefined> {
  const raw = createReadStream(path, { highWaterMark: 64 * 1024, end: 1 << 20 });
  const stream = isGzip(path) ? raw.pipe(createGunzip()) : raw;
  let text = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const lines = text.split('\n');
      const first = lines.slice(0, -1).find((l) => l.trim() !== '');
      if (first !== undefined) return first.replace(/\r$/, '');
      if (text.length > 1 << 20) break;
    }
  } catch {
    return undefined; // unreadable or corrupt: the streaming path reports it properly
  } finally {
    raw.destroy();
    stream.destroy();
  }
  return text.trim() === '' ? undefined : text.replace(/\r$/, '');
}
