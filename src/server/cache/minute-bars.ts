/**
 * One market's one-minute candles (OHLC, aggressive buy and sell volume, trades) as typed
 * columns, folded from its held trades as they are caught up: a 1m candles request slices them
 * instead of folding every trade again. The fold is FootprintOperator's candle totals, row for
 * row (a bar opens at the first trade at or past the previous bar's end; volumes summed in row
 * order), so a slice is exactly what the operator gives for the same rows.
 */
import { grown } from '../../core/columns.ts';

export const BAR_MS = 60_000;

/** Bytes a bar costs: seven doubles and a count. */
export const BYTES_PER_BAR = 60;

export class MinuteBars {
  t = new Float64Array(0);
  o = new Float64Array(0);
  h = new Float64Array(0);
  l = new Float64Array(0);
  c = new Float64Array(0);
  buy = new Float64Array(0);
  sell = new Float64Array(0);
  trades = new Uint32Array(0);
  length = 0;
  /** End of the newest bar (a row at or past it opens the next). */
  private end = -Infinity;

  get bytes(): number {
    return this.t.length * BYTES_PER_BAR;
  }

  /** Fold rows [from, to) of the market's columns: they come after every row folded so far. */
  fold(ts: Float64Array, price: Float64Array, qty: Float64Array, side: Int8Array, from: number, to: number): void {
    let k = this.length - 1;
    for (let i = from; i < to; i++) {
      const x = ts[i];
      const px = price[i];
      if (x >= this.end) {
        k = this.open(Math.floor(x / BAR_MS) * BAR_MS, px);
      }
      if (side[i] > 0) this.buy[k] += qty[i];
      else this.sell[k] += qty[i];
      this.trades[k]++;
      if (px > this.h[k]) this.h[k] = px;
      if (px < this.l[k]) this.l[k] = px;
      this.c[k] = px;
    }
  }

  /** Bars with open in [fromMs, toMs): indexes [lo, hi). */
  range(fromMs: number, toMs: number): { lo: number; hi: number } {
    return { lo: this.lowerBound(fromMs), hi: this.lowerBound(toMs) };
  }

  private lowerBound(ms: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private open(t: number, px: number): number {
    if (this.length === this.t.length) this.grow(Math.max(1024, this.length * 2));
    const k = this.length++;
    this.t[k] = t;
    this.o[k] = px;
    this.h[k] = px;
    this.l[k] = px;
    this.c[k] = px;
    this.buy[k] = 0;
    this.sell[k] = 0;
    this.trades[k] = 0;
    this.end = t + BAR_MS;
    return k;
  }

  private grow(cap: number): void {
    this.t = grown(this.t, cap);
    this.o = grown(this.o, cap);
    this.h = grown(this.h, cap);
    this.l = grown(this.l, cap);
    this.c = grown(this.c, cap);
    this.buy = grown(this.buy, cap);
    this.sell = grown(this.sell, cap);
    this.trades = grown(this.trades, cap);
  }
}
