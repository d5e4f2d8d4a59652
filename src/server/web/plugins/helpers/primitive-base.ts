/**
 * What every series primitive here shares (lightweight-charts plugin-examples' plugin-base.ts):
 * keeps the chart, series and requestUpdate from `attached`, drops them on `detached`, and asks
 * for a redraw after data changes.
 */
import type { IChartApi, IPrimitivePaneView, ISeriesApi, ISeriesPrimitive, SeriesAttachedParameter, SeriesType, Time } from 'lightweight-charts';

export abstract class PrimitiveBase implements ISeriesPrimitive<Time> {
  private attachedTo: SeriesAttachedParameter<Time> | null = null;

  attached(param: SeriesAttachedParameter<Time>): void {
    this.attachedTo = param;
    this.requestUpdate();
  }

  detached(): void {
    this.attachedTo = null;
  }

  get chart(): IChartApi | null {
    return (this.attachedTo?.chart as IChartApi | undefined) ?? null;
  }

  get series(): ISeriesApi<SeriesType> | null {
    return this.attachedTo?.series ?? null;
  }

  protected requestUpdate(): void {
    this.attachedTo?.requestUpdate();
  }
}

/** A pane view that recomputes its geometry when the chart asks (updateAllViews). */
export interface UpdatingPaneView extends IPrimitivePaneView {
  update(): void;
}

/**
 * A primitive with options and pane views, the shape most plugins here take: options merged over
 * their defaults, `applyOptions` that re-derives what depends on them (`optionsChanged`) and asks
 * for a redraw, and every view updated and listed for the chart.
 */
export abstract class OptionsPrimitive<O extends object> extends PrimitiveBase {
  options: O;
  protected abstract readonly views: readonly UpdatingPaneView[];

  constructor(defaults: O, options: Partial<O>) {
    super();
    this.options = { ...defaults, ...options };
  }

  applyOptions(options: Partial<O>): void {
    this.options = { ...this.options, ...options };
    this.optionsChanged();
    this.requestUpdate();
  }

  /** What is derived from the options (colours): called after applyOptions; a subclass calls it from its constructor too. */
  protected optionsChanged(): void {}

  /** The views' geometry is out of date (see updateAllViews). */
  private stale = true;

  /**
   * lightweight-charts asks every primitive of the chart to update on each series update (each
   * live candle, volume bar and CVD point: several a frame), but paints at most once a frame:
   * the geometry is recomputed when the chart next asks for the views to paint, once.
   */
  updateAllViews(): void {
    this.stale = true;
  }

  paneViews(): readonly IPrimitivePaneView[] {
    if (this.stale) {
      this.stale = false;
      for (const v of this.views) v.update();
    }
    return this.views;
  }
}
