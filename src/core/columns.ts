/**
 * Columnar batches: the shape hot paths (features, backtests) read events in. Typed arrays, one
 * entry per event, in time order; no object per event.
 */
import type { Venue } from './events.ts';

/** What trades and liquidations share: time, price, base quantity, a side and a venue. */
interface PriceEventColumns {
  readonly length: number;
  /** Exchange time, epoch ms (fractional where the source has µs). */
  readonly ts: Float64Array;
  readonly price: Float64Array;
  /** Base units. */
  readonly qty: Float64Array;
  /** +1 or -1; what it means is the event's (see each type). */
  readonly side: Int8Array;
  /** Index into `venues` for each event. */
  readonly venue: Uint8Array;
  /** The venues `venue` indexes. */
  readonly venues: readonly Venue[];
}

/** Trades. `side` is the AGGRESSOR: +1 buy (lifted the ask), -1 sell (hit the bid). */
export interface TradeColumns extends PriceEventColumns {}

/**
 * Liquidations (the liquidation operators' input). `side` is the FORCED ORDER's: -1 sell (a long
 * was liquidated), +1 buy (a short was liquidated).
 */
export interface LiquidationColumns extends PriceEventColumns {}

/** Empty columns of a given capacity, for builders that fill then slice. */
export function allocTradeColumns(capacity: number, venues: readonly Venue[] = []): TradeColumns & { length: number } {
  return {
    length: 0,
    ts: new Float64Array(capacity),
    price: new Float64Array(capacity),
    qty: new Float64Array(capacity),
    side: new Int8Array(capacity),
    venue: new Uint8Array(capacity),
    venues,
  };
}

/**
 * L2 book messages as columns: per-message arrays (`ts`, `isSnapshot`, `seq`) of `length` entries,
 * and level rows, message m owning rows [levelStart[m], levelStart[m + 1]).
 */
export interface BookColumns {
  /** Messages. */
  readonly length: number;
  /** Exchange time of each message, epoch ms. */
  readonly ts: Float64Array;
  /** 1: the message replaces the whole book; 0: a diff. */
  readonly isSnapshot: Uint8Array;
  /** Venue sequence / last update id, NaN when none. */
  readonly seq: Float64Array;
  /** length + 1 offsets into the level rows. */
  readonly levelStart: Uint32Array;
  /** Per level row: +1 bid, -1 ask. */
  readonly side: Int8Array;
  readonly price: Float64Array;
  /** Base units; 0 deletes the level. */
  readonly qty: Float64Array;
}

/** One venue + symbol series of ticker columns. */
export interface OpenInterestMarket {
  readonly venue: Venue;
  readonly symbol: string;
}

/**
 * Open-interest observations, one entry per ticker row that has one, in time order (read by
 * src/store/ticker-reader.ts; the predicted liquidation levels' input).
 */
export interface OpenInterestColumns {
  readonly length: number;
  /** Exchange time, epoch ms (fractional where the source has µs). */
  readonly ts: Float64Array;
  /** Open interest in BASE units (docs/SCHEMA.md `tickers.open_interest`). */
  readonly openInterest: Float64Array;
  /** Mark price of the same row; NaN when the row has none. */
  readonly markPrice: Float64Array;
  /** Index into `markets` for each row. */
  readonly market: Uint16Array;
  /** The markets `market` indexes: only those with rows, in (venue order, symbol order). */
  readonly markets: readonly OpenInterestMarket[];
}

/** Marks and funding: every ticker row with a mark price or a funding rate, for margin and funding in backtests. */
export interface MarkColumns {
  readonly length: number;
  readonly ts: Float64Array;
  /** NaN when the row has none. */
  readonly markPrice: Float64Array;
  /** Funding rate of the current/last interval as the venue published it (a fraction); NaN when none. */
  readonly fundingRate: Float64Array;
  /** Epoch ms of the next funding, NaN when unknown. */
  readonly nextFundingTs: Float64Array;
  readonly market: Uint16Array;
  readonly markets: readonly OpenInterestMarket[];
}

/**
 * First index whose time is not below `x` in time-ordered `ts` (its length when none); any
 * ascending numbers will do (the dashboard's heatmap searches its column indices).
 */
export function lowerBound(ts: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The typed arrays the growable columns use. */
type GrowableArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * `a` copied into a new array of its own type with room for `capacity` elements (zeros past what
 * `a` held): how every growable column grows, by doubling at its call site so appends stay
 * amortized O(1).
 */
export function grown<T extends GrowableArray>(a: T, capacity: number): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  (b as Float64Array).set(a as ArrayLike<number>);
  return b;
}

/** Best bid and ask (bookTicker rows and tickers that carry both), for fills without a book. */
export interface QuoteColumns {
  readonly length: number;
  readonly ts: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly market: Uint16Array;
  readonly markets: readonly OpenInterestMarket[];
}
