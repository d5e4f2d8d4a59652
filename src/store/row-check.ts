/**
 * The checks a row must pass before the recorder hands it to the store: what the schema refuses
 * (NOT NULL columns, the trade id forms, the enums) and what it would silently mangle (a time
 * outside TIMESTAMP's range wraps). A few comparisons per row, so the common case costs nothing
 * and one bad row never costs a failed transaction; the store's own refusals are still caught
 * by bisecting the batch (commit-isolating.ts).
 */
import { SIDE_CODE, VENUE_CODE } from './column-batch.ts';
import type { PendingRow } from './pending-queue.ts';
import { isStorableTradeId } from './store-sink.ts';

/** Epoch ms the TIMESTAMP columns hold without overflow (µs in int64), with room to spare. */
const MAX_TS_MS = 9e15;

const badTime = (t: number) => !(t >= 0 && t < MAX_TS_MS);
/** A nullable TIMESTAMP (NaN = NULL) with a value out of range. */
const badOptionalTime = (t: number) => t === t && badTime(t);
/** NOT NULL double columns: NaN is written as NULL. */
const missing = (x: number) => x !== x;

/** Why the store would refuse (or mangle) `r`, naming the field; undefined when it is fine. */
export function rowProblem(r: PendingRow): string | undefined {
  try {
    return problem(r);
  } catch (e) {
    // A row not even shaped like its type (a connector bug): refused like any other.
    return `malformed ${String(r?.type)} row: ${(e as Error).message}`;
  }
}

function problem(r: PendingRow): string | undefined {
  if (r.type === 'gap') {
    const g = r.gap;
    if (VENUE_CODE[g.venue] === undefined) return `gap.venue: unknown venue ${JSON.stringify(g.venue)}`;
    if (badTime(g.fromTs) || badTime(g.toTs)) return `gap.fromTs/toTs: not a time in epoch ms (${g.fromTs}, ${g.toTs})`;
    return undefined;
  }
  if (VENUE_CODE[r.venue] === undefined) return `venue: unknown venue ${JSON.stringify(r.venue)}`;
  if (typeof r.symbol !== 'string' || r.symbol.length === 0) return 'symbol: empty';
  if (r.type !== 'kline' && badOptionalTime(r.localTs)) return `localTs: not a time in epoch ms (${r.localTs})`;
  switch (r.type) {
    case 'trade':
    case 'liquidation':
      if (badTime(r.ts)) return `ts: not a time in epoch ms (${r.ts})`;
      if (missing(r.price) || missing(r.qty)) return `price/qty: missing (${r.price}, ${r.qty})`;
      if (SIDE_CODE[r.side] === undefined) return `side: ${JSON.stringify(r.side)} is neither buy nor sell`;
      if (typeof r.id !== 'string') return 'id: not a string';
      if (r.type === 'trade' && !isStorableTradeId(r.id)) return `id: trade id ${JSON.stringify(r.id)} is neither an integer (at most 15 digits) nor a UUID`;
      return undefined;
    case 'book':
      if (badTime(r.ts)) return `ts: not a time in epoch ms (${r.ts})`;
      for (const [p, q] of r.bids) if (missing(p) || missing(q)) return `bids: level with a missing price or qty (${p}, ${q})`;
      for (const [p, q] of r.asks) if (missing(p) || missing(q)) return `asks: level with a missing price or qty (${p}, ${q})`;
      return undefined;
    case 'ticker':
      if (badTime(r.ts)) return `ts: not a time in epoch ms (${r.ts})`;
      return badOptionalTime(r.nextFundingTs) ? `nextFundingTs: not a time in epoch ms (${r.nextFundingTs})` : undefined;
    case 'kline':
      if (badTime(r.openTime) || badTime(r.closeTime)) return `openTime/closeTime: not a time in epoch ms (${r.openTime}, ${r.closeTime})`;
      if (missing(r.open) || missing(r.high) || missing(r.low) || missing(r.close)) return 'open/high/low/close: missing';
      return undefined;
  }
}
