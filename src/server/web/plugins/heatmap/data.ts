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
  /** Per heatmap column (time t0 + i*tfMs), NaN where unknown. */
  readonly bestBid: Float64Array;
  readonly bestAsk: Float64Array;
  readonly walls: readonly Wall[];
}

const fin = Number.isFinite;

export const EMPTY_HEATMAP: HeatmapStore = {
  t0: 0, tfMs: 1, p0: 0, binSize: 1,
  tIndex: new Int32Array(0), pIndex: new Int32Array(0), norm: new Float64Array(0), side: new Int8Array(0),
  minPrice: NaN, maxPrice: NaN,
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
  const walls = (Array.isArray(r?.walls) ? r.walls : []).filter(
    (w) => w != null && (w.side === 'bid' || w.side === 'ask') && fin(w.price) && fin(w.size) && OUTCOMES.includes(w.outcome) && fin(w.firstMs) && fin(w.endMs) && w.endMs >= w.firstMs,
  );
  return { heatmap, bestBid: line(r?.bestBid), bestAsk: line(r?.bestAsk), walls };
}
