/**
 * The main pane: candles, volume under them, and the detector events (absorption, divergence,
 * bait) as markers. The footprint, heatmap, bubbles, zones, profile and session layers attach to
 * this pane's candle series (src/server/web/layers.ts).
 */
import { CandlestickSeries, HistogramSeries, createSeriesMarkers, type CandlestickData, type IChartApi, type ISeriesApi, type ISeriesMarkersPluginApi, type SeriesMarker, type Time } from 'lightweight-charts';
import type { DetectorEvent } from '../../api.ts';
import type { Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { THEME } from '../theme.ts';
import { toChartTime } from '../time.ts';

const VOLUME_UP = 'rgba(38,166,154,0.35)';
const VOLUME_DOWN = 'rgba(239,83,80,0.35)';

export class PricePane {
  readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private readonly markers: ISeriesMarkersPluginApi<Time>;
  private events: DetectorEvent[] = [];

  constructor(chart: IChartApi) {
    this.candles = chart.addSeries(
      CandlestickSeries,
      { upColor: THEME.up, downColor: THEME.down, wickUpColor: THEME.up, wickDownColor: THEME.down, borderVisible: false, priceLineVisible: true },
      PANE.main,
    );
    this.volume = chart.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false }, PANE.main);
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    this.markers = createSeriesMarkers(this.candles, []);
  }

  setBars(b: Bars): void {
    const candles: CandlestickData<Time>[] = new Array(b.length);
    const vol = new Array(b.length);
    for (let i = 0; i < b.length; i++) {
      const time = toChartTime(b.t[i]);
      candles[i] = { time, open: b.o[i], high: b.h[i], low: b.l[i], close: b.c[i] };
      vol[i] = { time, value: b.buy[i] + b.sell[i], color: b.c[i] >= b.o[i] ? VOLUME_UP : VOLUME_DOWN };
    }
    this.candles.setData(candles);
    this.volume.setData(vol);
  }

  /** Redraws bar `i` after live trades changed it (or opened it). */
  updateBar(b: Bars, i: number): void {
    const time = toChartTime(b.t[i]);
    this.candles.update({ time, open: b.o[i], high: b.h[i], low: b.l[i], close: b.c[i] });
    this.volume.update({ time, value: b.buy[i] + b.sell[i], color: b.c[i] >= b.o[i] ? VOLUME_UP : VOLUME_DOWN });
  }

  /** Markers snap to the candle holding the event (lightweight-charts places markers on bar times). */
  setEvents(events: readonly DetectorEvent[], b: Bars): void {
    this.events = events.slice();
    this.drawMarkers(b);
  }

  addEvent(e: DetectorEvent, b: Bars): void {
    this.events.push(e);
    this.drawMarkers(b);
  }

  private drawMarkers(b: Bars): void {
    const out: SeriesMarker<Time>[] = [];
    for (const e of this.events) {
      const i = b.indexAt(e.t);
      if (i < 0) continue;
      const up = e.direction === 'up';
      out.push({
        time: toChartTime(b.t[i]),
        position: up ? 'belowBar' : 'aboveBar',
        shape: e.kind === 'absorption' ? 'circle' : e.kind === 'divergence' ? (up ? 'arrowUp' : 'arrowDown') : 'square',
        color: e.kind === 'bait' ? '#ffd54f' : up ? THEME.up : THEME.down,
        text: e.kind === 'absorption' ? 'ABS' : e.kind === 'divergence' ? 'DIV' : 'BAIT',
        size: 1,
      });
    }
    out.sort((a, c) => (a.time as number) - (c.time as number));
    this.markers.setMarkers(out);
  }

  /** The events' one-line texts, for the panel listing what the markers mean. */
  eventTexts(): readonly DetectorEvent[] {
    return this.events;
  }
}
