/**
 * Bulk loading of the big trade archives (Binance aggTrades / trades, USD-M and spot): DuckDB
 * inserts the rows on its own threads while our byte scanner validates every byte, and the load
 * is kept only when the two agree (see importer.ts `bulkLoad`).
 *
 * Two routes feed DuckDB (`ORDERFLOW_BULK_ROUTE`). `parquet`, the default: the scanner also
 * writes each accepted row into typed columns, which go to uncompressed Parquet segments that
 * DuckDB inserts with read_parquet while the next segment is scanned (parquet-segments.ts), so
 * DuckDB parses nothing; on 2M trades that costs ~0.3 CPU-s less than `csv`, DuckDB's own CSV
 * reader parsing the same bytes again (docs/BENCHMARKS.md, "The Parquet route"). On the csv
 * route a zip's entry is inflated once, in CSV segments DuckDB loads while the next is inflated
 * and scanned, and each SQL mapping mirrors the format's LineParser exactly (aggressor side from
 * is_buyer_maker, timestamp unit from the value's magnitude). Either way the digest comparison
 * turns any disagreement into a fallback to the streaming path, never into bad data. Which
 * formats qualify, their columns and their byte scanner are the format's own declaration
 * (FileFormat.bulkTrades).
 */
import type { Hash } from 'node:crypto';
import { closeSync, createReadStream, openSync, statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { FileError, ParseError } from '../core/errors.ts';
import type { DepthBandRecord, KlineRecord, MarketEvent, Side, TickerFields, Venue } from '../core/events.ts';
import type { BulkTradeCsv, EventSink, FileFormat, TradeArchiveByteScanner, TradeDigestFields } from '../core/format.ts';
import { venueSymbol, type InstrumentRegistry } from '../core/instruments.ts';
import { chooseFormat, peekFirstLine } from './detect.ts';
import { ParquetSegments } from './parquet-segments.ts';
import { CAN_WRITE_PARQUET } from './parquet-writer.ts';
import { isGzip, isZip, openEntries, readError, type Entry } from './read-source.ts';
import { SerialSegmentInserts } from './serial-segment-inserts.ts';
import { removeStaleTmp } from './tmp-files.ts';
import { openZip, type ZipArchive } from './zip-entries.ts';

const NL = 10;

/** What a bulk load needs of the import's options. */
export interface BulkLoadOptions {
  readonly formats: readonly FileFormat[];
  readonly instruments: InstrumentRegistry;
  readonly format?: string;
  readonly symbol?: string;
  readonly skipBadRows?: boolean;
}

/** Runs one statement in the import's transaction (the import id is appended to `params`). */
export type Insert = (sql: string, params: readonly string[]) => Promise<void>;

/**
 * How DuckDB gets the rows, `ORDERFLOW_BULK_ROUTE`: `parquet` (default: the scanner's typed
 * columns in Parquet segments, nothing left for DuckDB to parse; parquet-segments.ts) or `csv`
 * (DuckDB's read_csv parses the same bytes again; also on a big-endian machine, where the
 * Parquet writer cannot copy typed arrays as they are). docs/BENCHMARKS.md compares the two.
 */
export type BulkRoute = 'parquet' | 'csv';

export function bulkRoute(): BulkRoute {
  return process.env.ORDERFLOW_BULK_ROUTE === 'csv' || !CAN_WRITE_PARQUET ? 'csv' : 'parquet';
}

/** Segments of a file handed to DuckDB while the next is read (CSV text, or Parquet columns). */
export interface SegmentLoader {
  /** DuckDB's first error; no segment is loaded after it. */
  readonly failed: unknown;
  /** Whether the raw bytes are still loaded after the scanner gave up (CSV: yes). */
  readonly needsBytes: boolean;
  /** After the scanner saw `chunk`: take it (CSV), load what is complete. */
  write(chunk: Buffer, insert: Insert): Promise<void>;
  /** Load the rest; resolves when DuckDB finished every segment (its error, or undefined). */
  finish(insert: Insert): Promise<unknown>;
  /** Wait for the statement in flight. */
  settle(): Promise<void>;
  removeAll(): void;
}

export interface BulkLoaded {
  /** The byte scanner's digest, or undefined when it gave up: the line parsers must judge the file. */
  readonly digest: TradeDigestFields | undefined;
  /** Settles when DuckDB's load ended: with its error, or undefined when every row is in. */
  readonly loaded: Promise<unknown>;
  /**
   * Feed the load's `hash` what it has not seen yet (a zip: the whole file, in a read of its own;
   * a plain file: nothing, its bytes were hashed as they were scanned). The importer calls it
   * once DuckDB has every row, beside the digest query: that query runs on one DuckDB thread,
   * the main thread waits, and the hash then costs the busy middle of the load nothing.
   */
  hashRest(): Promise<void>;
}

export interface BulkPlan {
  readonly formatId: string;
  /**
   * Load the file with DuckDB's CSV reader while the byte scanner validates the same bytes. A
   * parse error (a line past the cap, a corrupt archive) is thrown only once no statement runs.
   * `hash` is fed every byte of the file once `hashRest()` of the result settles (a plain file's
   * bytes as they are scanned; a zip's in a read of their own after the scan).
   */
  load(insert: Insert, onChunk?: (bytes: number, rows: number) => void, hash?: Hash): Promise<BulkLoaded>;
  /** Remove what loading created (a zip's segments). */
  cleanup(): void;
}

/**
 * µs since the epoch from the archive's ms (13 digits) or µs (16 digits, spot since 2025) times,
 * the two units the byte scanner accepts. Seconds or nanoseconds (accepted by the line parsers
 * when the scanner gives up) come out wrong here, so the digest check sends such a file down the
 * streaming path.
 */
function microsFrom(col: string): string {
  return `CASE WHEN ${col} < 100000000000000 THEN ${col} * 1000 ELSE ${col} END`;
}

/**
 * A bulk plan when the file is a CSV of a bulk-capable format with a known symbol (plain, gzip, or
 * a zip holding one such CSV, loaded in segments written to `tmpDir`), and every row must be kept
 * (no --skip-bad-rows); otherwise undefined (streaming path).
 */
export async function planBulkLoad(path: string, opts: BulkLoadOptions, tmpDir: string): Promise<BulkPlan | undefined> {
  // What an import killed mid-zip left behind goes before this process adds its own.
  if (!swept.has(tmpDir)) {
    swept.add(tmpDir);
    removeStaleTmp(tmpDir);
  }
  if (opts.skipBadRows) return undefined;
  if (isZip(path)) return planZip(path, opts, tmpDir);
  if (!/\.csv(\.gz)?$/i.test(path)) return undefined;
  const first = await peekFirstLine(path);
  if (first === undefined) return undefined;
  const name = isGzip(path) ? basename(path).slice(0, -3) : basename(path);
  const spec = bulkSpec(opts, path, name, first);
  if (!spec) return undefined;
  if (bulkRoute() === 'parquet') {
    // The scanner fills the segments' columns; after each chunk, DuckDB is handed what is complete.
    const segments = new ParquetSegments(tmpDir, spec.venue, spec.symbol);
    return {
      formatId: spec.formatId,
      async load(insert, onChunk, hash) {
        try {
          const digest = await scanFile(path, spec.scanner(segments), onChunk, hash, () => segments.loadReady(insert));
          return { digest, loaded: digest ? segments.finish(insert) : segments.settle().then(() => segments.failed), hashRest: hashed };
        } catch (e) {
          await segments.settle();
          throw e;
        }
      },
      cleanup: () => segments.removeAll(),
    };
  }
  const sql = bulkSql(spec, spec.header !== undefined && first === spec.header);
  return {
    formatId: spec.formatId,
    async load(insert, onChunk, hash) {
      const loaded = insert(sql, [spec.venue, spec.symbol, path]).then(() => undefined, (e: unknown) => e);
      try {
        return { digest: await scanFile(path, spec.scanner(), onChunk, hash), loaded, hashRest: hashed };
      } catch (e) {
        await loaded;
        throw e;
      }
    },
    cleanup: () => {},
  };
}

interface ChosenSpec extends BulkTradeCsv {
  readonly formatId: string;
  readonly venue: Venue;
  readonly symbol: string;
}

/** The bulk spec and symbol for a file whose line 1 is `first`, when it is bulk-capable. */
function bulkSpec(opts: BulkLoadOptions, where: string, name: string, first: string): ChosenSpec | undefined {
  const format = bulkFormat(opts, where, name, first);
  if (!format) return undefined;
  const spec = format.bulkTrades!;
  const symbol = opts.symbol === undefined ? format.symbolFromName?.(name) : venueSymbol(opts.instruments, format.venue, opts.symbol);
  if (symbol === undefined) return undefined;
  return { ...spec, formatId: format.id, venue: format.venue, symbol };
}

/** DuckDB's read_csv of the file $3 into trades, mapped as the format's LineParser maps it. */
function bulkSql(spec: BulkTradeCsv, header: boolean): string {
  const columns = spec.columns.map(([n, t]) => `'${n}': '${t}'`).join(', ');
  return `INSERT INTO trades
    SELECT $1::venue_t, $2, make_timestamp(${microsFrom(spec.time)}), NULL, ${spec.price}, ${spec.qty},
           CASE WHEN ${spec.buyerIsMaker} THEN 'sell' ELSE 'buy' END::side_t, ${spec.id}, NULL, $4
    FROM read_csv($3, header = ${header}, delim = ',', quote = '', escape = '', auto_detect = false,
                  strict_mode = true, columns = {${columns}})`;
}

/**
 * Run the byte scanner over a plain or gzip file; undefined when it gives up. `hash`, for a plain
 * file, is fed the same bytes (the importer then needs no separate hashing pass).
 */
async function scanFile(
  path: string,
  scanner: TradeArchiveByteScanner,
  onChunk?: (bytes: number, rows: number) => void,
  hash?: Hash,
  afterChunk?: () => Promise<void>,
): Promise<TradeDigestFields | undefined> {
  let done = 0;
  try {
    for await (const entry of openEntries(path)) {
      for await (const chunk of entry.stream as AsyncIterable<Buffer>) {
        hash?.update(chunk);
        scanner.push(chunk);
        if (!scanner.ok) {
          entry.stream.destroy();
          if (scanner.tooLongLine !== undefined) throw lineTooLong(`${entry.name === basename(path) ? path : `${path}!${entry.name}`}:${scanner.tooLongLine}`, scanner.maxLineBytes);
          return undefined;
        }
        if (afterChunk) await afterChunk();
        done = entry.rawBytes ? entry.rawBytes() : done + chunk.length;
        onChunk?.(done, scanner.rows);
      }
    }
  } catch (e) {
    throw e instanceof ParseError ? e : readError(path, e);
  }
  return scanner.end();
}

/** The detected (or forced) format when it is bulk-capable; errors are left to the streaming path. */
function bulkFormat(opts: BulkLoadOptions, where: string, name: string, firstLine: string): FileFormat | undefined {
  try {
    const format = chooseFormat(opts, where, name, firstLine);
    return format.bulkTrades ? format : undefined;
  } catch {
    return undefined;
  }
}

/** The tmp folders already cleared of dead imports' files by this process. */
const swept = new Set<string>();

/**
 * Segment size, `ORDERFLOW_ZIP_SEGMENT_MB` (default 32): each INSERT costs DuckDB a start and
 * leaves its last row group part-filled, so 16 MB segments measured ~10% more CPU and ~60 MB
 * more peak RSS on 2M rows than 32 or 48 MB; two segments on disk at once bound the tmp space.
 */
function segmentBytes(): number {
  const mb = Number(process.env.ORDERFLOW_ZIP_SEGMENT_MB ?? 32);
  return (Number.isFinite(mb) && mb > 0 ? mb : 32) * (1 << 20);
}

/**
 * A zip holding exactly one CSV of a bulk-capable format (as data.binance.vision publishes
 * them). Anything else, or any read error before the load starts, is left to the streaming
 * path, which reports it.
 */
async function planZip(path: string, opts: BulkLoadOptions, tmpDir: string): Promise<BulkPlan | undefined> {
  let archive: ZipArchive;
  try {
    archive = await openZip(path);
  } catch {
    return undefined;
  }
  if (archive.entryCount !== 1) {
    archive.close();
    return undefined; // several files: the streaming path reads each
  }
  const entries = archive.entries();
  let entry: Entry | undefined;
  try {
    const next = await entries.next();
    if (next.done) return undefined;
    entry = next.value;
    const chunks = (entry.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const head = await chunks.next();
    if (head.done) return undefined;
    const nl = head.value.indexOf(NL);
    const first = head.value.toString('utf8', 0, nl < 0 ? Math.min(head.value.length, 1024) : nl).replace(/\r$/, '');
    const spec = bulkSpec(opts, path, entry.name, first);
    if (!spec) return undefined;
    const open: OpenEntry = { entry, chunks, head: head.value };
    const parquet = bulkRoute() === 'parquet' ? new ParquetSegments(tmpDir, spec.venue, spec.symbol) : undefined;
    const segments: SegmentLoader = parquet ?? new CsvSegments(tmpDir, spec, spec.header !== undefined && first === spec.header, segmentBytes());
    entry = undefined; // the plan owns it now
    return {
      formatId: spec.formatId,
      load: async (insert, onChunk, hash) => ({
        ...(await loadZipEntry(path, open, spec.scanner(parquet), segments, insert, onChunk)),
        hashRest: hash ? () => hashFile(path, hash) : hashed,
      }),
      cleanup: () => {
        open.entry.stream.destroy();
        void entries.return(undefined);
        segments.removeAll();
      },
    };
  } catch {
    return undefined;
  } finally {
    if (entry) {
      entry.stream.destroy();
      void entries.return(undefined);
    }
  }
}

interface OpenEntry {
  readonly entry: Entry;
  readonly chunks: AsyncIterator<Buffer>;
  readonly head: Buffer;
}

/**
 * The entry's text cut at line ends into files of about `size` bytes, each loaded by one INSERT
 * as soon as it is complete (serial-segment-inserts.ts, shared with the Parquet route).
 */
class CsvSegments implements SegmentLoader {
  readonly needsBytes = true;
  private fd: number | undefined;
  private file: string | undefined;
  private bytes = 0;
  private readonly inserts: SerialSegmentInserts;

  constructor(
    tmpDir: string,
    private readonly spec: BulkTradeCsv & { readonly venue: string; readonly symbol: string },
    private readonly header: boolean,
    private readonly size: number,
  ) {
    this.inserts = new SerialSegmentInserts(tmpDir, spec.venue, spec.symbol);
  }

  /** DuckDB's first error; no segment is loaded after it. */
  get failed(): unknown {
    return this.inserts.failed;
  }

  /** Append a chunk; when the segment is full, load it (cut at the chunk's last line end). */
  async write(chunk: Buffer, insert: Insert): Promise<void> {
    if (this.bytes + chunk.length >= this.size) {
      const cut = chunk.lastIndexOf(NL) + 1;
      if (cut > 0) {
        this.append(chunk.subarray(0, cut));
        await this.loadCurrent(insert);
        if (cut < chunk.length) this.append(chunk.subarray(cut));
        return;
      }
    }
    this.append(chunk);
  }

  /** Load the last segment; resolves when DuckDB finished every segment (its error, or undefined). */
  async finish(insert: Insert): Promise<unknown> {
    if (this.fd !== undefined) await this.loadCurrent(insert);
    return this.inserts.finish();
  }

  settle(): Promise<void> {
    return this.inserts.settle();
  }

  removeAll(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.inserts.removeAll();
  }

  private append(part: Buffer): void {
    if (this.fd === undefined) {
      this.file = this.inserts.newFile('csv');
      this.fd = openSync(this.file, 'w', 0o600);
      this.bytes = 0;
    }
    writeSync(this.fd, part);
    this.bytes += part.length;
  }

  private async loadCurrent(insert: Insert): Promise<void> {
    closeSync(this.fd!);
    this.fd = undefined;
    // Only the first segment starts with the header line.
    await this.inserts.load(insert, bulkSql(this.spec, this.inserts.files === 1 && this.header), this.file!);
  }
}

/**
 * Inflate the zip's entry into segments for DuckDB and into the byte scanner, chunk by chunk. A
 * line past the scanner's cap (maxLineBytes) fails at once with file:line; bytes past the entry's declared size
 * fail as a zip bomb (zip-entries.ts). When the scanner gives up on a row, the rest is still
 * loaded, and the line parsers judge the file afterwards, as for a plain CSV. Once DuckDB failed
 * there is nothing left to load: the line parsers judge the file.
 */
async function loadZipEntry(
  path: string,
  open: OpenEntry,
  scanner: TradeArchiveByteScanner,
  segments: SegmentLoader,
  insert: Insert,
  onChunk?: (bytes: number, rows: number) => void,
): Promise<Omit<BulkLoaded, 'hashRest'>> {
  const where = `${path}!${open.entry.name}`;
  // Progress in file bytes, from inflated bytes and the entry's compression ratio.
  const ratio = statSync(path).size / Math.max(open.entry.size ?? 1, 1);
  let inflated = 0;
  try {
    for (let chunk: Buffer | undefined = open.head; chunk; chunk = await nextChunk(open.chunks)) {
      if (scanner.ok) {
        scanner.push(chunk);
        if (scanner.tooLongLine !== undefined) throw lineTooLong(`${where}:${scanner.tooLongLine}`, scanner.maxLineBytes);
      }
      // Gave up with segments of columns: nothing more can be loaded, the line parsers judge.
      if (!scanner.ok && !segments.needsBytes) {
        await segments.settle();
        return { digest: undefined, loaded: Promise.resolve(segments.failed) };
      }
      await segments.write(chunk, insert);
      if (segments.failed !== undefined) return { digest: undefined, loaded: Promise.resolve(segments.failed) };
      inflated += chunk.length;
      onChunk?.(Math.round(inflated * ratio), scanner.rows);
    }
    return { digest: scanner.end(), loaded: segments.finish(insert) };
  } catch (e) {
    await segments.settle();
    throw e instanceof ParseError ? e : readError(path, e);
  }
}

/** hashRest of a load whose bytes were all hashed on the way (or that has no hash). */
const hashed = (): Promise<void> => Promise.resolve();

/**
 * Feed `hash` the whole file from a read of its own: the zip's sha256 for the ledger. Neither
 * before the load (~25 ms of one core on a 23 MB zip while the other waited) nor beside it (~15 ms
 * of the main thread while both cores were busy) but after it, beside the digest query, when a
 * core is free (docs/BENCHMARKS.md, "Zip: less work in the busy middle"). 4 MiB reads on libuv's
 * pool: 6 for a 23 MB zip.
 */
function hashFile(path: string, hash: Hash): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = createReadStream(path, { highWaterMark: 4 << 20 });
    stream.on('data', (chunk) => hash.update(chunk as Buffer));
    stream.on('end', resolve);
    stream.on('error', (e) => reject(new FileError('E_IO', path, e.message)));
  });
}

async function nextChunk(chunks: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
  const r = await chunks.next();
  return r.done ? undefined : r.value;
}

function lineTooLong(where: string, maxLineBytes: number): ParseError {
  return new ParseError('E_LINE_TOO_LONG', `line is longer than ${maxLineBytes} bytes (no row of this format is that long): not a trade archive, or a corrupt one`, undefined, undefined, where);
}

export interface DigestRow {
  n: bigint;
  sells: bigint;
  min_us: bigint | null;
  max_us: bigint | null;
  min_id: bigint | null;
  max_id: bigint | null;
  sum_price: number | null;
  sum_qty: number | null;
}

/**
 * What DuckDB holds of one import, to compare with the scanner's digest. It runs on one DuckDB
 * thread at the very end of the load (over the transaction's own rows), so every ms of it is
 * wall time: the sells are counted against the enum value (`'sell'::side_t`, one byte compare
 * per row) rather than the text 'sell' (5 - 10 ms more of that thread on 2M rows).
 */
export const DIGEST_SQL = `SELECT count(*) AS n, count(*) FILTER (WHERE side = 'sell'::side_t) AS sells,
  epoch_us(min(ts)) AS min_us, epoch_us(max(ts)) AS max_us, min(trade_id) AS min_id, max(trade_id) AS max_id,
  fsum(price) AS sum_price, fsum(qty) AS sum_qty FROM trades WHERE import_id = $1`;

/** Whether DuckDB loaded what our parser saw: exact counts, times and ids; sums to 1e-9. */
export function digestMatches(ours: TradeDigestFields, db: DigestRow): boolean {
  const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return (
    Number(db.n) === ours.count &&
    Number(db.sells) === ours.sells &&
    Number(db.min_us) === Math.round(ours.minTs * 1000) &&
    Number(db.max_us) === Math.round(ours.maxTs * 1000) &&
    Number(db.min_id) === ours.minId &&
    Number(db.max_id) === ours.maxId &&
    close(db.sum_price, ours.sumPrice) &&
    close(db.sum_qty, ours.sumQty)
  );
}

/** What the line parsers saw, to compare with what DuckDB loaded. Accepts trades only. */
export class TradeDigest implements EventSink {
  readonly fields: TradeDigestFields = { count: 0, sells: 0, minTs: Infinity, maxTs: -Infinity, minId: Infinity, maxId: -Infinity, sumPrice: 0, sumQty: 0 };
  private readonly sumPrice = new KahanSum();
  private readonly sumQty = new KahanSum();

  trade(_venue: Venue, _symbol: string, ts: number, _localTs: number, price: number, qty: number, side: Side, id: string): void {
    const d = this.fields;
    d.count++;
    if (side === 'sell') d.sells++;
    if (ts < d.minTs) d.minTs = ts;
    if (ts > d.maxTs) d.maxTs = ts;
    const n = +id;
    if (n < d.minId) d.minId = n;
    if (n > d.maxId) d.maxId = n;
    d.sumPrice = this.sumPrice.add(price);
    d.sumQty = this.sumQty.add(qty);
  }

  private unexpected(): never {
    throw new Error('bulk load: a trade-archive format produced a non-trade row');
  }
  liquidation(): void {
    this.unexpected();
  }
  bookLevel(): void {
    this.unexpected();
  }
  ticker(_v: Venue, _s: string, _t: number, _l: number, _f: Readonly<TickerFields>): void {
    this.unexpected();
  }
  kline(_r: KlineRecord): void {
    this.unexpected();
  }
  depthBand(_r: DepthBandRecord): void {
    this.unexpected();
  }
  event(_e: MarketEvent): void {
    this.unexpected();
  }
}

/** Compensated summation, so the comparison with DuckDB's fsum is not blurred by rounding. */
class KahanSum {
  private sum = 0;
  private c = 0;
  /** Add x; returns the running sum. */
  add(x: number): number {
    const y = x - this.c;
    const t = this.sum + y;
    this.c = t - this.sum - y;
    this.sum = t;
    return t;
  }
}
