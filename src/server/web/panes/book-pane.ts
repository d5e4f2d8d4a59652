/**
 * The book heatmap pane (Bookmap-style): resting size by price over time for one venue (books do
 * not add across venues), best bid / ask, and the walls the bait detector saw, pulled, consumed
 * or bait, each marked its own way (plugins/heatmap). Price (each candle's close) is drawn over
 * it as a thin line, so a wall can be read against what price did at it.
 */
import { LineSeries, type IChartApi, type ISeriesApi, type Time } from 'lightweight-charts';
import type { BookHeatmapResponse } from '../../api.ts';
import type { Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { toBookLayer } from '../plugins/heatmap/data.ts';
import { HeatmapPrimitive } from '../plugins/heatmap/heatmap-primitive.ts';
import type { TimeGrid } from '../plugins/helpers/time-grid.ts';
import { toChartTime } from '../time.ts';

export class BookPane {
  private readonly price: ISeriesApi<'Line'>;
  readonly heatmap: HeatmapPrimitive;
  /** Walls in the last response, for the caption. */
  walls = 0;

  constructor(chart: IChartApi, grid: TimeGrid) {
    this.price = chart.addSeries(LineSeries, { color: 'rgba(232,234,237,0.8)', lineWidth: 1, priceLineVisible: false, lastValueVisible: true, crosshairMarkerVisible: false }, PANE.book);
    this.heatmap = new HeatmapPrimitive(grid, { mode: 'book' });
    this.price.attachPrimitive(this.heatmap);
  }

  setBars(b: Bars): void {
    const data = new Array(b.length);
    for (let i = 0; i < b.length; i++) data[i] = { time: toChartTime(b.t[i]) as Time, value: b.c[i] };
    this.price.setData(data);
  }

  updateBar(b: Bars, i: number): void {
    this.price.update({ time: toChartTime(b.t[i]), value: b.c[i] });
  }

  setBook(r: BookHeatmapResponse): void {
    this.walls = r.walls.length;
    this.heatmap.setBook(toBookLayer(r));
  }
}
