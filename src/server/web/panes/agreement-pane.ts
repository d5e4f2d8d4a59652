/**
 * The venues' agreement strip: one bar per candle, green when every venue's flow buys, red when
 * every venue sells, grey when they split (src/features/venues.ts). A disagreement can veto an
 * entry, so the strip sits under everything else.
 */
import { HistogramSeries, type IChartApi } from 'lightweight-charts';
import type { AgreementResponse } from '../../api.ts';
import { placeOnGrid, type Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { SplitSeries } from './live-series.ts';
import type { ProgressiveLoad } from './progressive-load.ts';
import { writeSeries, type TailFrom } from './series-tail.ts';

export function agreementColor(a: number): string {
  const k = Math.min(1, Math.abs(a));
  if (k < 0.2) return 'rgba(140,150,160,0.5)';
  return a > 0 ? `rgba(38,166,154,${0.3 + 0.7 * k})` : `rgba(239,83,80,${0.3 + 0.7 * k})`;
}

export class AgreementPane {
  /** Its bars since the load apart (live-series.ts): a refresh's new bars cost those, not the span. */
  private readonly strip: SplitSeries<'Histogram'>;

  constructor(chart: IChartApi) {
    this.strip = new SplitSeries(chart, () => chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false, title: '' }, PANE.agreement), { connect: false });
  }

  /** All bars, or (`from`, a refresh after a live bar closed) those from candle `from` on; `progressive`: a first load (progressive-load.ts). */
  setData(r: AgreementResponse, grid: Bars, from?: TailFrom, progressive?: ProgressiveLoad): void {
    const g = placeOnGrid(grid, r.t, r.tfMs, r.agreement);
    writeSeries(this.strip, grid, g.index, (k, time) => ({ time, value: g.value[k], color: agreementColor(g.value[k]) }), from, progressive);
  }
}
