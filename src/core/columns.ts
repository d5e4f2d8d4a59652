/**
 * Columnar batches: the shape hot paths (features, backtests) read trades in. Typed arrays, one
 * entry per trade, in time order; no object per trade.
 */
import type { Venue } from './events.ts';

export interface TradeColumns {
  readonly length: number;
  /** Exchange time, epoch ms (fractional where the source has µs). */
  readonly ts: Float64Array;
  readonly price: Float64Array;
  /** Base units. */
  readonly qty: Float64Array;
  /** Aggressor side: +1 buy (lifted the ask), -1 sell (hit the bid). */
  readonly side: Int8Array;
  /** Index into `venues` for each trade. */
  readonly venue: Uint8Array;
  /** The venues `venue` indexes. */
  readonly venues: readonly Venue[];
}

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

/** Liquidations as columns, in time order (the liquidation operators' input). */
export interface LiquidationColumns {
  readonly length: number;
  /** Exchange time, epoch ms (fractional where the source has µs). */
  readonly ts: Float64Array;
  readonly price: Float64Array;
  /** Base units. */
  readonly qty: Float64Array;
  /** Forced-order side: -1 sell (a long was liquidated), +1 buy (a short was liquidated). */
  readonly side: Int8Array;
  /** Index into `venues` for each liquidation. */
  readonly venue: Uint8Array;
  readonly venues: readonly Venue[];
}
