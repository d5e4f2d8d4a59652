/**
 * The heatmap's data: sparse HeatmapColumns (src/server/api.ts) to typed arrays sorted by time
 * column, each cell's value already divided by the map's maximum, so a frame finds the visible
 * columns by binary search and colours a cell with one lookup. BookHeatmapResponse adds the best
 * bid / ask per column and the walls.
 *
 * Bad cells are dropped here, never drawn: a non-integer index, a non-finite, zero or negative
 * value; ragged columns are read up to the shortest. A missing or bad `max` is recomputed.
 */
import type { BookHeatmapResponse, HeatmapColumns } from '../../../api.ts';

export interface HeatmapStore {
  readonly t0: number;
  readonly tfMs: number;
  readonly p0: number;
  readonly binSize: number;
  /** Cells sorted by column. */
  readonly tIndex: Int32Array;
  readonly pIndex: Int32Array;
  /** value / max, in (0, 1]. */
  readonly norm: Float64Array;
  /** 1 long liquidated, -1 short liquidated, 0 no side (the book). */
  readonly side: Int8Array;
  /** Lowest and highest price any cell covers (autoscale), NaN when empty. */
  readonly minPrice: number;
  readonly maxPrice: number;
  /** The value `norm` 1 stands for (quote notional), 0 when empty: live cells are scaled by it too. */
  readonly max: number;
}

export type WallOutcome = 'bait' | 'pulled' | 'consumed' | 'resting';

export interface Wall {
  readonly side: 'bid' | 'ask';
  readonly price: number;
  readonly size: number;
  readonly outcome: WallOutcome;
  readonly firstMs: number;
  readonly endMs: number;
}

export interface BookLayer {
  readonly heatmap: HeatmapStore;
  /** Per heatmap column from `lineFrom` (bestBid[i] is column lineFrom + i, time t0 + column*tfMs), NaN where unknown. */
  readonly lineFrom: number;
  readonly bestBid: Float64Array;
  readonly bestAsk: Float64Array;
  readonly walls: readonly Wall[];
}

const fin = Number.isFinite;

export const EMPTY_HEATMAP: HeatmapStore = {
  t0: 0, tfMs: 1, p0: 0, binSize: 1,
  tIndex: new Int32Array(0), pIndex: new Int32Array(0), norm: new Float64Array(0), side: new Int8Array(0),
  minPrice: NaN, maxPrice: NaN, max: 0,
};

export function toHeatmap(h: HeatmapColumns | undefined | null): HeatmapStore {
  if (!h || !fin(h.t0) || !fin(h.tfMs) || h.tfMs <= 0 || !fin(h.p0) || !fin(h.binSize) || h.binSize <= 0) return EMPTY_HEATMAP;
  const cols = [h.tIndex, h.pIndex, h.value];
  if (!cols.every(Array.isArray)) return EMPTY_HEATMAP;
  const n = Math.min(h.tIndex.length, h.pIndex.length, h.value.length);
  const keep: number[] = [];
  let max = 0;
  for (let k = 0; k < n; k++) {
    const v = h.value[k];
    if (!Number.isInteger(h.tIndex[k]) || !Number.isInteger(h.pIndex[k]) || !fin(v) || v <= 0) continue;
    if (Math.abs(h.tIndex[k]) > 2 ** 31 - 2 || Math.abs(h.pIndex[k]) > 2 ** 31 - 2) continue;
    keep.push(k);
    if (v > max) max = v;
  }
  // The wire's max scales the colours when it is sane (it may cover cells outside this range).
  if (fin(h.max) && h.max >= max) max = h.max;
  // A value so small next to the max that the ratio underflows would never show: drop it.
  const visible = keep.filter((k) => h.value[k] / max > 0);
  visible.sort((a, b) => h.tIndex[a] - h.tIndex[b] || a - b);
  const m = visible.length;
  const tIndex = new Int32Array(m);
  const pIndex = new Int32Array(m);
  const norm = new Float64Array(m);
  const side = new Int8Array(m);
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < m; j++) {
    const k = visible[j];
    tIndex[j] = h.tIndex[k];
    pIndex[j] = h.pIndex[k];
    norm[j] = h.value[k] / max;
    const s = h.side?.[k];
    side[j] = s === 1 ? 1 : s === -1 ? -1 : 0;
    lo = Math.min(lo, pIndex[j]);
    hi = Math.max(hi, pIndex[j] + 1);
  }
  return {
    t0: h.t0, tfMs: h.tfMs, p0: h.p0, binSize: h.binSize, tIndex, pIndex, norm, side,
    minPrice: m ? h.p0 + lo * h.binSize : NaN,
    maxPrice: m ? h.p0 + hi * h.binSize : NaN,
    max: m ? max : 0,
  };
}

const OUTCOMES: readonly WallOutcome[] = ['bait', 'pulled', 'consumed', 'resting'];

export function toBookLayer(r: BookHeatmapResponse): BookLayer {
  const heatmap = toHeatmap(r?.heatmap);
  const cols = heatmap.tIndex.length ? heatmap.tIndex[heatmap.tIndex.length - 1] + 1 : 0;
  // null where the server knew no touch (JSON has no NaN).
  const line = (src: readonly (number | null)[] | undefined) => {
    const a = new Float64Array(Math.max(cols, Array.isArray(src) ? src.length : 0)).fill(NaN);
    if (Array.isArray(src)) {
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (typeof v === 'number' && fin(v) && v > 0) a[i] = v;
      }
    }
    return a;
  };
  const walls = (Array.isArray(r?.walls) ? r.walls : []).filter(wellFormed);
  return { heatmap, lineFrom: 0, bestBid: line(r?.bestBid), bestAsk: line(r?.bestAsk), walls: walls.map(wallOf) };
}

/** The wire's wall as the layer keeps it (the live `book` message's walls have the same shape). */
function wallOf(w: Wall): Wall {
  return { side: w.side, price: w.price, size: w.size, outcome: w.outcome, firstMs: w.firstMs, endMs: w.endMs };
}

function wellFormed(w: Wall | null | undefined): w is Wall {
  return w != null && (w.side === 'bid' || w.side === 'ask') && fin(w.price) && fin(w.size) && OUTCOMES.includes(w.outcome) && fin(w.firstMs) && fin(w.endMs) && w.endMs >= w.firstMs;
}

/** A live `book` message (api.ts LiveMessage) as the live book layer takes it. */
export interface LiveBookSample {
  readonly t: number;
  readonly bids: readonly (readonly [number, number])[];
  readonly asks: readonly (readonly [number, number])[];
  readonly walls?: readonly Wall[];
}

/** Live columns kept at most: a reload (every new candle) replaces them with the stored book. */
const MAX_LIVE_COLUMNS = 240;

/**
 * The book heatmap's live columns, on the history layer's grid (its t0, column width, rows and
 * colour scale): each column holds the last book message that fell in it, as the history samples
 * the book at each column's end. Walls that ended arrive with the messages and are kept. The
 * history layer stays as it was; the primitive draws these columns over its own (setBookTail).
 */
export class LiveBookColumns {
  private readonly cols = new Map<number, LiveBookSample>();
  private readonly walls: Wall[] = [];
  private readonly t0: number;
  private readonly tfMs: number;
  private readonly p0: number;
  private binSize: number;
  private readonly max: number;

  /** `base` the stored layer; `fallback` the grid when it has no cells (no stored book yet): the candles' first open and bar, rows 10 bps of `price`. */
  constructor(base: BookLayer, fallback: { t0: number; tfMs: number }) {
    const h = base.heatmap;
    const empty = h.tIndex.length === 0;
    this.t0 = empty ? fallback.t0 : h.t0;
    this.tfMs = empty ? fallback.tfMs : h.tfMs;
    this.p0 = empty ? 0 : h.p0;
    this.binSize = empty ? NaN : h.binSize;
    this.max = h.max;
  }

  /** Takes one message; false when it is unusable (no finite time, or before the grid). */
  add(m: LiveBookSample): boolean {
    if (!fin(m?.t) || !Array.isArray(m.bids) || !Array.isArray(m.asks)) return false;
    const col = Math.floor((m.t - this.t0) / this.tfMs);
    if (!(col >= 0)) return false;
    this.cols.set(col, m);
    if (this.cols.size > MAX_LIVE_COLUMNS) this.cols.delete(Math.min(...this.cols.keys()));
    if (Array.isArray(m.walls)) for (const w of m.walls) if (wellFormed(w)) this.walls.push(wallOf(w));
    return true;
  }

  /** The live columns as a layer on the history's grid: cells normalised by the history's max (capped at 1). */
  layer(): BookLayer {
    const keys = [...this.cols.keys()].sort((a, b) => a - b);
    if (keys.length === 0) return { heatmap: EMPTY_HEATMAP, lineFrom: 0, bestBid: new Float64Array(0), bestAsk: new Float64Array(0), walls: this.walls.slice() };
    let binSize = this.binSize;
    if (!(binSize > 0)) {
      // No stored book to take rows from: rows about 10 bps of the first live mid, a round number.
      const first = this.cols.get(keys[0])!;
      const mid = first.bids[0]?.[0] ?? first.asks[0]?.[0] ?? 1;
      binSize = roundStep((mid * 10) / 10_000);
      this.binSize = binSize;
    }
    const from = keys[0];
    const n = keys[keys.length - 1] - from + 1;
    const bestBid = new Float64Array(n).fill(NaN);
    const bestAsk = new Float64Array(n).fill(NaN);
    const cells = new Map<number, number>();
    const tIndex: number[] = [];
    const pIndex: number[] = [];
    const value: number[] = [];
    for (const col of keys) {
      const m = this.cols.get(col)!;
      cells.clear();
      for (const side of [m.bids, m.asks]) {
        for (const lv of side) {
          const [price, qty] = lv ?? [];
          if (!fin(price) || !fin(qty) || price <= 0 || qty <= 0) continue;
          const row = Math.floor((price - this.p0) / binSize + 1e-9);
          cells.set(row, (cells.get(row) ?? 0) + price * qty);
        }
      }
      for (const [row, v] of cells) {
        tIndex.push(col);
        pIndex.push(row);
        value.push(v);
      }
      const bb = m.bids[0]?.[0];
      const ba = m.asks[0]?.[0];
      if (fin(bb) && bb > 0) bestBid[col - from] = bb;
      if (fin(ba) && ba > 0) bestAsk[col - from] = ba;
    }
    let max = this.max;
    if (!(max > 0)) for (const v of value) max = Math.max(max, v);
    // The history's scale, so a live column reads against the stored ones; a level above it is full colour.
    const heatmap = toHeatmap({ t0: this.t0, tfMs: this.tfMs, p0: this.p0, binSize, tIndex, pIndex, value: value.map((v) => Math.min(v, max)), max });
    return { heatmap, lineFrom: from, bestBid, bestAsk, walls: this.walls.slice() };
  }
}

/** 1, 2 or 5 times a power of ten, at or below `x` (x > 0). */
function roundStep(x: number): number {
  if (!(x > 0) || !fin(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}
