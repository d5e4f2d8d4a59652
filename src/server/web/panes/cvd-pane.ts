/**
 * Cumulative delta, aggregated (bold) and per venue, at the method's three horizons: 15m, 1h and
 * 1d bars (toggled, `c`). Values sit on the candle grid (bars.ts placeOnGrid). Live trades move
 * the last point of each line.
 */
import { LineSeries, type IChartApi, type LineData, type Time } from 'lightweight-charts';
import type { CvdResponse } from '../../api.ts';
import { placeOnGrid, type Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { THEME, venueColor } from '../theme.ts';
import { barOpen, toChartTime } from '../time.ts';
import { SplitSeries } from './live-series.ts';
import type { ProgressiveLoad } from './progressive-load.ts';

export const CVD_TIMEFRAMES = ['15m', '1h', '1d'] as const;
export type CvdTimeframe = (typeof CVD_TIMEFRAMES)[number];

interface Line {
  /** Its live points apart (live-series.ts): a live write costs the points drawn live, not the span's. */
  series: SplitSeries<'Line'>;
  /** Running cvd and the open of the CVD bar it is in, for live folding. */
  cvd: number;
  barOpen: number;
}

export class CvdPane {
  private readonly lines = new Map<string, Line>();
  private tfMs = 0;

  constructor(private readonly chart: IChartApi) {}

  private line(key: string): Line {
    let l = this.lines.get(key);
    if (!l) {
      const all = key === 'all';
      const series = new SplitSeries(
        this.chart,
        () =>
          this.chart.addSeries(
            LineSeries,
            { color: all ? THEME.aggregate : venueColor(key), lineWidth: all ? 2 : 1, priceLineVisible: false, lastValueVisible: all, priceFormat: { type: 'volume' } },
            PANE.cvd,
          ),
        { connect: true },
      );
      l = { series, cvd: 0, barOpen: -Infinity };
      this.lines.set(key, l);
    }
    return l;
  }

  /** `progressive`: a first load (progressive-load.ts). */
  setData(r: CvdResponse, grid: Bars, progressive?: ProgressiveLoad): void {
    this.tfMs = r.tfMs;
    const keys = new Set(['all', ...Object.keys(r.venues)]);
    for (const [k, l] of this.lines) if (!keys.has(k)) {
      this.chart.removeSeries(l.series.history);
      this.chart.removeSeries(l.series.live);
      this.lines.delete(k);
    }
    const put = (key: string, cvd: readonly number[]) => {
      const l = this.line(key);
      const g = placeOnGrid(grid, r.t, r.tfMs, cvd);
      const data: LineData<Time>[] = g.index.map((j, k) => ({ time: toChartTime(grid.t[j]), value: g.value[k] }));
      l.series.reset(data, progressive);
      l.cvd = cvd.length ? cvd[cvd.length - 1] : 0;
      l.barOpen = r.t.length ? r.t[r.t.length - 1] : -Infinity;
    };
    put('all', r.all.cvd);
    for (const [v, s] of Object.entries(r.venues)) if (s) put(v, s.cvd);
  }

  /** Folds one live trade into the aggregate and its venue's line, drawn at candle `gridIndex`. */
  addTrade(venue: string, ms: number, qty: number, side: 1 | -1, gridIndex: number): void {
    if (!this.tfMs || gridIndex < 0) return;
    const open = barOpen(ms, this.tfMs);
    // Per trade: two map lookups, no allocation (2k trades a second).
    fold(this.lines.get('all'), open, side * qty);
    fold(this.lines.get(venue), open, side * qty);
    if (gridIndex > this.dirtyIndex) this.dirtyIndex = gridIndex;
  }

  private dirtyIndex = -1;

  /** Writes the folded live values: once per animation frame, not per trade. */
  flush(grid: Bars): void {
    const j = this.dirtyIndex;
    if (j < 0) return;
    this.dirtyIndex = -1;
    const time = toChartTime(grid.t[j]);
    for (const l of this.lines.values()) if (l.barOpen > -Infinity) l.series.update({ time, value: l.cvd });
  }
}

function fold(l: Line | undefined, open: number, delta: number): void {
  if (!l || open < l.barOpen) return;
  l.barOpen = open;
  l.cvd += delta;
}
