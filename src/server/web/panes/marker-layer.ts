/**
 * Series markers on a series of their own: lightweight-charts' markers plugin reads its series'
 * whole data (`series.data()`, a copy of every point) each time the markers or that series'
 * data change. On the 50k-bar footprint series that was a copy of 50k points per live event and
 * per refresh; here the carrier holds one invisible point per bar that has a marker, so the
 * plugin reads a few hundred. A marker is placed at a price (`atPriceTop` / `atPriceBottom`), so
 * the carrier's values do not matter and do not count in the price scale.
 *
 * Every carrier time is a candle's open (a marker is moved to the candle holding it): a time the
 * chart does not hold would add a slot to the time axis and put the candle grid one off from the
 * chart's logical indices.
 */
import { LineSeries, createSeriesMarkers, type IChartApi, type ISeriesApi, type ISeriesMarkersPluginApi, type SeriesMarker, type Time } from 'lightweight-charts';
import type { Bars } from '../bars.ts';
import { toChartTime } from '../time.ts';

export class MarkerLayer {
  private readonly carrier: ISeriesApi<'Line'>;
  private readonly plugin: ISeriesMarkersPluginApi<Time>;
  /** Chart times the carrier holds, ascending. */
  private times: number[] = [];
  /** Carrier writes by kind (tests: a live event appends, it does not rewrite). */
  readonly writes = { set: 0, append: 0 };

  constructor(chart: IChartApi, pane: number) {
    this.carrier = chart.addSeries(
      LineSeries,
      { lineVisible: false, pointMarkersVisible: false, lastValueVisible: false, priceLineVisible: false, crosshairMarkerVisible: false, autoscaleInfoProvider: () => null },
      pane,
    );
    this.plugin = createSeriesMarkers(this.carrier, []);
  }

  /** Shows `markers` (ascending by time) on the candles of `b`; a marker before the first candle is left out. */
  set(markers: readonly SeriesMarker<Time>[], b: Bars): void {
    const placed: SeriesMarker<Time>[] = [];
    const times: number[] = [];
    const values: number[] = [];
    for (const m of markers) {
      const j = b.indexAt((m.time as number) * 1000);
      if (j < 0) continue;
      const time = toChartTime(b.t[j]);
      placed.push(time === m.time ? m : { ...m, time });
      if (times.length === 0 || times[times.length - 1] !== time) {
        times.push(time);
        values.push(m.price ?? 0);
      }
    }
    this.write(times, values);
    this.plugin.setMarkers(placed);
  }

  /** The carrier's points: nothing when its times are the same, appended when they only grew, else all again. */
  private write(times: number[], values: number[]): void {
    const old = this.times;
    let k = 0;
    while (k < old.length && k < times.length && old[k] === times[k]) k++;
    if (k === old.length && k === times.length) return;
    if (k === old.length) {
      for (; k < times.length; k++) this.carrier.update({ time: times[k] as Time, value: values[k] });
      this.writes.append++;
    } else {
      this.carrier.setData(times.map((t, i) => ({ time: t as Time, value: values[i] })));
      this.writes.set++;
    }
    this.times = times;
  }
}
