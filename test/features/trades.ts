/** Build TradeColumns from rows for feature tests. */
import type { TradeColumns } from '../../src/core/columns.ts';
import type { Venue } from '../../src/core/events.ts';

/** [ts, price, qty, side (+1 buy / -1 sell), venue index (default 0)] */
export type Row = readonly [number, number, number, number, number?];

export function columns(rows: readonly Row[], venues: readonly Venue[] = ['binance']): TradeColumns {
  const n = rows.length;
  const c = { length: n, ts: new Float64Array(n), price: new Float64Array(n), qty: new Float64Array(n), side: new Int8Array(n), venue: new Uint8Array(n), venues };
  rows.forEach(([ts, price, qty, side, venue], i) => {
    c.ts[i] = ts;
    c.price[i] = price;
    c.qty[i] = qty;
    c.side[i] = side;
    c.venue[i] = venue ?? 0;
  });
  return c;
}

/** Rows [from, to) as their own columns. */
export function slice(c: TradeColumns, from: number, to: number): TradeColumns {
  return { length: to - from, ts: c.ts.slice(from, to), price: c.price.slice(from, to), qty: c.qty.slice(from, to), side: c.side.slice(from, to), venue: c.venue.slice(from, to), venues: c.venues };
}

/** Cut points 0 < a < b < ... < n from random fractions, sorted and deduplicated. */
export function cuts(n: number, fractions: readonly number[]): number[] {
  return [...new Set(fractions.map((f) => Math.floor(f * n)).filter((k) => k > 0 && k < n))].sort((a, b) => a - b);
}
