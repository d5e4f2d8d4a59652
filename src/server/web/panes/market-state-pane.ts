/**
 * Open interest (summed over the venues, right scale) and each venue's funding rate in percent
 * (left scale). Live `marketState` messages move the last points.
 */
import { LineSeries, type IChartApi } from 'lightweight-charts';
import type { MarketStateResponse } from '../../api.ts';
import { placeOnGrid, type Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { THEME, venueColor } from '../theme.ts';
import { toChartTime } from '../time.ts';
import { SplitSeries } from './live-series.ts';
import type { ProgressiveLoad } from './progressive-load.ts';
import { writeSeries, type TailFrom } from './series-tail.ts';

/** A field with gaps (`null` before a venue's first value) as numbers, NaN in the gaps. */
function numbers(xs: readonly (number | null)[]): number[] {
  return xs.map((x) => (x === null ? Number.NaN : x));
}

export class MarketStatePane {
  /** Open interest and each venue's funding, their bars since the load apart (live-series.ts): a live ticker or a refresh costs those bars, not the span. */
  private readonly oi: SplitSeries<'Line'>;
  private readonly funding = new Map<string, SplitSeries<'Line'>>();
  /** Latest open interest per venue, so a live update of one venue re-sums the total. */
  private readonly lastOi = new Map<string, number>();

  constructor(private readonly chart: IChartApi) {
    this.oi = new SplitSeries(
      chart,
      () => chart.addSeries(LineSeries, { color: THEME.aggregate, lineWidth: 2, title: 'OI', priceLineVisible: false, priceFormat: { type: 'volume' } }, PANE.marketState),
      { connect: true },
    );
  }

  private fundingLine(venue: string): SplitSeries<'Line'> {
    let s = this.funding.get(venue);
    if (!s) {
      s = new SplitSeries(
        this.chart,
        () =>
          this.chart.addSeries(
            LineSeries,
            { color: venueColor(venue), lineWidth: 1, lineStyle: 2, priceScaleId: 'left', priceLineVisible: false, lastValueVisible: false, priceFormat: { type: 'percent', precision: 4, minMove: 0.0001 } },
            PANE.marketState,
          ),
        { connect: true },
      );
      this.funding.set(venue, s);
    }
    return s;
  }

  /** All points, or (`from`, a refresh after a live bar closed) those from candle `from` on; `progressive`: a first load (progressive-load.ts). */
  setData(r: MarketStateResponse, grid: Bars, from?: TailFrom, progressive?: ProgressiveLoad): void {
    const total = new Map<number, number>();
    this.lastOi.clear();
    for (const [venue, s] of Object.entries(r.venues)) {
      if (!s) continue;
      const oi = numbers(s.openInterest);
      const g = placeOnGrid(grid, s.t, r.tfMs, oi);
      g.index.forEach((j, k) => {
        if (Number.isFinite(g.value[k])) total.set(j, (total.get(j) ?? 0) + g.value[k]);
      });
      for (let i = oi.length - 1; i >= 0; i--)
        if (Number.isFinite(oi[i])) {
          this.lastOi.set(venue, oi[i]);
          break;
        }
      const f = placeOnGrid(grid, s.t, r.tfMs, numbers(s.fundingRate).map((x) => x * 100));
      const kept = f.index.flatMap((j, k) => (Number.isFinite(f.value[k]) ? [k] : []));
      writeSeries(this.fundingLine(venue), grid, kept.map((k) => f.index[k]), (n, time) => ({ time, value: f.value[kept[n]] }), from, progressive);
    }
    const idx = [...total.keys()].sort((a, b) => a - b);
    writeSeries(this.oi, grid, idx, (k, time) => ({ time, value: total.get(idx[k])! }), from, progressive);
    this.chart.priceScale('left', PANE.marketState).applyOptions({ visible: this.funding.size > 0 });
  }

  /** Funding rates of live tickers not yet written (flush). */
  private readonly pendingFunding = new Map<string, number>();
  private pendingOi = false;

  /** A live ticker update for `venue`: held until the next `flush`. */
  update(venue: string, openInterest?: number, fundingRate?: number): void {
    if (openInterest !== undefined && Number.isFinite(openInterest)) {
      this.lastOi.set(venue, openInterest);
      this.pendingOi = true;
    }
    if (fundingRate !== undefined && Number.isFinite(fundingRate)) this.pendingFunding.set(venue, fundingRate);
  }

  /**
   * Writes the tickers held since the last flush at candle `j` (a candle the chart holds): one
   * update per line, however many tickers came (each costs all of the line's points).
   */
  flush(grid: Bars, j: number): void {
    if (j < 0 || j >= grid.length) return;
    const time = toChartTime(grid.t[j]);
    if (this.pendingOi) {
      let sum = 0;
      for (const v of this.lastOi.values()) sum += v;
      this.oi.update({ time, value: sum });
      this.pendingOi = false;
    }
    for (const [venue, rate] of this.pendingFunding) this.fundingLine(venue).update({ time, value: rate * 100 });
    this.pendingFunding.clear();
  }
}
