/**
 * The footprint custom series (lightweight-charts ICustomSeriesPaneView): bid x ask per price level
 * of every bar, falling back to candles when zoomed out. Create with
 * `chart.addCustomSeries(new FootprintSeries(), options)` and feed `toFootprintData(candles).bars`
 * to `series.setData`.
 */
import type { CustomSeriesPricePlotValues, ICustomSeriesPaneView, PaneRendererCustomData, Time, WhitespaceData } from 'lightweight-charts';
import type { FootprintBarData } from './data.ts';
import { defaultOptions, type FootprintSeriesOptions } from './options.ts';
import { FootprintRenderer, type FootprintMode } from './renderer.ts';

export class FootprintSeries implements ICustomSeriesPaneView<Time, FootprintBarData, FootprintSeriesOptions> {
  private readonly _renderer = new FootprintRenderer();

  priceValueBuilder(bar: FootprintBarData): CustomSeriesPricePlotValues {
    return [bar.low, bar.high, bar.close];
  }

  isWhitespace(data: FootprintBarData | WhitespaceData<Time>): data is WhitespaceData<Time> {
    return (data as Partial<FootprintBarData>).close === undefined;
  }

  renderer(): FootprintRenderer {
    return this._renderer;
  }

  update(data: PaneRendererCustomData<Time, FootprintBarData>, options: FootprintSeriesOptions): void {
    this._renderer.update(data, options);
  }

  defaultOptions(): FootprintSeriesOptions {
    return defaultOptions;
  }

  /** What the last frame drew: levels, candles (zoomed out) or nothing. */
  get mode(): FootprintMode {
    return this._renderer.lastMode;
  }
}
