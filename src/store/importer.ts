/**
 * Import one file into the store: atomic (one transaction: all rows or none) and idempotent
 * (the imports ledger is keyed by the file's sha256; a second import of the same bytes adds
 * nothing and says so).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FileError, ParseError } from '../core/errors.ts';
import type { EventSink, FileFormat, LineParser, ParseContext, TradeDigestFields } from '../core/format.ts';
import { venueSymbol, type InstrumentRegistry } from '../core/instruments.ts';
import { chooseFormat } from './detect.ts';
import { DIGEST_SQL, digestMatches, planBulkLoad, TradeDigest, type BulkLoadOptions, type BulkPlan, type DigestRow } from './bulk-load.ts';
import { OrderGuard } from './order-guard.ts';
import { importParquet, isParquet } from './parquet.ts';
import { GzipEndsEarly, isZip, openEntries, readLines, sha256File, verifyChecksum } from './read-source.ts';
import { StoreSink } from './store-sink.ts';
import type { Store } from './store.ts';

export interface ImportOptions extends BulkLoadOptions {
  readonly formats: readonly FileFormat[];
  readonly instruments: InstrumentRegistry;
  /** Force a format id instead of detecting it. */
  readonly format?: string;
  /** Symbol for rows that carry none, overriding the file name. */
  readonly symbol?: string;
  /** Skip bad rows (counted and reported) instead of failing the file. */
  readonly skipBadRows?: boolean;
  /** The longest line accepted, in characters (default read-source.ts MAX_LINE_CHARS). */
  readonly maxLineChars?: number;
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
  /** How the rows were loaded: bulk (DuckDB fed by our byte scanner's checked columns, or its
   * CSV reader, cross-checked by our parser), our parser through appenders, or a Parquet file of
   * ours. */
  readonly method: 'bulk' | 'stream' | 'parquet' | 'none';
  /** Said about a file that was imported anyway (a capture cut short by a crash). */
  readonly warning?: string;
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

  // A plain CSV or a zip never imported from this path is hashed as part of its load (a CSV's
  // bytes as they are validated, one read instead of two; a zip's in a read of its own beside the
  // digest query, so the hash never runs alone before the load starts); the ledger is then checked inside the
  // transaction, before commit. Anything else is hashed first, so a re-import costs one read and
  // nothing more.
  const hashLater = (/\.csv$/i.test(path) || isZip(path)) && !existsSync(`${path}.CHECKSUM`) && !(await seenPathAndSize(store, path, size));
  let sha256: string | undefined;
  let checksumVerified = false;
  if (!hashLater) {
    sha256 = await sha256File(path);
    checksumVerified = verifyChecksum(path, sha256);
    const prior = await priorImport(store, sha256);
    if (prior) return alreadyImported(path, prior, checksumVerified, started);
  }

  const base = { path, checksumVerified, started, size, sha256 };
  const bulk = await planBulkLoad(path, opts, join(store.home, 'tmp'));
  if (bulk) {
    try {
      const r = await inTransaction(store, base, (importId) => bulkLoad(store, path, importId, bulk, opts, hashLater));
      if (r) return r;
      // The bulk result did not match our own parse: redo it the slow way, which is authoritative.
    } finally {
      bulk.cleanup();
    }
  }
  const r = await inTransaction(store, base, (importId) => (isParquet(path) ? importParquet(store, path, importId) : streamImport(store, path, importId, opts)));
  return r!;
}

interface Prior {
  import_id: number;
  format: string;
}

async function priorImport(store: Store, sha256: string): Promise<Prior | undefined> {
  const rows = await store.rows<Prior>('SELECT import_id, format FROM imports WHERE sha256 = $1', [sha256]);
  return rows[0];
}

async function seenPathAndSize(store: Store, path: string, size: number): Promise<boolean> {
  return (await store.rows('SELECT 1 FROM imports WHERE path = $1 AND size = $2', [path, size])).length > 0;
}

function alreadyImported(path: string, p: Prior, checksumVerified: boolean, started: number): ImportResult {
  return {
    path, status: 'already-imported', format: p.format, rows: 0, skipped: 0, skippedSamples: [], skippedByCode: {},
    firstTs: NaN, lastTs: NaN, importId: p.import_id, checksumVerified, seconds: (performance.now() - started) / 1000, method: 'none',
  };
}

interface Loaded {
  readonly method: ImportResult['method'];
  /** The file's sha256 when the load computed it on the way (else the caller hashes). */
  readonly sha256?: string;
  readonly format: string;
  readonly rows: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly skipped?: number;
  readonly skippedSamples?: readonly string[];
  readonly skippedByCode?: Readonly<Record<string, number>>;
  readonly warning?: string;
}

/**
 * One import in one transaction: begin, load (which may decline with undefined), record it in the
 * ledger, commit. Any error rolls everything back, so a failed file leaves no trace.
 */
async function inTransaction(
  store: Store,
  base: { path: string; checksumVerified: boolean; started: number; size: number; sha256: string | undefined },
  load: (importId: number) => Promise<Loaded | undefined>,
): Promise<ImportResult | undefined> {
  await store.run('BEGIN TRANSACTION');
  try {
    const [{ id }] = await store.rows<{ id: bigint }>("SELECT nextval('import_id_seq') AS id");
    const importId = Number(id);
    const r = await load(importId);
    if (!r) {
      await store.run('ROLLBACK');
      return undefined;
    }
    const skipped = r.skipped ?? 0;
    const sha256 = base.sha256 ?? r.sha256 ?? (await sha256File(base.path));
    if (base.sha256 === undefined) {
      // Hashed late: the same bytes may have been imported from another path.
      const prior = await priorImport(store, sha256);
      if (prior) {
        await store.run('ROLLBACK');
        return alreadyImported(base.path, prior, base.checksumVerified, base.started);
      }
    }
    await store.run(
      `INSERT INTO imports VALUES ($1, $2, $3, $4, $5, $6, $7, make_timestamp($8::BIGINT), make_timestamp($9::BIGINT), 'ok', now()::TIMESTAMP)`,
      [importId, base.path, base.size, sha256, r.format, r.rows, skipped, Math.round(r.firstTs * 1000), Math.round(r.lastTs * 1000)],
    );
    await store.run('COMMIT');
    return {
      path: base.path, status: 'imported', format: r.format, rows: r.rows, skipped,
      skippedSamples: r.skippedSamples ?? [], skippedByCode: r.skippedByCode ?? {}, firstTs: r.firstTs, lastTs: r.lastTs,
      importId, checksumVerified: base.checksumVerified, seconds: (performance.now() - base.started) / 1000, method: r.method,
      ...(r.warning === undefined ? {} : { warning: r.warning }),
    };
  } catch (e) {
    await store.run('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Parse every line of every entry of the file into `sink`, with file:line on every error. */
async function feedLines(
  path: string,
  size: number,
  opts: ImportOptions,
  sink: EventSink,
): Promise<{ formats: string[]; skipped: number; skippedSamples: string[]; skippedByCode: Record<string, number>; warning?: string }> {
  const formatIds = new Set<string>();
  let warning: string | undefined;
  let skipped = 0;
  const skippedSamples: string[] = [];
  const skippedByCode: Record<string, number> = {};
  let parsedRows = 0;
  let bytesBefore = 0;
  for await (const entry of openEntries(path)) {
    const where = entry.name === basename(path) ? path : `${path}!${entry.name}`;
    let parser: LineParser | undefined;
    let appendOnly = false;
    let entryBytes = 0;
    let lastLine = 0;
    try {
      for await (const batch of readLines(where, entry.stream, opts.maxLineChars)) {
        lastLine = batch.firstLineNo + batch.lines.length - 1;
        entryBytes = batch.bytes;
        for (let i = 0; i < batch.lines.length; i++) {
          const text = batch.lines[i];
          const lineNo = batch.firstLineNo + i;
          if (!parser) {
            if (text.trim() === '') continue;
            const format = chooseFormat(opts, where, entry.name, text);
            formatIds.add(format.id);
            appendOnly = format.appendOnlyLog === true;
            parser = format.createParser(parseContext(format, entry.name, opts));
          }
          try {
            parser.line(text, lineNo, sink);
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
        const bytes = entry.rawBytes ? entry.rawBytes() : progressBytes(entry.size, bytesBefore, batch.bytes, size);
        opts.onProgress?.({ bytes: Math.min(bytes, size), totalBytes: size, rows: parsedRows });
      }
    } catch (e) {
      // A recorder capture cut short by a crash: its complete lines are all good (recorder.ts
      // sync-flushes every second), the incomplete last one is dropped. Any other file: refused.
      if (!(e instanceof GzipEndsEarly && parser && appendOnly)) throw e;
      warning = `${where}: capture cut short (no gzip trailer: the recorder was stopped by a crash or kill -9); imported its ${lastLine} complete lines, an incomplete last line is dropped`;
    }
    if (parser?.end) {
      try {
        parser.end(sink);
      } catch (e) {
        if (e instanceof ParseError) e.at(`${where}:end`);
        throw e;
      }
    }
    bytesBefore += entryBytes;
  }
  return { formats: [...formatIds], skipped, skippedSamples, skippedByCode, ...(warning === undefined ? {} : { warning }) };
}

/** The general path: our parsers write columnar batches through DuckDB appenders. */
async function streamImport(store: Store, path: string, importId: number, opts: ImportOptions): Promise<Loaded> {
  const sink = await StoreSink.create(store.conn, importId);
  try {
    const fed = await feedLines(path, statSync(path).size, opts, new OrderGuard(sink));
    const rows = sink.finish();
    if (rows === 0) {
      if (fed.skipped > 0) throw new FileError('E_TOO_MANY_BAD_ROWS', path, `every row was bad (${fed.skipped} skipped); first: ${fed.skippedSamples[0]}`);
      throw new FileError('E_EMPTY', path, 'no data rows (empty, or a header only)');
    }
    return { method: 'stream', format: fed.formats.join('+'), rows, firstTs: sink.firstTs, lastTs: sink.lastTs, ...fed };
  } catch (e) {
    sink.abandon();
    throw e;
  }
}

/**
 * The bulk path for big trade archives: DuckDB loads the file on its worker threads (from the
 * Parquet segments our byte scanner writes, or with its own CSV reader: bulk-load.ts) while, at
 * the same time, our parser reads it through every check (formats, numbers, units, order,
 * duplicates) into a digest. The load is kept only when our parse found nothing
 * wrong and the digests agree (count, sells, time and id range, sums of price and qty);
 * otherwise the caller redoes the file on the streaming path, which gives the exact error.
 *
 * Why our scanner reads every row instead of DuckDB checking the rules in SQL: DuckDB's casts
 * accept what our parsers refuse (`+5`, `1e3`, `0x10`, `1_000`, `nan`, `t` as true, blank lines)
 * and round `5.6` in a BIGINT column to 6, so an exact check in SQL has to read ints as DOUBLE and
 * booleans as text, which measured ~0.3 CPU-s more per 2M rows against the scanner's ~0.16
 * (docs/BENCHMARKS.md, "Letting DuckDB check our rules").
 */
async function bulkLoad(store: Store, path: string, importId: number, plan: BulkPlan, opts: ImportOptions, hashOnTheWay: boolean): Promise<Loaded | undefined> {
  let digest: TradeDigestFields | undefined;
  let loaded: Promise<unknown> = Promise.resolve(undefined);
  let parseError: unknown;
  const hash = hashOnTheWay ? createHash('sha256') : undefined;
  /** Set when the scanner's digest stands (the line parsers did not have to judge the file). */
  let hashRest: (() => Promise<void>) | undefined;
  try {
    const total = statSync(path).size;
    const insert = (sql: string, params: readonly string[]) => store.run(sql, [...params, importId]);
    const r = await plan.load(insert, (bytes, rows) => opts.onProgress?.({ bytes: Math.min(bytes, total), totalBytes: total, rows }), hash);
    loaded = r.loaded;
    digest = r.digest;
    // Only the scanner's digest comes with the whole file hashed: when it gave up, so did the
    // hash of a plain file, and the caller hashes the file itself.
    if (digest) hashRest = r.hashRest;
    else {
      // The byte scanner gave up on something unusual: the line parsers decide (and name errors).
      const lines = new TradeDigest();
      await feedLines(path, statSync(path).size, { ...opts, format: plan.formatId }, new OrderGuard(lines));
      digest = lines.fields;
    }
  } catch (e) {
    parseError = e;
  }
  const loadError = await loaded;
  if (parseError) throw parseError;
  if (!digest || digest.count === 0) throw new FileError('E_EMPTY', path, 'no data rows (empty, or a header only)');
  if (loadError) return undefined;
  // The hash is finished beside the digest query, on the core that query leaves free.
  const hashing = hash && hashRest ? hashRest().then(() => hash.digest('hex')) : Promise.resolve(undefined);
  hashing.catch(() => {}); // awaited below, once no statement runs
  const [db] = await store.rows<DigestRow>(DIGEST_SQL, [importId]);
  const sha256 = await hashing;
  if (!digestMatches(digest, db)) return undefined;
  return { method: 'bulk', sha256, format: plan.formatId, rows: digest.count, firstTs: digest.minTs, lastTs: digest.maxTs };
}

function progressBytes(entrySize: number | undefined, before: number, done: number, fileSize: number): number {
  // Plain files: bytes read are file bytes. Zip: scale text bytes by the entry's ratio.
  if (entrySize === undefined) return Math.min(before + done, fileSize);
  return Math.min(fileSize, Math.round(((before + done) / Math.max(entrySize, 1)) * fileSize));
}

function parseContext(format: FileFormat, entryName: string, opts: ImportOptions): ParseContext {
  // --symbol may be spelled for any venue or be a bare asset (`AKT`): use this venue's spelling.
  const symbol = opts.symbol === undefined ? format.symbolFromName?.(entryName) : venueSymbol(opts.instruments, format.venue, opts.symbol);
  return { fileName: entryName, symbol, instruments: opts.instruments };
}
