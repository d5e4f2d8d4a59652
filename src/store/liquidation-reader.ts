/**
 * Stored liquidations as columns (LiquidationColumns, src/core/columns.ts), in time
 * order, for the liquidation features.
 *
 * Rows are ordered by `ts`, then by the caller's venue order, then by insertion order (DuckDB's
 * `rowid`: the file's own order). Every value is bound, never spliced into SQL.
 */
import type { Venue } from '../core/events.ts';
// Type only (erased at run time): the columns type lives with its operator until it moves to core.
import type { LiquidationColumns } from '../core/columns.ts';
import { doubleChunks } from './double-chunks.ts';
import type { Store } from './store.ts';
import { marketRowsQuery } from './trade-reader.ts';

export interface LiquidationQuery {
  /** Venues to read, in the order ties at the same `ts` are broken; LiquidationColumns.venues is this list. */
  readonly venues: readonly Venue[];
  /** Venue-native symbols (resolved by the caller); a row matches when its symbol is any of them. */
  readonly symbols: readonly string[];
  /** Inclusive lower bound, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive upper bound, epoch ms. */
  readonly toMs?: number;
}


/**
 * All matching liquidations in one LiquidationColumns. Liquidation feeds are sampled and sparse
 * (docs/NORMALIZATION.md), so one read holds them; the trade reader streams instead.
 */
export async function readLiquidations(store: Store, q: LiquidationQuery): Promise<LiquidationColumns> {
  if (q.venues.length > 255) throw new RangeError('readLiquidations: at most 255 venues');
  const chunks: Float64Array[][] = [];
  let total = 0;
  if (q.venues.length > 0 && q.symbols.length > 0) {
    const { sql, values } = marketRowsQuery('liquidations', q);
    for await (const { rows, cols } of doubleChunks(store, sql, values, 5, 'liquidations')) {
      // Copy: a chunk's vectors are views DuckDB may reuse.
      chunks.push(cols.map((c) => c.slice(0, rows)));
      total += rows;
    }
  }
  const out = { length: total, ts: new Float64Array(total), price: new Float64Array(total), qty: new Float64Array(total), side: new Int8Array(total), venue: new Uint8Array(total), venues: q.venues };
  let at = 0;
  for (const [ts, price, qty, side, venue] of chunks) {
    out.ts.set(ts, at);
    out.price.set(price, at);
    out.qty.set(qty, at);
    out.side.set(side, at);
    out.venue.set(venue, at);
    at += ts.length;
  }
  return out;
}
