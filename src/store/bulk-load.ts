/**
 * Bulk loading of the big trade archives (Binance aggTrades / trades, USD-M and spot) through
 * DuckDB's own CSV reader, cross-checked against our parser (see importer.ts `bulkLoad`).
 *
 * Why: the appender path costs a JS->native round trip per column batch plus DuckDB's append,
 * all on the main thread; DuckDB's reader parses and inserts on its own threads while our parser
 * validates the same bytes. Each SQL mapping below mirrors the format's LineParser exactly
 * (aggressor side from is_buyer_maker, timestamp unit from the value's magnitude); the digest
 * comparison turns any disagreement into a fallback to the streaming path, never into bad data.
 */
import type { Hash } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DepthBandRecord, KlineRecord, MarketEvent, Side, TickerFields, Venue } from '../core/events.ts';
import type { EventSink, FileFormat } from '../core/format.ts';
import { venueSymbol } from '../core/instruments.ts';
import { TradeArchiveScanner, type TradeArchiveLayout, type TradeDigestFields } from '../venues/binance/trade-archive-scan.ts';
import { chooseFormat, peekFirstLine } from './detect.ts';
import type { ImportOptions } from './importer.ts';
import { isGzip, isZip, openEntries, readError } from './read-source.ts';

interface BulkSpec {
  readonly venue: Venue;
  readonly layout: TradeArchiveLayout;
  readonly spot: boolean;
  /** The archive's header row, when the layout has one (USD-M); spot archives have none. */
  readonly header: string | undefined;
  /** read_csv column name -> DuckDB type, in file order. */
  readonly columns: readonly (readonly [string, string])[];
  readonly id: string;
  readonly price: string;
  readonly qty: string;
  readonly time: string;
  readonly buyerIsMaker: string;
}

const AGG_COLS = [['agg_trade_id', 'BIGINT'], ['price', 'DOUBLE'], ['quantity', 'DOUBLE'], ['first_trade_id', 'BIGINT'], ['last_trade_id', 'BIGINT'], ['transact_time', 'BIGINT'], ['is_buyer_maker', 'BOOLEAN']] as const;
const TRADE_COLS = [['id', 'BIGINT'], ['price', 'DOUBLE'], ['qty', 'DOUBLE'], ['quote_qty', 'DOUBLE'], ['time', 'BIGINT'], ['is_buyer_maker', 'BOOLEAN']] as const;
const AGG = { id: 'agg_trade_id', price: 'price', qty: 'quantity', time: 'transact_time', buyerIsMaker: 'is_buyer_maker' } as const;
const TRADE = { id: 'id', price: 'price', qty: 'qty', time: 'time', buyerIsMaker: 'is_buyer_maker' } as const;

const SPECS: Readonly<Record<string, BulkSpec>> = {
  'binance-um-aggTrades': { venue: 'binance', layout: 'aggTrades', spot: false, header: AGG_COLS.map((c) => c[0]).join(','), columns: AGG_COLS, ...AGG },
  'binance-um-trades': { venue: 'binance', layout: 'trades', spot: false, header: TRADE_COLS.map((c) => c[0]).join(','), columns: TRADE_COLS, ...TRADE },
  'binance-spot-aggTrades': { venue: 'binance-spot', layout: 'aggTrades', spot: true, header: undefined, columns: [...AGG_COLS, ['is_best_match', 'BOOLEAN']], ...AGG },
  'binance-spot-trades': { venue: 'binance-spot', layout: 'trades', spot: true, header: undefined, columns: [...TRADE_COLS, ['is_best_match', 'BOOLEAN']], ...TRADE },
};

export interface BulkPlan {
  readonly formatId: string;
  /** The CSV to read: the file itself, or a zip's entry extracted to a temporary file. */
  readonly source: string;
  /** Remove what planning created (the extracted file). */
  cleanup(): void;
  /**
   * Validate the CSV with the byte scanner: its digest, or undefined when the scanner gave up
   * (the line parsers must then judge the file). A zip's entry was scanned while it was extracted.
   */
  scan(onChunk?: (bytes: number, rows: number) => void, hash?: Hash): Promise<TradeDigestFields | undefined>;
  readonly sql: string;
  /** $1 venue, $2 symbol, $3 source; the import id is appended as $4. */
  readonly params: readonly [string, string, string];
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
 * a zip holding one such CSV, which is first extracted into `tmpDir`), and every row must be kept
 * (no --skip-bad-rows); otherwise undefined (streaming path).
 */
export async function planBulkLoad(path: string, opts: ImportOptions, tmpDir: string): Promise<BulkPlan | undefined> {
  if (opts.skipBadRows) return undefined;
  if (isZip(path)) {
    const entry = await extractBulkEntry(path, opts, tmpDir);
    if (!entry) return undefined;
    const plan = await planFor(entry.file, entry.name, opts);
    if (!plan) {
      rmSync(entry.file, { force: true });
      return undefined;
    }
    return { ...plan, scan: async () => entry.digest, cleanup: () => rmSync(entry.file, { force: true }) };
  }
  if (!/\.csv(\.gz)?$/i.test(path)) return undefined;
  return planFor(path, isGzip(path) ? basename(path).slice(0, -3) : basename(path), opts);
}

async function planFor(source: string, name: string, opts: ImportOptions): Promise<BulkPlan | undefined> {
  const first = await peekFirstLine(source);
  if (first === undefined) return undefined;
  const format = bulkFormat(opts, source, name, first);
  if (!format) return undefined;
  const spec = SPECS[format.id];
  const symbol = opts.symbol === undefined ? format.symbolFromName?.(name) : venueSymbol(opts.instruments, format.venue, opts.symbol);
  if (symbol === undefined) return undefined;
  const header = spec.header !== undefined && first === spec.header;
  const columns = spec.columns.map(([n, t]) => `'${n}': '${t}'`).join(', ');
  const sql = `INSERT INTO trades
    SELECT $1::venue_t, $2, make_timestamp(${microsFrom(spec.time)}), NULL, ${spec.price}, ${spec.qty},
           CASE WHEN ${spec.buyerIsMaker} THEN 'sell' ELSE 'buy' END::side_t, ${spec.id}, NULL, $4
    FROM read_csv($3, header = ${header}, delim = ',', quote = '', escape = '', auto_detect = false,
                  strict_mode = true, columns = {${columns}})`;
  return {
    formatId: format.id, source, sql, params: [spec.venue, symbol, source],
    scan: (onChunk, hash) => scanFile(source, new TradeArchiveScanner(spec.layout, spec.spot, spec.header), onChunk, hash),
    cleanup: () => {},
  };
}

/**
 * Run the byte scanner over a plain or gzip file; undefined when it gives up. `hash`, for a plain
 * file, is fed the same bytes (the importer then needs no separate hashing pass).
 */
async function scanFile(path: string, scanner: TradeArchiveScanner, onChunk?: (bytes: number, rows: number) => void, hash?: Hash): Promise<TradeDigestFields | undefined> {
  let done = 0;
  try {
    for await (const entry of openEntries(path)) {
      for await (const chunk of entry.stream as AsyncIterable<Buffer>) {
        hash?.update(chunk);
        scanner.push(chunk);
        if (!scanner.ok) {
          entry.stream.destroy();
          return undefined;
        }
        done = entry.rawBytes ? entry.rawBytes() : done + chunk.length;
        onChunk?.(done, scanner.rows);
      }
    }
  } catch (e) {
    throw readError(path, e);
  }
  return scanner.end();
}

/** The detected (or forced) format when it is bulk-capable; errors are left to the streaming path. */
function bulkFormat(opts: ImportOptions, where: string, name: string, firstLine: string): FileFormat | undefined {
  try {
    const format = chooseFormat(opts, where, name, firstLine);
    return SPECS[format.id] ? format : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A zip holding exactly one CSV of a bulk-capable format (as data.binance.vision publishes
 * them): its text extracted to a file in tmpDir. Anything else, or any read error, is left to
 * the streaming path, which reports it.
 */
async function extractBulkEntry(path: string, opts: ImportOptions, tmpDir: string): Promise<{ file: string; name: string; digest: TradeDigestFields | undefined } | undefined> {
  let file: string | undefined;
  let name: string | undefined;
  let scanner: TradeArchiveScanner | undefined;
  try {
    for await (const entry of openEntries(path)) {
      if (file !== undefined) throw new Error('more than one entry'); // several files: stream them
      const chunks = entry.stream as AsyncIterable<Buffer>;
      const it = chunks[Symbol.asyncIterator]();
      const head = await it.next();
      if (head.done) return undefined;
      const firstLine = head.value.subarray(0, Math.max(0, head.value.indexOf(10))).toString('utf8').replace(/\r$/, '');
      const format = bulkFormat(opts, path, entry.name, firstLine);
      if (!format) {
        entry.stream.destroy();
        return undefined;
      }
      const spec = SPECS[format.id];
      // Validate while extracting: the bytes are in memory once either way.
      const sc = (scanner = new TradeArchiveScanner(spec.layout, spec.spot, spec.header));
      mkdirSync(tmpDir, { recursive: true });
      name = entry.name;
      file = join(tmpDir, `${process.pid}-${Date.now()}-${basename(entry.name)}`);
      const out = createWriteStream(file);
      const rest = (async function* () {
        sc.push(head.value);
        yield head.value;
        for (let r = await it.next(); !r.done; r = await it.next()) {
          sc.push(r.value);
          yield r.value;
        }
      })();
      await pipeline(Readable.from(rest), out);
    }
  } catch {
    if (file) rmSync(file, { force: true });
    return undefined;
  }
  return file && name && scanner ? { file, name, digest: scanner.end() } : undefined;
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

export const DIGEST_SQL = `SELECT count(*) AS n, count(*) FILTER (WHERE side = 'sell') AS sells,
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
