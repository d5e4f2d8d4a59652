/**
 * The book heatmap pane (Bookmap-style): resting size by price over time for one venue (books do
 * not add across venues), best bid / ask, and the walls the bait detector saw, pulled, consumed
 * or bait, each marked its own way (plugins/heatmap). Price (each candle's close) is drawn over
 * it as a thin line, so a wall can be read against what price did at it. Live `book` messages of
 * the pane's venue extend it column by column (the last message in a column stands for it, as
 * the stored book is sampled at each column's end) until the next load replaces them.
 */
import { LineSeries, type IChartApi, type Time } from 'lightweight-charts';
import type { BookHeatmapResponse, LiveMessage } from '../../api.ts';
import type { Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { LiveBookColumns, toBookLayer } from '../plugins/heatmap/data.ts';
import { HeatmapPrimitive } from '../plugins/heatmap/heatmap-primitive.ts';
import type { TimeGrid } from '../plugins/helpers/time-grid.ts';
import { toChartTime } from '../time.ts';
import { SplitSeries } from './live-series.ts';
import type { ProgressiveLoad } from './progressive-load.ts';

export class BookPane {
  /** The close line, its live bars apart (live-series.ts): a live bar costs the bars drawn live, not the span. */
  private readonly price: SplitSeries<'Line'>;
  readonly heatmap: HeatmapPrimitive;
  /** Walls in the last response, for the caption. */
  walls = 0;
  /** The venue on screen ('' before the first load) and its live columns. */
  venue = '';
  private live: LiveBookColumns | null = null;
  private liveDirty = false;

  constructor(chart: IChartApi, grid: TimeGrid) {
    this.price = new SplitSeries(
      chart,
      () => chart.addSeries(LineSeries, { color: 'rgba(232,234,237,0.8)', lineWidth: 1, priceLineVisible: false, lastValueVisible: true, crosshairMarkerVisible: false }, PANE.book),
      { connect: true },
    );
    this.heatmap = new HeatmapPrimitive(grid, { mode: 'book' });
    this.price.history.attachPrimitive(this.heatmap);
  }

  /** The close line; `progressive`: a first load (progressive-load.ts). */
  setBars(b: Bars, progressive?: ProgressiveLoad): void {
    const data = new Array(b.length);
    for (let i = 0; i < b.length; i++) data[i] = { time: toChartTime(b.t[i]) as Time, value: b.c[i] };
    this.price.reset(data, progressive);
  }

  updateBar(b: Bars, i: number): void {
    this.price.update({ time: toChartTime(b.t[i]), value: b.c[i] });
  }

  setBook(r: BookHeatmapResponse, b: Bars): void {
    this.walls = r.walls.length;
    this.venue = r.venue;
    const layer = toBookLayer(r);
    this.heatmap.setBook(layer);
    this.live = b.length ? new LiveBookColumns(layer, { t0: b.t[0], tfMs: b.tfMs }) : null;
    this.liveDirty = false;
  }

  /** Takes a live `book` message (other venues' are ignored); drawn at the next `flush`. */
  addBook(m: Extract<LiveMessage, { type: 'book' }>): void {
    if (m.venue !== this.venue || !this.live) return;
    if (this.live.add(m)) this.liveDirty = true;
  }

  /** Hands the live columns to the heatmap once per frame, however many messages came. */
  flush(): void {
    if (!this.liveDirty || !this.live) return;
    this.liveDirty = false;
    this.heatmap.setBookTail(this.live.layer());
  }
}
