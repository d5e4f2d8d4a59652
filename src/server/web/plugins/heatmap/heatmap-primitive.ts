/**
 * A time x price heatmap drawn behind a series (lightweight-charts series primitive): the realized
 * liquidation heatmap (longs and shorts in two hues) or the book heatmap (resting size,
 * Bookmap-like palette, with best bid / ask and the walls: pulled, consumed and bait each in its
 * own colour, line style, end mark and label).
 *
 *   const heat = new HeatmapPrimitive(grid, { mode: 'liquidation' });
 *   series.attachPrimitive(heat);
 *   heat.setHeatmap(toHeatmap(liquidations.heatmap));   // or heat.setBook(toBookLayer(book))
 *   heat.setBookTail(live.layer());                      // live columns (LiveBookColumns) over the stored book
 */
import type { AutoscaleInfo, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { lowerBound } from '../../../../core/columns.ts';
import { OptionsPrimitive, type UpdatingPaneView } from '../helpers/primitive-base.ts';
import type { TimeGrid } from '../helpers/time-grid.ts';
import { ramp } from '../theme.ts';
import { EMPTY_HEATMAP, type BookLayer, type HeatmapStore } from './data.ts';
import { defaultOptions, type HeatmapOptions } from './options.ts';
import { HeatmapRenderer, type HeatmapFrame } from './renderer.ts';

const SHADES = 64;

class HeatmapPaneView implements UpdatingPaneView {
  private readonly frame: HeatmapFrame = {
    count: 0, x0: new Float32Array(0), x1: new Float32Array(0), y0: new Float32Array(0), y1: new Float32Array(0),
    colour: new Uint16Array(0), palette: [], lineCount: 0, lx0: new Float32Array(0), lx1: new Float32Array(0),
    lBid: new Float32Array(0), lAsk: new Float32Array(0), bidColor: '', askColor: '', walls: [],
  };
  private readonly _renderer = new HeatmapRenderer(this.frame, 'cells');
  /** Best bid / ask and walls, drawn over the series from this view's frame (its update has nothing to do). */
  readonly overlay: UpdatingPaneView;
  constructor(private readonly source: HeatmapPrimitive) {
    const overlay = new HeatmapRenderer(this.frame, 'overlay');
    this.overlay = { zOrder: () => 'normal', renderer: () => overlay, update: () => {} };
  }

  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }

  renderer(): HeatmapRenderer {
    return this._renderer;
  }

  update(): void {
    const s = this.source;
    const f = this.frame;
    f.count = 0;
    f.lineCount = 0;
    f.walls = [];
    const chart = s.chart;
    const series = s.series;
    const range = chart?.timeScale().getVisibleLogicalRange();
    if (!chart || !series || !range || s.grid.length === 0) return;
    const o = s.options;
    // The host series may live in any pane (the book heatmap gets its own).
    const height = chart.paneSize(series.getPane().paneIndex()).height;
    const h = s.heatmap;
    // Visible columns, from the visible logical range through the bar grid.
    const c0 = Math.floor((s.grid.toMs(range.from - 1) - h.t0) / h.tfMs);
    const c1 = Math.ceil((s.grid.toMs(range.to + 1) - h.t0) / h.tfMs);
    const tail = o.mode === 'book' ? s.tail : null;
    // Live columns replace the stored ones from their first column on.
    const tailFrom = tail && tail.heatmap.tIndex.length ? tail.lineFrom : Infinity;
    this.ensure(1024);
    const palette = s.palette;
    f.palette = o.mode === 'book' ? palette.book : palette.liquidation;
    this.cells(h, c0, Math.min(c1, tailFrom - 1), height);
    // The tail is on the stored grid, or its own when nothing is stored yet.
    const th = tail?.heatmap ?? h;
    const tc0 = Math.floor((s.grid.toMs(range.from - 1) - th.t0) / th.tfMs);
    const tc1 = Math.ceil((s.grid.toMs(range.to + 1) - th.t0) / th.tfMs);
    if (tail && tailFrom !== Infinity) this.cells(th, Math.max(tc0, tailFrom), tc1, height);
    const book = s.book;
    if (!book || o.mode !== 'book') return;
    if (o.showBestBidAsk) {
      f.lineCount = 0;
      this.lines(book, c0, Math.min(c1, tailFrom - 1));
      if (tail && tailFrom !== Infinity) this.lines(tail, Math.max(tc0, tailFrom), tc1);
      f.bidColor = o.bestBidColor;
      f.askColor = o.bestAskColor;
    }
    if (o.showWalls) {
      const labelled = f.walls;
      for (const layer of tail ? [book, tail] : [book]) {
        for (const w of layer.walls) {
          const y = series.priceToCoordinate(w.price);
          const x0 = s.grid.x(chart, w.firstMs);
          const x1 = s.grid.x(chart, w.endMs);
          if (y === null || !Number.isFinite(x0) || !Number.isFinite(x1) || x1 < 0 || y < 0 || y > height) continue;
          labelled.push({ x0, x1, y, color: o.wallColors[w.outcome], ...WALL_STYLE[w.outcome], label: `${w.outcome} ${w.side} ${w.size}`, size: w.size });
        }
      }
      // Labels only on the largest walls in view: on a busy book every wall's label would bury the map.
      if (labelled.length > o.wallLabels) {
        const keep = labelled.map((w) => w.size).sort((a, b) => b - a)[o.wallLabels - 1] ?? Infinity;
        let left = o.wallLabels;
        for (const w of labelled) {
          if (w.size >= keep && left > 0) left--;
          else w.label = '';
        }
      }
    }
  }

  /** The cells of columns c0..c1 of `h` in view, appended to the frame. */
  private cells(h: HeatmapStore, c0: number, c1: number, height: number): void {
    const s = this.source;
    const f = this.frame;
    const chart = s.chart!;
    const series = s.series!;
    const o = s.options;
    const book = o.mode === 'book';
    let col = NaN;
    let xa = 0;
    let xb = 0;
    for (let k = lowerBound(h.tIndex, c0); k < h.tIndex.length && h.tIndex[k] <= c1; k++) {
      const v = scaled(h.norm[k], o.scale);
      if (v < o.threshold) continue;
      if (h.tIndex[k] !== col) {
        col = h.tIndex[k];
        xa = s.grid.x(chart, h.t0 + col * h.tfMs);
        xb = s.grid.x(chart, h.t0 + (col + 1) * h.tfMs);
      }
      const ya = series.priceToCoordinate(h.p0 + (h.pIndex[k] + 1) * h.binSize);
      const yb = series.priceToCoordinate(h.p0 + h.pIndex[k] * h.binSize);
      if (ya === null || yb === null || yb < 0 || ya > height || !(xb > xa)) continue;
      if (f.count === f.x0.length) this.ensure(f.count * 2);
      const i = f.count++;
      f.x0[i] = xa; f.x1[i] = xb; f.y0[i] = ya; f.y1[i] = yb;
      const shade = Math.min(SHADES - 1, Math.floor(v * SHADES));
      f.colour[i] = book ? shade : h.side[k] < 0 ? SHADES + shade : shade;
    }
  }

  /** Best bid / ask segments of columns c0..c1 of `layer`, appended to the frame. */
  private lines(layer: BookLayer, c0: number, c1: number): void {
    const s = this.source;
    const f = this.frame;
    const chart = s.chart!;
    const series = s.series!;
    const h = layer.heatmap;
    const a = Math.max(c0, layer.lineFrom);
    const b = Math.min(layer.lineFrom + layer.bestBid.length - 1, c1);
    if (b < a) return;
    const need = f.lineCount + b - a + 1;
    if (f.lx0.length < need) {
      const m = Math.max(16, need * 2);
      const grow = (x: Float32Array) => {
        const y = new Float32Array(m);
        y.set(x);
        return y;
      };
      f.lx0 = grow(f.lx0); f.lx1 = grow(f.lx1); f.lBid = grow(f.lBid); f.lAsk = grow(f.lAsk);
    }
    for (let c = a; c <= b; c++) {
      const i = f.lineCount++;
      f.lx0[i] = s.grid.x(chart, h.t0 + c * h.tfMs);
      f.lx1[i] = s.grid.x(chart, h.t0 + (c + 1) * h.tfMs);
      f.lBid[i] = series.priceToCoordinate(layer.bestBid[c - layer.lineFrom]) ?? NaN;
      f.lAsk[i] = series.priceToCoordinate(layer.bestAsk[c - layer.lineFrom]) ?? NaN;
    }
  }

  private ensure(n: number): void {
    const f = this.frame;
    if (f.x0.length >= n) return;
    const grow = <T extends Float32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    f.x0 = grow(f.x0, (m) => new Float32Array(m));
    f.x1 = grow(f.x1, (m) => new Float32Array(m));
    f.y0 = grow(f.y0, (m) => new Float32Array(m));
    f.y1 = grow(f.y1, (m) => new Float32Array(m));
    f.colour = grow(f.colour, (m) => new Uint16Array(m));
  }
}

/** Pulled: dashed, ends in a cross. Consumed: solid, ends in a dot. Bait: dotted. Resting: solid. */
const WALL_STYLE: Record<'pulled' | 'consumed' | 'bait' | 'resting', { dash: number[]; end: 'cross' | 'dot' | 'none' }> = {
  pulled: { dash: [6, 4], end: 'cross' },
  consumed: { dash: [], end: 'dot' },
  bait: { dash: [2, 3], end: 'cross' },
  resting: { dash: [], end: 'none' },
};

function scaled(norm: number, scale: 'sqrt' | 'log'): number {
  return scale === 'log' ? Math.log1p(99 * norm) / Math.log(100) : Math.sqrt(norm);
}

export class HeatmapPrimitive extends OptionsPrimitive<HeatmapOptions> {
  heatmap: HeatmapStore = EMPTY_HEATMAP;
  book: BookLayer | null = null;
  /** Book mode: live columns drawn over the stored ones from their first column on. */
  tail: BookLayer | null = null;
  palette!: { liquidation: string[]; book: string[] };
  private readonly view = new HeatmapPaneView(this);
  protected readonly views = [this.view, this.view.overlay];

  constructor(
    readonly grid: TimeGrid,
    options: Partial<HeatmapOptions> = {},
  ) {
    super(defaultOptions, options);
    this.optionsChanged();
  }

  /** A liquidation (or any) heatmap; clears the book extras. */
  setHeatmap(heatmap: HeatmapStore): void {
    this.heatmap = heatmap;
    this.book = null;
    this.requestUpdate();
  }

  /** The book heatmap with its best bid / ask and walls; drops the live columns (the stored book now covers them). */
  setBook(book: BookLayer): void {
    this.heatmap = book.heatmap;
    this.book = book;
    this.tail = null;
    this.requestUpdate();
  }

  /** Live book columns (LiveBookColumns.layer()) on the stored book's grid. */
  setBookTail(tail: BookLayer | null): void {
    this.tail = tail;
    this.requestUpdate();
  }

  /** Keeps the cells in view when the series' own prices would scale them off. */
  autoscaleInfo(): AutoscaleInfo | null {
    if (this.options.mode !== 'book') return null;
    const t = this.tail?.heatmap;
    const lo = Math.min(this.heatmap.minPrice, t?.minPrice ?? NaN);
    const hi = Math.max(this.heatmap.maxPrice, t?.maxPrice ?? NaN);
    // Math.min with NaN is NaN: take whichever layer has cells.
    const minValue = Number.isFinite(lo) ? lo : Number.isFinite(this.heatmap.minPrice) ? this.heatmap.minPrice : (t?.minPrice ?? NaN);
    const maxValue = Number.isFinite(hi) ? hi : Number.isFinite(this.heatmap.maxPrice) ? this.heatmap.maxPrice : (t?.maxPrice ?? NaN);
    if (!Number.isFinite(minValue) || !Number.isFinite(maxValue)) return null;
    return { priceRange: { minValue, maxValue } };
  }

  /** The palettes, from the colour options. */
  protected override optionsChanged(): void {
    const o = this.options;
    const dark = '#0f1117';
    this.palette = {
      // Long shades then short shades: index = shade (+ SHADES for shorts).
      liquidation: [...ramp([dark, o.longColor, '#ffffff'], SHADES, 0.25, 0.95), ...ramp([dark, o.shortColor, '#ffffff'], SHADES, 0.25, 0.95)],
      book: ramp(o.bookStops, SHADES, 0.9, 1),
    };
  }
}
