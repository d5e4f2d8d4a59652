/**
 * Volume profile data: every bar's traded volume per footprint level (bid + ask), flattened with
 * per-bar offsets, and every level's row in one price grid (minPrice + row * levelSize) so a
 * frame sums the visible bars into a reused array without hashing prices. Without a footprint, or
 * without levels for that bar (not fetched yet), a bar's whole volume (buy + sell) lands on its close. Bad levels (non-finite, negative) are
 * dropped; a bar whose time does not ascend is skipped, as the chart skips it.
 */
import type { CandlesResponse } from '../../../api.ts';

export interface ProfileStore {
  readonly levelSize: number;
  readonly minPrice: number;
  /** Rows in the price grid. */
  readonly rows: number;
  /** Bar opens (ms), one per chart bar, aligned with the host series' logical index. */
  readonly t: Float64Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly row: Int32Array;
  readonly volume: Float64Array;
}

const fin = Number.isFinite;
/** A profile finer than this many rows is coarsened (wide ranges at a fine tick). */
const MAX_ROWS = 20_000;
/** Prices beyond this are unit errors; they would overflow the grid arithmetic. */
const MAX_PRICE = 1e12;

export function toProfileStore(c: CandlesResponse | null | undefined): ProfileStore {
  const cols = [c?.t, c?.c, c?.buy, c?.sell];
  const n = cols.every(Array.isArray) ? Math.min(...cols.map((x) => (x as unknown[]).length)) : 0;
  const fp = c?.footprint;
  const useFp = fp != null && fin(fp.levelSize) && fp.levelSize >= 1e-12 && [fp.offset, fp.price, fp.bid, fp.ask].every(Array.isArray);
  const levels: { bar: number; price: number; vol: number }[] = [];
  const bars: number[] = [];
  let lastT = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = c!.t[i];
    // Same rule as the chart (and toFootprintData): times must ascend in seconds.
    if (!fin(t / 1000) || t / 1000 <= lastT) continue;
    lastT = t / 1000;
    const bar = bars.length;
    bars.push(t);
    const s = useFp ? fp.offset[i] : 0;
    const e = useFp ? fp.offset[i + 1] : 0;
    // A bar without levels (the page holds levels only for the ranges it fetched) counts at its close.
    if (useFp && !(Number.isInteger(s) && s === e)) {
      if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e < s) continue;
      const stop = Math.min(e, fp.price.length, fp.bid.length, fp.ask.length);
      for (let k = s; k < stop; k++) {
        const v = fp.bid[k] + fp.ask[k];
        if (fin(fp.price[k]) && Math.abs(fp.price[k]) < MAX_PRICE && fin(v) && fp.bid[k] >= 0 && fp.ask[k] >= 0 && v > 0) levels.push({ bar, price: fp.price[k], vol: v });
      }
    } else {
      const v = c!.buy[i] + c!.sell[i];
      if (fin(c!.c[i]) && Math.abs(c!.c[i]) < MAX_PRICE && fin(v) && v > 0) levels.push({ bar, price: c!.c[i], vol: v });
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of levels) {
    lo = Math.min(lo, l.price);
    hi = Math.max(hi, l.price);
  }
  let levelSize = useFp ? fp.levelSize : 1;
  if (!useFp && levels.length > 1) levelSize = Math.max((hi - lo) / 200, 1e-9);
  while (levels.length && (hi - lo) / levelSize + 1 > MAX_ROWS) levelSize *= 2;
  const minPrice = levels.length ? Math.floor(lo / levelSize) * levelSize : 0;
  const rows = levels.length ? Math.max(1, Math.min(MAX_ROWS * 2, Math.floor((hi - minPrice) / levelSize + 1e-9) + 1)) : 0;
  const start = new Int32Array(bars.length);
  const end = new Int32Array(bars.length);
  const row = new Int32Array(levels.length);
  const volume = new Float64Array(levels.length);
  for (let k = 0; k < levels.length; k++) {
    const l = levels[k];
    if (k === 0 || levels[k - 1].bar !== l.bar) start[l.bar] = k;
    end[l.bar] = k + 1;
    // Clamped: at absurd level sizes floating point can put a price a hair outside the grid.
    row[k] = Math.min(rows - 1, Math.max(0, Math.floor((l.price - minPrice) / levelSize + 1e-9)));
    volume[k] = l.vol;
  }
  return { levelSize, minPrice, rows, t: Float64Array.from(bars), start, end, row, volume };
}
