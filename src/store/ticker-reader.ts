/**
 * Stored ticker series (the `tickers` table) as columns, in time order: open interest for the
 * predicted liquidation levels (src/features/predicted-liquidations.ts), marks and funding rates
 * for the backtester's margin and funding, best bid and ask for its fills without a book
 * (src/engine).
 *
 * Each reader reads only the rows that carry its columns (each ticker source fills a subset of
 * them: a bookTicker row has a best bid and ask, no open interest). Rows are ordered by `ts`, then by the caller's venue order,
 * then the caller's symbol order, then insertion order (DuckDB's `rowid`). Every value is bound,
 * never spliced into SQL.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { MarkColumns, OpenInterestColumns, OpenInterestMarket, QuoteColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { doubleChunks } from './double-chunks.ts';
import type { Store } from './store.ts';

export interface OpenInterestQuery {
  /** Venues to read, in the order ties at the same `ts` are broken. */
  readonly venues: readonly Venue[];
  /** Venue-native symbols (resolved by the caller), in the order ties are broken after venue. */
  readonly symbols: readonly string[];
  /** Inclusive lower bound, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive upper bound, epoch ms. */
  readonly toMs?: number;
}

const MAX_MARKETS = 0xffff;

interface Series {
  readonly length: number;
  readonly ts: Float64Array;
  readonly values: Float64Array[];
  readonly market: Uint16Array;
  readonly markets: readonly OpenInterestMarket[];
}

/**
 * One read of ticker columns (each a DOUBLE expression, NULL as NaN) for venues x symbols over
 * [fromMs, toMs), rows where `having` holds, ordered by ts, the caller's venue order, symbol
 * order, then insertion order. Every value is bound, never spliced into SQL.
 */
async function readSeries(store: Store, q: OpenInterestQuery, columns: readonly string[], having: string, what: string): Promise<Series> {
  if (q.venues.length * q.symbols.length > MAX_MARKETS) throw new RangeError(`reading ${what}: at most ${MAX_MARKETS} venue x symbol pairs`);
  const chunks: Float64Array[][] = [];
  let total = 0;
  if (q.venues.length > 0 && q.symbols.length > 0) {
    const values: DuckDBValue[] = [];
    const param = (v: DuckDBValue) => {
      values.push(v);
      return `$${values.length}`;
    };
    const n = q.symbols.length;
    const venueOrd = `(CASE venue::VARCHAR ${q.venues.map((v, i) => `WHEN ${param(v)} THEN ${i}`).join(' ')} END)`;
    const symbolOrd = `(CASE symbol ${q.symbols.map((s, i) => `WHEN ${param(s)} THEN ${i}`).join(' ')} END)`;
    const where = [`venue::VARCHAR IN (${q.venues.map((v) => param(v)).join(', ')})`, `symbol IN (${q.symbols.map((s) => param(s)).join(', ')})`, `(${having})`];
    if (q.fromMs !== undefined) where.push(`ts >= make_timestamp(${param(BigInt(Math.round(q.fromMs * 1000)))}::BIGINT)`);
    if (q.toMs !== undefined) where.push(`ts < make_timestamp(${param(BigInt(Math.round(q.toMs * 1000)))}::BIGINT)`);
    const sql = `SELECT epoch_us(ts)::DOUBLE / 1000 AS ts_ms, ${columns.map((c) => `coalesce((${c})::DOUBLE, 'NaN'::DOUBLE)`).join(', ')},
        (${venueOrd} * ${param(n)} + ${symbolOrd})::DOUBLE AS market_ord
      FROM tickers WHERE ${where.join(' AND ')}
      ORDER BY ts, market_ord, rowid`;
    for await (const { rows, cols } of doubleChunks(store, sql, values, columns.length + 2, what)) {
      // Copy: a chunk's vectors are views DuckDB may reuse.
      chunks.push(cols.map((c) => c.slice(0, rows)));
      total += rows;
    }
  }
  // Keep only the markets that have rows, renumbered in (venue, symbol) order.
  const k = columns.length + 1;
  const used = new Set<number>();
  for (const c of chunks) for (const o of c[k]) used.add(o);
  const ords = [...used].sort((a, b) => a - b);
  const renumber = new Map(ords.map((o, i) => [o, i]));
  const n = q.symbols.length;
  const markets = ords.map((o) => ({ venue: q.venues[Math.floor(o / n)], symbol: q.symbols[o % n] }));
  const out: Series = { length: total, ts: new Float64Array(total), values: columns.map(() => new Float64Array(total)), market: new Uint16Array(total), markets };
  let at = 0;
  for (const c of chunks) {
    out.ts.set(c[0], at);
    columns.forEach((_, j) => out.values[j].set(c[j + 1], at));
    const ord = c[k];
    for (let i = 0; i < ord.length; i++) out.market[at + i] = renumber.get(ord[i])!;
    at += ord.length;
  }
  return out;
}

/** The open-interest series of venues x symbols over [fromMs, toMs), in one read. */
export async function readOpenInterest(store: Store, q: OpenInterestQuery): Promise<OpenInterestColumns> {
  const s = await readSeries(store, q, ['open_interest', 'mark_price'], 'open_interest IS NOT NULL', 'open interest');
  return { length: s.length, ts: s.ts, openInterest: s.values[0], markPrice: s.values[1], market: s.market, markets: s.markets };
}

/** Best bid and ask of venues x symbols over [fromMs, toMs): rows with both, in one read. */
export async function readQuotes(store: Store, q: OpenInterestQuery): Promise<QuoteColumns> {
  const s = await readSeries(store, q, ['best_bid', 'best_ask'], 'best_bid IS NOT NULL AND best_ask IS NOT NULL', 'best bid and ask');
  return { length: s.length, ts: s.ts, bid: s.values[0], ask: s.values[1], market: s.market, markets: s.markets };
}

/** Mark prices and funding rates of venues x symbols over [fromMs, toMs), in one read. */
export async function readMarks(store: Store, q: OpenInterestQuery): Promise<MarkColumns> {
  const s = await readSeries(store, q, ['mark_price', 'funding_rate', 'epoch_us(next_funding_ts) / 1000'], 'mark_price IS NOT NULL OR funding_rate IS NOT NULL', 'marks and funding');
  return { length: s.length, ts: s.ts, markPrice: s.values[0], fundingRate: s.values[1], nextFundingTs: s.values[2], market: s.market, markets: s.markets };
}
