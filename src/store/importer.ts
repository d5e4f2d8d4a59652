/**
 * Import one file into the store: atomic (one transaction: all rows or none) and idempotent
 * (the imports ledger is keyed by the file's sha256; a second import of the same bytes adds
 * nothing and says so).
 */
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { FileError, ParseError } from '../core/errors.ts';
import type { FileFormat, LineParser, ParseContext } from '../core/format.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { OrderGuard } from './order-guard.ts';
import { importParquet, isParquet } from './parquet.ts';
import { openEntries, readLines, sha256File, verifyChecksum } from './read-source.ts';
import { StoreSink } from './store-sink.ts';
import type { Store } from './store.ts';

export interface ImportOptions {
  readonly formats: readonly FileFormat[];
  readonly instruments: InstrumentRegistry;
  /** Force a format id instead of detecting it. */
  readonly format?: string;
  /** Symbol for rows that carry none, overriding the file name. */
  readonly symbol?: string;
  /** Skip bad rows (counted and reported) instead of failing the file. */
  readonly skipBadRows?: boolean;
  /** Called as work progresses: bytes of this file read so far, and rows parsed. */
  readonly onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
}

export interface ImportResult {
  readonly path: string;
  readonly status: 'imported' | 'already-imported';
  readonly format: string;
  readonly rows: number;
  readonly skipped: number;
  /** First few skipped-row errors (with --skip-bad-rows). */
  readonly skippedSamples: readonly string[];
  readonly skippedByCode: Readonly<Record<string, number>>;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly importId: number;
  readonly checksumVerified: boolean;
  readonly seconds: number;
}

const MAX_SAMPLES = 5;

export async function importFile(store: Store, file: string, opts: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const path = resolve(file);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new FileError('E_IO', path, 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw new FileError('E_IO', path, (e as Error).message);
  }
  if (size === 0) throw new FileError('E_EMPTY', path, 'file is empty');

  const sha256 = await sha256File(path);
  const checksumVerified = verifyChecksum(path, sha256);
  const prior = await store.rows<{ import_id: number; format: string; rows: bigint; imported_at: unknown; path: string }>(
    'SELECT import_id, format, rows, imported_at, path FROM imports WHERE sha256 = $1',
    [sha256],
  );
  if (prior.length > 0) {
    const p = prior[0];
    return {
      path, status: 'already-imported', format: p.format, rows: 0, skipped: 0, skippedSamples: [], skippedByCode: {},
      firstTs: NaN, lastTs: NaN, importId: p.import_id, checksumVerified, seconds: (performance.now() - started) / 1000,
    };
  }

  await store.run('BEGIN TRANSACTION');
  let sink: StoreSink | undefined;
  try {
    const [{ id }] = await store.rows<{ id: bigint }>("SELECT nextval('import_id_seq') AS id");
    const importId = Number(id);
    let formatId: string;
    let rows: number;
    let skipped = 0;
    const skippedSamples: string[] = [];
    const skippedByCode: Record<string, number> = {};
    let firstTs: number;
    let lastTs: number;
    if (isParquet(path)) {
      const r = await importParquet(store, path, importId);
      ({ rows, firstTs, lastTs } = r);
      formatId = r.format;
    } else {
      sink = await StoreSink.create(store.conn, importId);
      const guard = new OrderGuard(sink);
      const formatIds = new Set<string>();
      let parsedRows = 0;
      let bytesBefore = 0;
      for await (const entry of openEntries(path)) {
        const where = entry.name === basename(path) ? path : `${path}!${entry.name}`;
        let parser: LineParser | undefined;
        let entryBytes = 0;
        for await (const batch of readLines(path, entry.stream)) {
          entryBytes = batch.bytes;
          for (let i = 0; i < batch.lines.length; i++) {
            const text = batch.lines[i];
            const lineNo = batch.firstLineNo + i;
            if (!parser) {
              if (text.trim() === '') continue;
              const format = chooseFormat(opts, where, entry.name, text);
              formatIds.add(format.id);
              parser = format.createParser(parseContext(format, entry.name, opts));
            }
            try {
              parser.line(text, lineNo, guard);
              parsedRows++;
            } catch (e) {
              if (!(e instanceof ParseError)) throw e;
              e.at(`${where}:${lineNo}`);
              if (!opts.skipBadRows) throw e;
              skipped++;
              skippedByCode[e.code] = (skippedByCode[e.code] ?? 0) + 1;
              if (skippedSamples.length < MAX_SAMPLES) skippedSamples.push(e.message);
            }
          }
          opts.onProgress?.({ bytes: progressBytes(entry.size, bytesBefore, batch.bytes, size), totalBytes: size, rows: parsedRows });
        }
        if (parser?.end) {
          try {
            parser.end(guard);
          } catch (e) {
            if (e instanceof ParseError) e.at(`${where}:end`);
            throw e;
          }
        }
        bytesBefore += entryBytes;
      }
      const doneSink = sink;
      rows = doneSink.finish();
      sink = undefined;
      if (rows === 0) {
        if (skipped > 0) throw new FileError('E_TOO_MANY_BAD_ROWS', path, `every row was bad (${skipped} skipped); first: ${skippedSamples[0]}`);
        throw new FileError('E_EMPTY', path, 'no data rows (empty, or a header only)');
      }
      formatId = [...formatIds].join('+');
      firstTs = doneSink.firstTs;
      lastTs = doneSink.lastTs;
    }
    await store.run(
      `INSERT INTO imports VALUES ($1, $2, $3, $4, $5, $6, $7, make_timestamp($8::BIGINT), make_timestamp($9::BIGINT), 'ok', now()::TIMESTAMP)`,
      [importId, path, size, sha256, formatId, rows, skipped, Math.round(firstTs * 1000), Math.round(lastTs * 1000)],
    );
    await store.run('COMMIT');
    return {
      path, status: 'imported', format: formatId, rows, skipped, skippedSamples, skippedByCode, firstTs, lastTs,
      importId, checksumVerified, seconds: (performance.now() - started) / 1000,
    };
  } catch (e) {
    sink?.abandon();
    await store.run('ROLLBACK').catch(() => {});
    throw e;
  }
}

function progressBytes(entrySize: number | undefined, before: number, done: number, fileSize: number): number {
  // Plain files: bytes read are file bytes. Compressed: scale text bytes by the entry's ratio when
  // known (zip), else report text bytes capped below the file size (gzip: ~ unknown ratio).
  if (entrySize === undefined) return Math.min(before + done, fileSize);
  return Math.min(fileSize, Math.round(((before + done) / Math.max(entrySize, 1)) * fileSize));
}

function parseContext(format: FileFormat, entryName: string, opts: ImportOptions): ParseContext {
  return { fileName: entryName, symbol: opts.symbol ?? format.symbolFromName?.(entryName), instruments: opts.instruments };
}

/** The format forced with --format (checked against the header), or the best detected one. */
export function chooseFormat(opts: Pick<ImportOptions, 'formats' | 'format'>, where: string, entryName: string, firstLine: string): FileFormat {
  const scored = opts.formats.map((f) => ({ f, score: f.detect(entryName, firstLine) })).filter((s) => s.score > 0);
  scored.sort((a, b) => b.score - a.score);
  if (opts.format) {
    const forced = opts.formats.find((f) => f.id === opts.format);
    if (!forced) throw new FileError('E_FORMAT', where, `unknown format ${JSON.stringify(opts.format)}; known: ${opts.formats.map((f) => f.id).join(', ')}`);
    const other = scored[0];
    if (other && other.score === 2 && other.f !== forced && forced.detect(entryName, firstLine) === 0) {
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
