/**
 * Stored trades as columnar batches (src/core/columns.ts), in time order, for the features.
 *
 * Rows are ordered by `ts`, then by the caller's venue order, then by insertion order (DuckDB's
 * `rowid`: the file's own order, which keeps same-millisecond trades of one venue as the venue
 * sent them). Streamed chunk by chunk; every value is bound, never spliced into SQL.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { allocTradeColumns, type TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { doubleChunks } from './double-chunks.ts';
import type { Store } from './store.ts';

export interface TradeQuery {
  /** Venues to read, in the order ties at the same `ts` are broken; TradeColumns.venues is this list. */
  readonly venues: readonly Venue[];
  /** Venue-native symbols (resolved by the caller); a trade matches when its symbol is any of them. */
  readonly symbols: readonly string[];
  /** Inclusive lower bound, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive upper bound, epoch ms. */
  readonly toMs?: number;
  /**
   * Only rows whose DuckDB `rowid` lies in (after, through]: an in-memory copy of a market
   * catching up with the rows appended since it last read (src/server/cache/market-trades.ts).
   */
  readonly rowids?: { readonly after: number; readonly through: number };
}

/** Rows per yielded chunk by default. */
export const CHUNK_ROWS = 1 << 16;

/**
 * The rows of one market (venues x symbols, time range) of an event table with ts, price, qty and
 * side, as numbers in time order; ties at one `ts` follow the caller's venue order, then
 * insertion order. Every value is bound.
 */
export function marketRowsQuery(table: 'trades' | 'liquidations', q: TradeQuery): { sql: string; values: DuckDBValue[] } {
  const values: DuckDBValue[] = [];
  const param = (v: DuckDBValue) => {
    values.push(v);
    return `$${values.length}`;
  };
  const venueOrder = q.venues.map((v, i) => `WHEN ${param(v)} THEN ${i}`).join(' ');
  const where = [
    `venue::VARCHAR IN (${q.venues.map((v) => param(v)).join(', ')})`,
    `symbol IN (${q.symbols.map((s) => param(s)).join(', ')})`,
  ];
  if (q.fromMs !== undefined) where.push(`ts >= make_timestamp(${param(BigInt(Math.round(q.fromMs * 1000)))}::BIGINT)`);
  if (q.toMs !== undefined) where.push(`ts < make_timestamp(${param(BigInt(Math.round(q.toMs * 1000)))}::BIGINT)`);
  if (q.rowids) where.push(`rowid > ${param(BigInt(q.rowids.after))}`, `rowid <= ${param(BigInt(q.rowids.through))}`);
  const sql = `SELECT epoch_us(ts)::DOUBLE / 1000 AS ts_ms, price, qty,
      (CASE WHEN side = 'buy' THEN 1 ELSE -1 END)::DOUBLE AS side_num,
      (CASE venue::VARCHAR ${venueOrder} END)::DOUBLE AS venue_ord
    FROM ${table} WHERE ${where.join(' AND ')}
    ORDER BY ts, venue_ord, rowid`;
  return { sql, values };
}

/**
 * The matching trades, `chunkRows` at a time (the last chunk may be shorter). Each chunk is a
 * fresh TradeColumns the consumer may keep.
 */
export async function* streamTrades(store: Store, q: TradeQuery, chunkRows = CHUNK_ROWS): AsyncGenerator<TradeColumns> {
  if (q.venues.length === 0 || q.symbols.length === 0) return;
  if (q.venues.length > 255) throw new RangeError('readTrades: at most 255 venues');
  const { sql, values } = marketRowsQuery('trades', q);
  let out = allocTradeColumns(chunkRows, q.venues);
  let n = 0;
  for await (const { rows, cols } of doubleChunks(store, sql, values, 5, 'trades')) {
    const [ts, price, qty, side, venue] = cols;
    for (let r = 0; r < rows; ) {
      const take = Math.min(rows - r, chunkRows - n);
      out.ts.set(ts.subarray(r, r + take), n);
      out.price.set(price.subarray(r, r + take), n);
      out.qty.set(qty.subarray(r, r + take), n);
      for (let j = 0; j < take; j++) {
        out.side[n + j] = side[r + j];
        out.venue[n + j] = venue[r + j];
      }
      n += take;
      r += take;
      if (n === chunkRows) {
        out.length = n;
        yield out;
        out = allocTradeColumns(chunkRows, q.venues);
        n = 0;
      }
    }
  }
  if (n > 0) yield sliceColumns(out, n);
}

/** All matching trades in one TradeColumns. */
export async function readTrades(store: Store, q: TradeQuery): Promise<TradeColumns> {
  const chunks: TradeColumns[] = [];
  let total = 0;
  for await (const c of streamTrades(store, q)) {
    chunks.push(c);
    total += c.length;
  }
  if (chunks.length === 1) return chunks[0];
  const out = allocTradeColumns(total, q.venues);
  let at = 0;
  for (const c of chunks) {
    out.ts.set(c.ts.subarray(0, c.length), at);
    out.price.set(c.price.subarray(0, c.length), at);
    out.qty.set(c.qty.subarray(0, c.length), at);
    out.side.set(c.side.subarray(0, c.length), at);
    out.venue.set(c.venue.subarray(0, c.length), at);
    at += c.length;
  }
  out.length = total;
  return out;
}

function sliceColumns(c: TradeColumns, n: number): TradeColumns {
  return {
    length: n,
    ts: c.ts.slice(0, n),
    price: c.price.slice(0, n),
    qty: c.qty.slice(0, n),
    side: c.side.slice(0, n),
    venue: c.venue.slice(0, n),
    venues: c.venues,
  };
}
