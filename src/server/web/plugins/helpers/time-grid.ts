/**
 * Epoch milliseconds to the chart's logical index and back to x. lightweight-charts places bars by
 * index, not by time, and its `timeToCoordinate` knows only times that are bars; our layers have
 * times between bars (a print at 12:03:17), before the first or after the last (a zone running to
 * the right edge), and bars may have gaps. A TimeGrid holds the host series' bar opens and maps
 * any time to a fractional logical index by binary search: within a bar proportionally, past the
 * ends by the bar length `tfMs`.
 */
import type { IChartApiBase, Logical, Time } from 'lightweight-charts';
import { grown } from '../../../../core/columns.ts';

/** Epoch ms beyond ±1e15 (year 33658) is not a time but a unit error. */
const MAX_MS = 1e15;

export class TimeGrid {
  private t = new Float64Array(0);
  private n = 0;
  private tf = 60_000;

  constructor(barOpensMs: ArrayLike<number> = [], tfMs = 60_000) {
    this.set(barOpensMs, tfMs);
  }

  /** Replaces the bars (ascending opens; non-finite or non-ascending entries are skipped). */
  set(barOpensMs: ArrayLike<number>, tfMs: number): void {
    // Below a millisecond (or absurdly long) a bar length is a unit error: fall back to a minute.
    this.tf = Number.isFinite(tfMs) && tfMs >= 1 && tfMs <= 1e12 ? tfMs : 60_000;
    const t = new Float64Array(barOpensMs.length);
    let n = 0;
    for (let i = 0; i < barOpensMs.length; i++) {
      const v = barOpensMs[i];
      if (Number.isFinite(v) && Math.abs(v) <= MAX_MS && (n === 0 || v > t[n - 1])) t[n++] = v;
    }
    this.t = t;
    this.n = n;
  }

  /** Appends a bar open (a live bar); ignored unless later than the last. */
  push(openMs: number): void {
    if (!Number.isFinite(openMs) || Math.abs(openMs) > MAX_MS || (this.n > 0 && openMs <= this.t[this.n - 1])) return;
    if (this.n === this.t.length) this.t = grown(this.t, Math.max(16, this.n * 2));
    this.t[this.n++] = openMs;
  }

  get length(): number {
    return this.n;
  }

  get tfMs(): number {
    return this.tf;
  }

  /** Fractional logical index of a time (bar i spans [i, i+1)); NaN when there are no bars. */
  toLogical(ms: number): number {
    const t = this.t;
    const n = this.n;
    if (n === 0 || !Number.isFinite(ms) || Math.abs(ms) > MAX_MS) return NaN;
    if (ms < t[0]) return (ms - t[0]) / this.tf;
    if (ms >= t[n - 1]) return n - 1 + (ms - t[n - 1]) / this.tf;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (t[mid] <= ms) lo = mid;
      else hi = mid;
    }
    // Inside a gap the bar covers at most tfMs; the rest of the gap is squeezed into nothing.
    return lo + Math.min(1, (ms - t[lo]) / Math.min(this.tf, t[hi] - t[lo]));
  }

  /** Time at a fractional logical index (inverse of toLogical on the bars' own spans). */
  toMs(logical: number): number {
    const n = this.n;
    if (n === 0 || !Number.isFinite(logical)) return NaN;
    if (logical < 0) return this.t[0] + logical * this.tf;
    if (logical >= n - 1) return this.t[n - 1] + (logical - (n - 1)) * this.tf;
    const i = Math.floor(logical);
    return this.t[i] + (logical - i) * Math.min(this.tf, this.t[i + 1] - this.t[i]);
  }

  /**
   * x (media pixels) of time `ms`: the left edge of a bar's span for its open. lightweight-charts'
   * logicalToCoordinate takes whole indexes only (a fraction gives 0) and returns a bar's centre,
   * so the fraction is added with the bar spacing and half a bar subtracted.
   */
  x(chart: IChartApiBase<Time>, ms: number): number {
    const l = this.toLogical(ms);
    if (!Number.isFinite(l)) return NaN;
    const ts = chart.timeScale();
    const a = ts.logicalToCoordinate(0 as Logical);
    const b = ts.logicalToCoordinate(1 as Logical);
    if (a === null || b === null) return NaN;
    return a + (l - 0.5) * (b - a);
  }
}

/** Epoch ms to lightweight-charts' UTC seconds. */
export function toTime(ms: number): Time {
  return (ms / 1000) as Time;
}
