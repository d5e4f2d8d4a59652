/**
 * Two layers, never one: `RealizedZonesPrimitive` draws the liquidation clusters that happened as
 * price bands from their first liquidation to the right edge (dimmed once price came back), and
 * `PredictedLevelsPrimitive` draws the model's projected levels as dashed lines, each labelled
 * "predicted", across the whole pane.
 *
 *   const zones = new RealizedZonesPrimitive(grid);      series.attachPrimitive(zones);
 *   zones.setZones(toRealizedZones(liquidations));
 *   const predicted = new PredictedLevelsPrimitive();    series.attachPrimitive(predicted);
 *   predicted.setLevels(toPredictedLevels(predictedResponse));
 */
import type { IPrimitivePaneView, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { OptionsPrimitive } from '../helpers/primitive-base.ts';
import type { TimeGrid } from '../helpers/time-grid.ts';
import { withAlpha } from '../theme.ts';
import type { PredictedLevel, RealizedZone } from './data.ts';
import { defaultPredictedOptions, defaultZonesOptions, type PredictedOptions, type ZonesOptions } from './options.ts';
import { PredictedRenderer, ZonesRenderer, type LevelLine, type ZoneBox } from './renderer.ts';

class ZonesPaneView implements IPrimitivePaneView {
  private boxes: ZoneBox[] = [];
  private readonly _renderer = new ZonesRenderer(() => this.boxes);
  constructor(private readonly source: RealizedZonesPrimitive) {}

  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }

  renderer(): ZonesRenderer {
    return this._renderer;
  }

  update(): void {
    const s = this.source;
    this.boxes = [];
    const chart = s.chart;
    const series = s.series;
    if (!chart || !series) return;
    const right = chart.paneSize(series.getPane().paneIndex()).width;
    const o = s.options;
    for (const z of s.zones) {
      const x0 = s.grid.x(chart, z.firstMs);
      const y0 = series.priceToCoordinate(z.high);
      const y1 = series.priceToCoordinate(z.low);
      if (!Number.isFinite(x0) || x0 > right || y0 === null || y1 === null) continue;
      const colour = z.side === 'long' ? o.longColor : o.shortColor;
      this.boxes.push({
        x0: Math.max(0, x0), x1: right, y0, y1,
        fill: withAlpha(colour, z.revisited ? o.revisitedAlpha : o.alpha),
        stroke: withAlpha(colour, z.revisited ? 0.35 : 0.9),
        label: o.showLabels ? `${z.side}s liquidated ${compact(z.notional)}${z.revisited ? ' (revisited)' : ''}` : '',
      });
    }
  }
}

export class RealizedZonesPrimitive extends OptionsPrimitive<ZonesOptions> {
  zones: readonly RealizedZone[] = [];
  protected readonly views = [new ZonesPaneView(this)];

  constructor(
    readonly grid: TimeGrid,
    options: Partial<ZonesOptions> = {},
  ) {
    super(defaultZonesOptions, options);
  }

  setZones(zones: readonly RealizedZone[]): void {
    this.zones = zones;
    this.requestUpdate();
  }
}

class PredictedPaneView implements IPrimitivePaneView {
  private lines: LevelLine[] = [];
  private readonly _renderer = new PredictedRenderer(
    () => this.lines,
    () => this.source.options,
  );
  constructor(private readonly source: PredictedLevelsPrimitive) {}

  zOrder(): PrimitivePaneViewZOrder {
    return 'top';
  }

  renderer(): PredictedRenderer {
    return this._renderer;
  }

  update(): void {
    const s = this.source;
    this.lines = [];
    const series = s.series;
    if (!series) return;
    let max = 0;
    for (const l of s.levels) max = Math.max(max, l.notional);
    for (const l of s.levels) {
      const y = series.priceToCoordinate(l.price);
      if (y === null) continue;
      // Heavier projected notional, thicker line (1 to 3 px).
      const width = 1 + (max > 0 ? (2 * l.notional) / max : 0);
      this.lines.push({ y, width, label: `${s.options.label} ${l.side} liq ${l.leverage}x ${compact(l.notional)}` });
    }
  }
}

export class PredictedLevelsPrimitive extends OptionsPrimitive<PredictedOptions> {
  levels: readonly PredictedLevel[] = [];
  protected readonly views = [new PredictedPaneView(this)];

  constructor(options: Partial<PredictedOptions> = {}) {
    super(defaultPredictedOptions, options);
  }

  setLevels(levels: readonly PredictedLevel[]): void {
    this.levels = levels;
    this.requestUpdate();
  }
}

/** 1.2M, 350k, 900. */
export function compact(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}B`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${Math.round(v / 1e3)}k`;
  return `${Math.round(v)}`;
}
