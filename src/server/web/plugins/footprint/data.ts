/**
 * The footprint series' data: CandlesResponse (with `footprint=1`) to one chart item per bar plus a
 * columnar store every item points at. Per-level numbers stay in typed arrays indexed by the
 * precomputed per-bar offsets, so a frame reads only the visible bars' levels and 50k bars cost
 * one object each (which lightweight-charts needs anyway), not one per level.
 *
 * Bad input never throws here and never reaches the canvas: a bar with a non-finite OHLC becomes
 * whitespace, a bar whose time does not ascend is dropped (lightweight-charts refuses unsorted
 * data), a level with a non-finite price or negative/NaN size is flagged and skipped, offsets
 * past the level arrays are clamped and ragged columns are read up to the shortest.
 */
import type { CustomData, Time } from 'lightweight-charts';
import type { CandlesResponse, FootprintColumns } from '../../../api.ts';
import { toTime } from '../helpers/time-grid.ts';

/** Level flags (FootprintStore.flags). */
export const BID_IMB = 1;
export const ASK_IMB = 2;
/** The level's price or sizes are unusable: never drawn. */
export const BAD_LEVEL = 128;

export interface FootprintStore {
  readonly levelSize: number;
  /** Bar i owns levels [start[i], end[i]). */
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly price: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly flags: Uint8Array;
  readonly poc: Float64Array;
  readonly vah: Float64Array;
  readonly val: Float64Array;
  /** Largest bid or ask of one level in the bar: the cell colour's scale. */
  readonly maxCell: Float64Array;
  /** Stacked runs, sorted by bar: bar i owns runs [stackStart[i], stackStart[i+1]). */
  readonly stackStart: Int32Array;
  readonly stackSide: Int8Array;
  readonly stackLow: Float64Array;
  readonly stackHigh: Float64Array;
}

export interface FootprintBarData extends CustomData<Time> {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** This bar's index in `store`. */
  readonly i: number;
  readonly store: FootprintStore;
}

export interface FootprintSeriesData {
  /** For `series.setData`: whitespace items (`{ time }`) where the bar is unusable. */
  readonly bars: (FootprintBarData | { time: Time })[];
  readonly store: FootprintStore;
}

const fin = Number.isFinite;

/** Converts the wire candles (footprint optional: without it the series draws candles). */
export function toFootprintData(candles: CandlesResponse): FootprintSeriesData {
  const n = minLen([candles.t, candles.o, candles.h, candles.l, candles.c]);
  const fp = candles.footprint;
  const store = buildStore(fp, n);
  const bars: (FootprintBarData | { time: Time })[] = [];
  let lastT = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = candles.t[i];
    // The chart orders by its own seconds: compare those, not the milliseconds.
    const sec = t / 1000;
    if (!fin(sec) || sec <= lastT) continue;
    lastT = sec;
    const o = candles.o[i];
    const h = candles.h[i];
    const l = candles.l[i];
    const c = candles.c[i];
    if (!fin(o) || !fin(h) || !fin(l) || !fin(c) || h < l) {
      bars.push({ time: toTime(t) });
      continue;
    }
    bars.push({ time: toTime(t), open: o, high: Math.max(h, o, c), low: Math.min(l, o, c), close: c, i, store });
  }
  return { bars, store };
}

/** Just the store of `toFootprintData(candles)`: the levels, for items that already point at a store (`replaceStore`). */
export function toFootprintStore(candles: CandlesResponse): FootprintStore {
  return buildStore(candles.footprint, minLen([candles.t, candles.o, candles.h, candles.l, candles.c]));
}

/**
 * Puts `source`'s levels in `target`, in place: every item pointing at `target` (bar `i` of the
 * same candles, or of more of them) draws them at its next paint, without a new `setData` of
 * every bar (lightweight-charts re-converts and re-indexes each of 50k items for that).
 */
export function replaceStore(target: FootprintStore, source: FootprintStore): void {
  Object.assign(target as { -readonly [K in keyof FootprintStore]: FootprintStore[K] }, source);
}

function minLen(cols: readonly (readonly unknown[] | undefined)[]): number {
  let n = Infinity;
  for (const c of cols) n = Math.min(n, Array.isArray(c) ? c.length : 0);
  return n === Infinity ? 0 : n;
}

function buildStore(fp: FootprintColumns | undefined, bars: number): FootprintStore {
  const levels = fp ? minLen([fp.price, fp.bid, fp.ask]) : 0;
  const start = new Int32Array(bars);
  const end = new Int32Array(bars);
  const price = new Float64Array(levels);
  const bid = new Float64Array(levels);
  const ask = new Float64Array(levels);
  const flags = new Uint8Array(levels);
  const poc = new Float64Array(bars).fill(NaN);
  const vah = new Float64Array(bars).fill(NaN);
  const val = new Float64Array(bars).fill(NaN);
  const maxCell = new Float64Array(bars);
  const levelSize = fp && fin(fp.levelSize) && fp.levelSize > 0 ? fp.levelSize : NaN;
  if (fp && fin(levelSize)) {
    for (let k = 0; k < levels; k++) {
      const p = fp.price[k];
      const b = fp.bid[k];
      const a = fp.ask[k];
      price[k] = p;
      bid[k] = b;
      ask[k] = a;
      let f = 0;
      if (!fin(p) || !fin(b) || !fin(a) || b < 0 || a < 0) f = BAD_LEVEL;
      else {
        if (fp.bidImb?.[k] === 1) f |= BID_IMB;
        if (fp.askImb?.[k] === 1) f |= ASK_IMB;
      }
      flags[k] = f;
    }
    const off = Array.isArray(fp.offset) ? fp.offset : [];
    for (let i = 0; i < bars; i++) {
      const s = off[i];
      const e = off[i + 1];
      if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e < s) continue;
      start[i] = Math.min(s, levels);
      end[i] = Math.min(e, levels);
      let m = 0;
      for (let k = start[i]; k < end[i]; k++) if (flags[k] !== BAD_LEVEL) m = Math.max(m, bid[k], ask[k]);
      maxCell[i] = m;
      if (fin(fp.poc?.[i])) poc[i] = fp.poc[i];
      if (fin(fp.vah?.[i]) && fin(fp.val?.[i]) && fp.vah[i] >= fp.val[i]) {
        vah[i] = fp.vah[i];
        val[i] = fp.val[i];
      }
    }
  }
  // Stacked runs grouped by bar (counting sort keeps them allocation-light for any order).
  const runs = fp && fin(levelSize) && Array.isArray(fp.stacked) ? fp.stacked : [];
  const ok = (r: FootprintColumns['stacked'][number]) =>
    r != null && Number.isInteger(r.bar) && r.bar >= 0 && r.bar < bars && (r.side === 'bid' || r.side === 'ask') && fin(r.low) && fin(r.high) && r.high >= r.low;
  const stackStart = new Int32Array(bars + 1);
  for (const r of runs) if (ok(r)) stackStart[r.bar + 1]++;
  for (let i = 0; i < bars; i++) stackStart[i + 1] += stackStart[i];
  const total = stackStart[bars];
  const stackSide = new Int8Array(total);
  const stackLow = new Float64Array(total);
  const stackHigh = new Float64Array(total);
  const fill = stackStart.slice(0, bars);
  for (const r of runs) {
    if (!ok(r)) continue;
    const k = fill[r.bar]++;
    stackSide[k] = r.side === 'ask' ? 1 : -1;
    stackLow[k] = r.low;
    stackHigh[k] = r.high;
  }
  return { levelSize, start, end, price, bid, ask, flags, poc, vah, val, maxCell, stackStart, stackSide, stackLow, stackHigh };
}
