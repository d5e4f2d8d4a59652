/**
 * Big prints' data: PrintsResponse to typed arrays sorted by time (a frame finds the visible ones
 * by binary search). A print with a non-finite time, price or notional, a notional not above
 * zero or a side other than 1 / -1 is dropped; ragged columns are read up to the shortest.
 */
import type { PrintsResponse } from '../../../api.ts';

export interface BubbleStore {
  readonly t: Float64Array;
  readonly price: Float64Array;
  readonly notional: Float64Array;
  readonly side: Int8Array;
  /** Largest notional: the biggest circle. */
  readonly max: number;
}

const fin = Number.isFinite;

/**
 * `minNotional` (default 0) drops smaller prints: the dashboard passes the size pane's large
 * threshold, so a bubble is a print that pane counts as large.
 */
export function toBubbles(p: PrintsResponse | null | undefined, minNotional = 0): BubbleStore {
  const cols = [p?.t, p?.price, p?.notional, p?.side];
  const n = cols.every(Array.isArray) ? Math.min(...cols.map((c) => (c as unknown[]).length)) : 0;
  const keep: number[] = [];
  for (let k = 0; k < n; k++) {
    const s = p!.side[k];
    if (fin(p!.t[k]) && fin(p!.price[k]) && p!.price[k] > 0 && fin(p!.notional[k]) && p!.notional[k] > 0 && p!.notional[k] >= minNotional && (s === 1 || s === -1)) keep.push(k);
  }
  keep.sort((a, b) => p!.t[a] - p!.t[b] || a - b);
  const m = keep.length;
  const out = { t: new Float64Array(m), price: new Float64Array(m), notional: new Float64Array(m), side: new Int8Array(m), max: 0 };
  for (let j = 0; j < m; j++) {
    const k = keep[j];
    out.t[j] = p!.t[k];
    out.price[j] = p!.price[k];
    out.notional[j] = p!.notional[k];
    out.side[j] = p!.side[k];
    out.max = Math.max(out.max, out.notional[j]);
  }
  return out;
}
