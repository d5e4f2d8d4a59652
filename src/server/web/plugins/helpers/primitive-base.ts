/**
 * What every series primitive here shares (lightweight-charts plugin-examples' plugin-base.ts):
 * keeps the chart, series and requestUpdate from `attached`, drops them on `detached`, and asks
 * for a redraw after data changes.
 */
import type { IChartApi, ISeriesApi, ISeriesPrimitive, SeriesAttachedParameter, SeriesType, Time } from 'lightweight-charts';

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
