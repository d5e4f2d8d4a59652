/**
 * Delta by trade size (src/features/sizes.ts buckets, thresholds adapted per symbol), drawn
 * cumulatively so the four buckets read as four lines: whales and large prints diverging from
 * retail is the method's "weight by order size" made visible.
 */
import { LineSeries, type IChartApi } from 'lightweight-charts';
import type { SizesResponse } from '../../api.ts';
import { placeOnGrid, type Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { THEME } from '../theme.ts';
import { SplitSeries } from './live-series.ts';
import type { ProgressiveLoad } from './progressive-load.ts';
import { writeSeries, type TailFrom } from './series-tail.ts';

const BUCKETS = ['small', 'medium', 'large', 'whale'] as const;

export class SizesPane {
  /** Each bucket's line, its bars since the load apart (live-series.ts): a refresh's new points cost those bars, not the span. */
  private readonly series: Record<(typeof BUCKETS)[number], SplitSeries<'Line'>>;
  thresholds: readonly [number, number, number] = [0, 0, 0];

  constructor(chart: IChartApi) {
    const mk = (b: (typeof BUCKETS)[number]) =>
      new SplitSeries(
        chart,
        () => chart.addSeries(LineSeries, { color: THEME.bucket[b], lineWidth: b === 'whale' || b === 'large' ? 2 : 1, priceLineVisible: false, lastValueVisible: false, priceFormat: { type: 'volume' } }, PANE.sizes),
        { connect: true },
      );
    this.series = { small: mk('small'), medium: mk('medium'), large: mk('large'), whale: mk('whale') };
  }

  /** All points, or (`from`, a refresh after a live bar closed) those from candle `from` on; `progressive`: a first load (progressive-load.ts). */
  setData(r: SizesResponse, grid: Bars, from?: TailFrom, progressive?: ProgressiveLoad): void {
    this.thresholds = r.thresholds;
    for (const b of BUCKETS) {
      const d = r.delta[b];
      const cum = new Array<number>(d.length);
      let acc = 0;
      for (let i = 0; i < d.length; i++) cum[i] = acc += d[i];
      const g = placeOnGrid(grid, r.t, r.tfMs, cum);
      writeSeries(this.series[b], grid, g.index, (k, time) => ({ time, value: g.value[k] }), from, progressive);
    }
  }
}
