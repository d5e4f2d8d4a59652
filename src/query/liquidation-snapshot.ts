/**
 * Store -> liquidation map: the clusters of a market's stored liquidations at one time, with the
 * stored trades that tell which zones price revisited.
 *
 * Not the engine's replay merge (src/engine/replay.ts): at equal ts this feeds the liquidations
 * before the trade, while replay puts trades first, and it stops reading trades at the snapshot
 * time.
 */
import type { LiquidationColumns } from '../core/columns.ts';
import { LiquidationMapOperator, type LiquidationMapOptions, type LiquidationSnapshot } from '../features/liquidations.ts';
import type { Store } from '../store/store.ts';
import { streamTrades } from '../store/trade-reader.ts';
import type { MarketQuery } from './market.ts';

/**
 * The liquidation map's snapshot at `atMs` (default: the last event): liquidations with
 * ts <= at, and the trades between the first liquidation and at (for `revisited`), pushed merged
 * by ts. Returns the snapshot and its time, or undefined when no liquidation is at or before at.
 */
export async function snapshotAt(store: Store, q: MarketQuery, liqs: LiquidationColumns, atMs: number | undefined, mapOpts: LiquidationMapOptions): Promise<LiquidationSnapshot | undefined> {
  const at = atMs ?? Infinity;
  let n = 0;
  while (n < liqs.length && liqs.ts[n] <= at) n++;
  if (n === 0) return undefined;
  const op = new LiquidationMapOperator(mapOpts);
  let clock = -Infinity;
  let li = 0;
  // Trades before the first liquidation cannot revisit anything; trades after `at` are not seen.
  const fromMs = Math.max(q.fromMs ?? -Infinity, liqs.ts[0]);
  const toMs = Math.min(q.toMs ?? Infinity, at + 0.001);
  const tradeQuery = { venues: q.venues, symbols: q.symbols, fromMs, toMs: Number.isFinite(toMs) ? toMs : undefined };
  outer: for await (const t of streamTrades(store, tradeQuery)) {
    let i = 0;
    while (i < t.length) {
      const x = t.ts[i];
      if (x > at) break outer;
      let le = li;
      while (le < n && liqs.ts[le] <= x) le++;
      if (le > li) {
        op.pushLiquidations(liqs, li, le);
        li = le;
      }
      const next = li < n ? liqs.ts[li] : Infinity;
      let j = i + 1;
      while (j < t.length && t.ts[j] < next && t.ts[j] <= at) j++;
      op.pushTrades(t, i, j);
      clock = t.ts[j - 1];
      i = j;
    }
  }
  if (li < n) op.pushLiquidations(liqs, li, n);
  clock = Math.max(clock, liqs.ts[n - 1]);
  return op.at(atMs ?? clock);
}
