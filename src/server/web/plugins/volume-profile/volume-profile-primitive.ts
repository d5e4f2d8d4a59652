/**
 * Volume by price over the visible bars (or a fixed range) as a horizontal histogram at the
 * pane's edge, the point of control highlighted (series primitive, the three roles of
 * lightweight-charts' volume-profile example: the primitive owns the data, the pane view sums
 * and places rows in update(), the renderer paints). Sums go into a reused Float64Array.
 *
 *   const profile = new VolumeProfilePrimitive();  series.attachPrimitive(profile);
 *   profile.setData(toProfileStore(candles));      // candles with footprint=1
 */
import type { IPrimitivePaneView, Logical, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { lowerBound } from '../../../../core/columns.ts';
import { OptionsPrimitive } from '../helpers/primitive-base.ts';
import type { ProfileStore } from './data.ts';
import { defaultOptions, type VolumeProfileOptions } from './options.ts';
import { VolumeProfileRenderer, type ProfileFrame } from './renderer.ts';

class ProfilePaneView implements IPrimitivePaneView {
  private sums = new Float64Array(0);
  private readonly frame: ProfileFrame = {
    count: 0, y0: new Float32Array(0), y1: new Float32Array(0), x0: new Float32Array(0), x1: new Float32Array(0), poc: -1, color: '', pocColor: '',
  };
  private readonly _renderer = new VolumeProfileRenderer(this.frame);
  constructor(private readonly source: VolumeProfilePrimitive) {}

  zOrder(): PrimitivePaneViewZOrder {
    return 'normal';
  }

  renderer(): VolumeProfileRenderer {
    return this._renderer;
  }

  update(): void {
    const s = this.source;
    const f = this.frame;
    const d = s.store;
    f.count = 0;
    f.poc = -1;
    const chart = s.chart;
    const series = s.series;
    if (!chart || !series || !d || d.rows === 0) return;
    const o = s.options;
    f.color = o.color;
    f.pocColor = o.pocColor;
    let b0: number;
    let b1: number;
    if (o.range) {
      b0 = lowerBound(d.t, o.range.fromMs);
      b1 = lowerBound(d.t, o.range.toMs);
    } else {
      const r = chart.timeScale().getVisibleLogicalRange();
      if (!r) return;
      b0 = Math.max(0, Math.ceil(r.from as Logical));
      b1 = Math.min(d.t.length, Math.floor(r.to as Logical) + 1);
    }
    if (this.sums.length < d.rows) this.sums = new Float64Array(d.rows);
    const sums = this.sums;
    let lo = d.rows;
    let hi = -1;
    for (let b = b0; b < b1; b++) {
      for (let k = d.start[b]; k < d.end[b]; k++) {
        const r = d.row[k];
        if (r < lo) {
          if (hi >= 0) sums.fill(0, r, lo);
          else sums[r] = 0;
          lo = r;
        }
        if (r > hi) {
          if (hi >= 0) sums.fill(0, hi + 1, r + 1);
          else sums[r] = 0;
          hi = r;
        }
        sums[r] += d.volume[k];
      }
    }
    if (hi < 0) return;
    let max = 0;
    let poc = lo;
    for (let r = lo; r <= hi; r++) if (sums[r] > max) { max = sums[r]; poc = r; }
    if (max <= 0) return;
    const n = hi - lo + 1;
    if (f.y0.length < n) {
      f.y0 = new Float32Array(n); f.y1 = new Float32Array(n); f.x0 = new Float32Array(n); f.x1 = new Float32Array(n);
    }
    const width = chart.paneSize(series.getPane().paneIndex()).width;
    const full = width * o.widthFraction;
    for (let r = lo; r <= hi; r++) {
      if (sums[r] <= 0) continue;
      const ya = series.priceToCoordinate(d.minPrice + (r + 1) * d.levelSize);
      const yb = series.priceToCoordinate(d.minPrice + r * d.levelSize);
      if (ya === null || yb === null) continue;
      const w = (full * sums[r]) / max;
      const i = f.count++;
      f.y0[i] = ya; f.y1[i] = yb;
      f.x0[i] = o.side === 'right' ? width - w : 0;
      f.x1[i] = o.side === 'right' ? width : w;
      if (r === poc) f.poc = i;
    }
  }
}

export class VolumeProfilePrimitive extends OptionsPrimitive<VolumeProfileOptions> {
  store: ProfileStore | null = null;
  protected readonly views = [new ProfilePaneView(this)];

  constructor(options: Partial<VolumeProfileOptions> = {}) {
    super(defaultOptions, options);
  }

  setData(store: ProfileStore): void {
    this.store = store;
    this.requestUpdate();
  }
}
