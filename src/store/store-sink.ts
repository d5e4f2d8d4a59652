/**
 * EventSink that writes rows into DuckDB through one appender per table, in the connection's
 * open transaction (the importer begins and commits or rolls back around it).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DepthBandRecord, KlineRecord, MarketEvent, Side, TickerFields, Venue } from '../core/events.ts';
import type { EventSink } from '../core/format.ts';
import { ParseError } from '../core/errors.ts';
import { ColumnBatch, isUuid, SIDE_CODE, VENUE_CODE, writeUuid, type ColumnSpec } from './column-batch.ts';
import type { DataTable } from './schema.ts';

const c = (name: string, kind: ColumnSpec['kind']): ColumnSpec => ({ name, kind });
const HEAD = [c('venue', 'venue'), c('symbol', 'varchar'), c('ts', 'ts'), c('local_ts', 'ts')];

/** Column order of each table, as created in schema.ts. */
export const TABLE_COLUMNS: Record<DataTable, readonly ColumnSpec[]> = {
  trades: [...HEAD, c('price', 'double'), c('qty', 'double'), c('side', 'side'), c('trade_id', 'bigint'), c('trade_uuid', 'uuid'), c('import_id', 'int')],
  liquidations: [...HEAD, c('price', 'double'), c('qty', 'double'), c('side', 'side'), c('liq_id', 'varchar'), c('import_id', 'int')],
  book: [...HEAD, c('msg', 'bigint'), c('is_snapshot', 'bool'), c('side', 'side'), c('price', 'double'), c('qty', 'double'), c('seq', 'double'), c('import_id', 'int')],
  tickers: [
    ...HEAD,
    ...['mark_price', 'index_price', 'last_price', 'funding_rate'].map((n) => c(n, 'double')),
    c('next_funding_ts', 'ts'),
    ...['open_interest', 'open_interest_value', 'best_bid', 'best_bid_qty', 'best_ask', 'best_ask_qty', 'long_short_ratio', 'top_trader_account_ratio', 'top_trader_position_ratio', 'taker_buy_sell_ratio'].map((n) => c(n, 'double')),
    c('import_id', 'int'),
  ],
  klines: [
    c('venue', 'venue'), c('symbol', 'varchar'), c('kind', 'varchar'), c('interval', 'varchar'),
    c('open_time', 'ts'), c('close_time', 'ts'),
    ...['open', 'high', 'low', 'close', 'volume', 'quote_volume'].map((n) => c(n, 'double')),
    c('trades', 'bigint'), c('taker_buy_volume', 'double'), c('taker_buy_quote_volume', 'double'), c('closed', 'bool'), c('import_id', 'int'),
  ],
  depth_bands: [c('venue', 'venue'), c('symbol', 'varchar'), c('ts', 'ts'), c('percentage', 'double'), c('depth', 'double'), c('notional', 'double'), c('import_id', 'int')],
};

type F64 = Float64Array;
type U8 = Uint8Array;
type Str = string[];
type I32 = Int32Array;
type U32 = Uint32Array;

/** A decimal integer id that float64 holds exactly, else NaN. No sign, no spaces, no exponent. */
function integerId(id: string): number {
  const len = id.length;
  if (len === 0 || len > 15) return NaN;
  for (let i = 0; i < len; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
  }
  return +id;
}

/** Whether the trades table can hold `id`: a decimal integer float64 holds exactly (BIGINT) or a UUID. */
export function isStorableTradeId(id: string): boolean {
  const n = integerId(id);
  return n === n || isUuid(id);
}

export interface SinkStats {
  rows: number;
  firstTs: number;
  lastTs: number;
}

export class StoreSink implements EventSink {
  firstTs = Infinity;
  lastTs = -Infinity;
  private bookMsg = 0;

  private constructor(
    /** Written into every row's import_id; the bus lake writer sets it per batch to tag rows with their batch. */
    public importId: number,
    private readonly batches: Map<DataTable, ColumnBatch>,
  ) {}

  /**
   * Appenders are created up front for every table (creation is async; appends are sync).
   * `bookMsgStart`: book message ids are unique per import, so a writer that appends to one import
   * in several sinks (the recorder, a flush at a time) continues from the last sink's `bookMsg`.
   */
  static async create(conn: DuckDBConnection, importId: number, bookMsgStart = 0): Promise<StoreSink> {
    const batches = new Map<DataTable, ColumnBatch>();
    for (const table of Object.keys(TABLE_COLUMNS) as DataTable[]) {
      const appender = await conn.createAppender(table);
      batches.set(table, new ColumnBatch(table, TABLE_COLUMNS[table], appender));
    }
    const sink = new StoreSink(importId, batches);
    sink.bookMsg = bookMsgStart;
    return sink;
  }

  /** The last book message id given out (ids count down from 0). */
  get lastBookMsg(): number {
    return this.bookMsg;
  }

  private batch(table: DataTable): ColumnBatch {
    return this.batches.get(table)!;
  }

  /** Widen the import's time range (the ledger's first_ts / last_ts) to `ts`. */
  private span(ts: number): void {
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
  }

  private head(b: ColumnBatch, venue: Venue, symbol: string, ts: number, localTs: number): number {
    const n = b.n;
    const cols = b.cols;
    (cols[0] as U8)[n] = VENUE_CODE[venue];
    (cols[1] as Str)[n] = symbol;
    (cols[2] as F64)[n] = ts;
    (cols[3] as F64)[n] = localTs;
    this.span(ts);
    return n;
  }

  /**
   * Trade ids are stored natively: integers (Binance, OKX) as BIGINT, UUIDs (Bybit) as UUID.
   * Text ids would cost a native string write per row, half the import time on big archives.
   */
  trade(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void {
    const b = this.batch('trades');
    const cols = b.cols;
    // The id is checked before any column is written, so a refused row leaves no trace (not even in firstTs / lastTs).
    const n = b.n;
    const words = cols[8] as U32;
    const w = n * 4;
    const numeric = integerId(id);
    if (numeric === numeric) words[w] = words[w + 1] = words[w + 2] = words[w + 3] = 0;
    else if (!writeUuid(id, words, w)) {
      throw new ParseError('E_FIELD', 'trade id is neither an integer nor a UUID', 'id', id);
    }
    this.head(b, venue, symbol, ts, localTs);
    (cols[4] as F64)[n] = price;
    (cols[5] as F64)[n] = qty;
    (cols[6] as U8)[n] = SIDE_CODE[side];
    (cols[7] as F64)[n] = numeric;
    (cols[9] as I32)[n] = this.importId;
    b.commitRow();
  }

  liquidation(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void {
    const b = this.batch('liquidations');
    const n = this.head(b, venue, symbol, ts, localTs);
    const cols = b.cols;
    (cols[4] as F64)[n] = price;
    (cols[5] as F64)[n] = qty;
    (cols[6] as U8)[n] = SIDE_CODE[side];
    (cols[7] as Str)[n] = id;
    (cols[8] as I32)[n] = this.importId;
    b.commitRow();
  }

  bookLevel(venue: Venue, symbol: string, ts: number, localTs: number, msg: number, isSnapshot: boolean, side: Side, price: number, qty: number, seq: number): void {
    const b = this.batch('book');
    const n = this.head(b, venue, symbol, ts, localTs);
    const cols = b.cols;
    (cols[4] as F64)[n] = msg;
    (cols[5] as U8)[n] = isSnapshot ? 1 : 0;
    (cols[6] as U8)[n] = SIDE_CODE[side];
    (cols[7] as F64)[n] = price;
    (cols[8] as F64)[n] = qty;
    (cols[9] as F64)[n] = seq;
    (cols[10] as I32)[n] = this.importId;
    b.commitRow();
  }

  ticker(venue: Venue, symbol: string, ts: number, localTs: number, f: Readonly<TickerFields>): void {
    const b = this.batch('tickers');
    const n = this.head(b, venue, symbol, ts, localTs);
    const values = [
      f.markPrice, f.indexPrice, f.lastPrice, f.fundingRate, f.nextFundingTs, f.openInterest, f.openInterestValue,
      f.bestBid, f.bestBidQty, f.bestAsk, f.bestAskQty, f.longShortRatio, f.topTraderAccountRatio, f.topTraderPositionRatio, f.takerBuySellRatio,
    ];
    for (let i = 0; i < values.length; i++) (b.cols[4 + i] as F64)[n] = values[i];
    (b.cols[4 + values.length] as I32)[n] = this.importId;
    b.commitRow();
  }

  kline(k: KlineRecord): void {
    const b = this.batch('klines');
    const n = b.n;
    const cols = b.cols;
    (cols[0] as U8)[n] = VENUE_CODE[k.venue];
    (cols[1] as Str)[n] = k.symbol;
    (cols[2] as Str)[n] = k.kind;
    (cols[3] as Str)[n] = k.interval;
    const nums = [k.openTime, k.closeTime, k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, k.trades, k.takerBuyVolume, k.takerBuyQuoteVolume];
    for (let i = 0; i < nums.length; i++) (cols[4 + i] as F64)[n] = nums[i];
    (cols[15] as U8)[n] = k.closed ? 1 : 0;
    (cols[16] as I32)[n] = this.importId;
    this.span(k.openTime);
    b.commitRow();
  }

  depthBand(d: DepthBandRecord): void {
    const b = this.batch('depth_bands');
    const n = b.n;
    const cols = b.cols;
    (cols[0] as U8)[n] = VENUE_CODE[d.venue];
    (cols[1] as Str)[n] = d.symbol;
    (cols[2] as F64)[n] = d.ts;
    (cols[3] as F64)[n] = d.percentage;
    (cols[4] as F64)[n] = d.depth;
    (cols[5] as F64)[n] = d.notional;
    (cols[6] as I32)[n] = this.importId;
    this.span(d.ts);
    b.commitRow();
  }

  event(ev: MarketEvent): void {
    switch (ev.type) {
      case 'trade':
        return this.trade(ev.venue, ev.symbol, ev.ts, ev.localTs, ev.price, ev.qty, ev.side, ev.id);
      case 'liquidation':
        return this.liquidation(ev.venue, ev.symbol, ev.ts, ev.localTs, ev.price, ev.qty, ev.side, ev.id);
      case 'ticker':
        return this.ticker(ev.venue, ev.symbol, ev.ts, ev.localTs, ev);
      case 'book': {
        // Negative ids: never collide with ids a line format assigns itself.
        const msg = --this.bookMsg;
        for (const [p, q] of ev.bids) this.bookLevel(ev.venue, ev.symbol, ev.ts, ev.localTs, msg, ev.isSnapshot, 'buy', p, q, ev.seq);
        for (const [p, q] of ev.asks) this.bookLevel(ev.venue, ev.symbol, ev.ts, ev.localTs, msg, ev.isSnapshot, 'sell', p, q, ev.seq);
        return;
      }
    }
  }

  /**
   * Flush every batch and close the appenders: constraints are checked here, so this throws
   * before the importer commits. Returns the rows written.
   */
  finish(): number {
    let rows = 0;
    for (const b of this.batches.values()) rows += b.close();
    return rows;
  }

  /** Drop the appenders without writing (on error, before rollback). */
  abandon(): void {
    for (const b of this.batches.values()) b.abandon();
  }

  get rowsWritten(): number {
    let rows = 0;
    for (const b of this.batches.values()) rows += b.written + b.n;
    return rows;
  }
}
