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
import { basename } from 'node:path';
import type { DepthBandRecord, KlineRecord, MarketEvent, Side, TickerFields, Venue } from '../core/events.ts';
import type { EventSink } from '../core/format.ts';
import { venueSymbol } from '../core/instruments.ts';
import { TradeArchiveScanner, type TradeArchiveLayout, type TradeDigestFields } from '../venues/binance/trade-archive-scan.ts';
import { chooseFormat, peekFirstLine } from './detect.ts';
import type { ImportOptions } from './importer.ts';
import { isGzip, isZip } from './read-source.ts';

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
  /** A byte scanner that validates the file without the line parsers, when the file is plain. */
  scanner(): TradeArchiveScanner;
  readonly sql: string;
  /** $1 venue, $2 symbol, $3 path; the import id is appended as $4. */
  readonly params: readonly [string, string, string];
}

/** µs since the epoch from an integer whose unit is read from its magnitude (as epochMsAnyUnit). */
function microsFrom(col: string): string {
  return `CASE WHEN ${col} < 100000000000 THEN ${col} * 1000000 WHEN ${col} < 100000000000000 THEN ${col} * 1000
          WHEN ${col} < 100000000000000000 THEN ${col} ELSE round(${col} / 1000)::BIGINT END`;
}

/**
 * A bulk plan when the file is a plain or gzip CSV of a bulk-capable format with a known symbol,
 * and every row must be kept (no --skip-bad-rows); otherwise undefined (streaming path).
 */
export async function planBulkLoad(path: string, opts: ImportOptions): Promise<BulkPlan | undefined> {
  if (opts.skipBadRows || isZip(path) || !/\.csv(\.gz)?$/i.test(path)) return undefined;
  const first = await peekFirstLine(path);
  if (first === undefined) return undefined;
  const name = isGzip(path) ? basename(path).slice(0, -3) : basename(path);
  let formatId: string;
  let symbol: string | undefined;
  try {
    const format = chooseFormat(opts, path, name, first);
    formatId = format.id;
    symbol = opts.symbol === undefined ? format.symbolFromName?.(name) : venueSymbol(opts.instruments, format.venue, opts.symbol);
  } catch {
    return undefined; // the streaming path raises the proper error
  }
  const spec = SPECS[formatId];
  if (!spec || symbol === undefined) return undefined;
  const header = spec.header !== undefined && first === spec.header;
  const columns = spec.columns.map(([n, t]) => `'${n}': '${t}'`).join(', ');
  const sql = `INSERT INTO trades
    SELECT $1::venue_t, $2, make_timestamp(${microsFrom(spec.time)}), NULL, ${spec.price}, ${spec.qty},
           CASE WHEN ${spec.buyerIsMaker} THEN 'sell' ELSE 'buy' END::side_t, ${spec.id}, NULL, $4
    FROM read_csv($3, header = ${header}, delim = ',', quote = '', escape = '', auto_detect = false,
                  strict_mode = true, columns = {${columns}})`;
  return { formatId, sql, params: [spec.venue, symbol, path], scanner: () => new TradeArchiveScanner(spec.layout, spec.spot, spec.header) };
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
