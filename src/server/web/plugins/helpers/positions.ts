/**
 * Media (CSS) pixels to bitmap pixels for crisp rectangles, as lightweight-charts'
 * plugin-examples/src/helpers/dimensions/positions.ts: both edges are rounded, so neighbouring
 * cells share an edge exactly and a 1-pixel cell never vanishes.
 */
export interface BitmapSpan {
  position: number;
  length: number;
}

/** Span between two media coordinates (any order), at least 1 bitmap pixel. Writes into `out`. */
export function span(a: number, b: number, ratio: number, out: BitmapSpan): BitmapSpan {
  const lo = Math.round(Math.min(a, b) * ratio);
  const hi = Math.round(Math.max(a, b) * ratio);
  out.position = lo;
  out.length = Math.max(1, hi - lo);
  return out;
}

/** A centred line of `width` media pixels at media coordinate `c`. */
export function centredLine(c: number, width: number, ratio: number, out: BitmapSpan): BitmapSpan {
  const w = Math.max(1, Math.floor(width * ratio));
  out.position = Math.round(c * ratio - w / 2);
  out.length = w;
  return out;
}
