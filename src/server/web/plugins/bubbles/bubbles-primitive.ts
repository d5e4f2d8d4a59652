/**
 * Big prints as circles (series primitive): centre at the print's time and price, area
 * proportional to notional, green for buyer aggressors and red for sellers. Only prints in the
 * visible time range are placed, into buffers reused frame to frame.
 *
 *   const bubbles = new BubblesPrimitive(grid);  series.attachPrimitive(bubbles);
 *   bubbles.setPrints(toBubbles(prints));
 */
import type { IPrimitivePaneView, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { lowerBound } from '../../../../core/columns.ts';
import { OptionsPrimitive } from '../helpers/primitive-base.ts';
import type { TimeGrid } from '../helpers/time-grid.ts';
import { withAlpha } from '../theme.ts';
import type { BubbleStore } from './data.ts';
import { defaultOptions, type BubblesOptions } from './options.ts';
import { BubblesRenderer, type BubbleFrame } from './renderer.ts';

const EMPTY: BubbleStore = { t: new Float64Array(0), price: new Float64Array(0), notional: new Float64Array(0), side: new Int8Array(0), max: 0 };

class BubblesPaneView implements IPrimitivePaneView {
  private readonly frame: BubbleFrame = {
    count: 0, x: new Float32Array(64), y: new Float32Array(64), r: new Float32Array(64), side: new Int8Array(64),
    buyFill: '', sellFill: '', buyStroke: '', sellStroke: '',
  };
  private readonly _renderer = new BubblesRenderer(this.frame);
  constructor(private readonly source: BubblesPrimitive) {}

  zOrder(): PrimitivePaneViewZOrder {
    return 'top';
  }

  renderer(): BubblesRenderer {
    return this._renderer;
  }

  update(): void {
    const s = this.source;
    const f = this.frame;
    f.count = 0;
    const chart = s.chart;
    const series = s.series;
    const range = chart?.timeScale().getVisibleLogicalRange();
    if (!chart || !series || !range || s.grid.length === 0) return;
    const o = s.options;
    f.buyFill = s.colours.buyFill;
    f.sellFill = s.colours.sellFill;
    f.buyStroke = o.buyColor;
    f.sellStroke = o.sellColor;
    const d = s.prints;
    const from = s.grid.toMs(range.from - 1);
    const to = s.grid.toMs(range.to + 1);
    for (let k = lowerBound(d.t, from); k < d.t.length && d.t[k] <= to; k++) {
      const y = series.priceToCoordinate(d.price[k]);
      const x = s.grid.x(chart, d.t[k]);
      if (y === null || !Number.isFinite(x)) continue;
      if (f.count === f.x.length) this.grow();
      const i = f.count++;
      f.x[i] = x;
      f.y[i] = y;
      f.r[i] = Math.max(o.minRadius, o.maxRadius * Math.sqrt(d.notional[k] / d.max));
      f.side[i] = d.side[k];
    }
  }

  private grow(): void {
    const f = this.frame;
    const n = f.x.length * 2;
    const x = new Float32Array(n); x.set(f.x); f.x = x;
    const y = new Float32Array(n); y.set(f.y); f.y = y;
    const r = new Float32Array(n); r.set(f.r); f.r = r;
    const s = new Int8Array(n); s.set(f.side); f.side = s;
  }
}

export class BubblesPrimitive extends OptionsPrimitive<BubblesOptions> {
  prints: BubbleStore = EMPTY;
  colours = { buyFill: '', sellFill: '' };
  protected readonly views = [new BubblesPaneView(this)];

  constructor(
    readonly grid: TimeGrid,
    options: Partial<BubblesOptions> = {},
  ) {
    super(defaultOptions, options);
    this.optionsChanged();
  }

  setPrints(prints: BubbleStore): void {
    this.prints = prints;
    this.requestUpdate();
  }

  protected override optionsChanged(): void {
    this.colours = { buyFill: withAlpha(this.options.buyColor, this.options.fillAlpha), sellFill: withAlpha(this.options.sellColor, this.options.fillAlpha) };
  }
}
