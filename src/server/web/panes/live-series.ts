/**
 * What live updates cost in lightweight-charts 5.2, and the two devices that keep them cheap.
 *
 * `series.update(point)` costs O(points of that series): the data layer hands the series its
 * whole row list again, the series rebuilds its time index over it, and at the next paint its
 * pane view rebuilds one item per point (docs/BENCHMARKS.md, "Live updates without O(bars)
 * work"). A point at a time the chart does not hold yet (a bar opening) is worse: the time scale
 * changes, so every series of the chart is handed all its rows again. At 50k bars that was a
 * long frame per redraw of the forming candle and several hundred ms per bar opening.
 *
 * - `SplitSeries`: one visual series drawn as two of the same options: `history` (the loaded
 *   span, written by setData on a load) and `live` (the bars live trades touched since), which
 *   takes the updates. An update then costs the points of `live`: the bars since the page
 *   loaded, not the span. The first live point at the time of history's last point hands that
 *   point over (history drops it once, as whitespace); a line seeds `live` with the point before
 *   its first, so the two halves join. The last-value label and price line are history's until
 *   the live half has points, then the live half's.
 * - `TimeRunway`: a hidden series of whitespace at the next bar opens, so the chart already
 *   holds the time of a bar that opens live and the update stays that series' own. Replaced
 *   (one full pass, as a load) when a bar opens off it (a gap) or it runs short.
 */
import { LineSeries, MismatchDirection, type IChartApi, type ISeriesApi, type SeriesDataItemTypeMap, type SeriesType, type Time, type WhitespaceData } from 'lightweight-charts';
import { toChartTime } from '../time.ts';
import type { ProgressiveLoad } from './progressive-load.ts';

/** The series' own type of data item (what setData and update take). */
type Item = WhitespaceData<Time>;

/** Chart time (UTC seconds) of an item. */
function sec(item: { time: Time }): number {
  return item.time as number;
}

export interface SplitSeriesOptions {
  /** A line: the live half starts at history's point before its first, so the two join. */
  readonly connect: boolean;
}

export class SplitSeries<T extends SeriesType> {
  readonly history: ISeriesApi<T>;
  readonly live: ISeriesApi<T>;
  /** Chart time of the first point the live half owns (its seed excluded); Infinity while it holds none. */
  private liveFrom = Infinity;
  /** Chart time of the live half's last point. */
  private liveLast = -Infinity;
  /** Points the live half holds (its seed included): what one of its updates costs. */
  liveLength = 0;
  /** Loads so far: a deferred write of older points (reset with a ProgressiveLoad) is dropped by a later load. */
  private loads = 0;

  /**
   * `make` creates one series of the pair on `chart` (called twice, with the same options). The
   * last-value label and price line, when the options have them, are the live half's: it always
   * holds the last point.
   */
  constructor(
    private readonly chart: IChartApi,
    make: () => ISeriesApi<T>,
    private readonly o: SplitSeriesOptions,
  ) {
    this.history = make();
    this.live = make();
    this.history.applyOptions({ lastValueVisible: false, priceLineVisible: false } as never);
  }

  /**
   * A load: history takes every point but the last, which the live half takes (with a line's
   * point before it, so the two join), so that the bar live trades fold into next is the live
   * half's from the start.
   */
  reset(data: readonly SeriesDataItemTypeMap<Time>[T][], progressive?: ProgressiveLoad): void {
    const load = ++this.loads;
    if (this.liveLength > 0) this.live.setData([]);
    this.liveFrom = Infinity;
    this.liveLast = -Infinity;
    this.liveLength = 0;
    const n = data.length;
    const head = n > 0 ? data.slice(0, n - 1) : data;
    // A first load (progressive-load.ts): history takes the points on screen now, the older ones after the first render.
    const k = progressive ? firstAtOrAfter(head, progressive.fromTime) : 0;
    this.history.setData((k > 0 ? head.slice(k) : head) as never);
    if (k > 0) progressive!.defer(() => {
      if (this.loads === load) this.prepend(head, k);
    });
    if (n === 0) return;
    if (this.o.connect && n > 1) this.push(data[n - 2]);
    this.liveFrom = sec(data[n - 1]);
    this.push(data[n - 1]);
  }

  /**
   * The load's points before history's first (`head`, the first `k`), put in front of what
   * history holds now: a refresh or a hand-over since the load changed history's own points,
   * which are kept as they are.
   */
  private prepend(head: readonly SeriesDataItemTypeMap<Time>[T][], k: number): void {
    const now = this.history.data();
    const first = now.length ? sec(now[0]) : Infinity;
    let m = Math.min(k, head.length);
    while (m > 0 && sec(head[m - 1]) >= first) m--;
    if (m === 0) return;
    this.history.setData(head.slice(0, m).concat(now as never) as never);
  }

  /**
   * Every point again (more of the span loaded: the footprint's levels), `data` ascending: those
   * before the live half's first to history by setData, the others to the live half by update
   * (the bars drawn live, a few: the loaded last bar gets the levels that came for it).
   */
  setHistory(data: readonly SeriesDataItemTypeMap<Time>[T][]): void {
    let n = data.length;
    while (n > 0 && sec(data[n - 1]) >= this.liveFrom) n--;
    this.history.setData((n === data.length ? data : data.slice(0, n)) as never);
    for (let k = n; k < data.length; k++) this.update(data[k]);
  }

  /**
   * The point at `item.time`, written into the live half: the forming bar, a bar that opened
   * (its time must be on the chart: see TimeRunway), or a bar of the live half again (a closed
   * bar's stored values).
   */
  update(item: SeriesDataItemTypeMap<Time>[T]): void {
    const t = sec(item);
    if (this.liveLength === 0) this.start(t);
    if (t < this.liveFrom) {
      // Older than anything live (never from live trades, which fold into the last bar only):
      // history's own point, at history's cost.
      this.history.update(item as never, true);
      return;
    }
    if (t >= this.liveLast) this.push(item);
    else this.live.update(item as never, true);
  }

  /** As one series (series-tail.ts writeSeries): setData is a load. */
  setData(data: readonly SeriesDataItemTypeMap<Time>[T][], progressive?: ProgressiveLoad): void {
    this.reset(data, progressive);
  }

  /** The point drawn at a logical index: the live half's where it has one, else history's. */
  dataByIndex(logical: number, mismatch?: MismatchDirection): SeriesDataItemTypeMap<Time>[T] | null {
    const d = this.liveLength > 0 ? this.live.dataByIndex(logical, mismatch) : null;
    return d ?? this.history.dataByIndex(logical, mismatch);
  }

  private push(item: Item): void {
    const t = sec(item);
    this.live.update(item as never);
    if (t > this.liveLast) {
      this.liveLast = t;
      this.liveLength++;
    }
  }

  /**
   * A live half without points (history was loaded empty, or not through reset) taking its first
   * at `t`: history's point there is handed over, a line's previous point seeds it.
   */
  private start(t: number): void {
    const last = this.history.dataByIndex(Number.MAX_SAFE_INTEGER, MismatchDirection.NearestLeft);
    if (last !== null && sec(last) > t) return;
    let seed: Item | null = last;
    if (last !== null && sec(last) === t) {
      const at = this.chart.timeScale().timeToIndex(last.time, false);
      seed = at === null ? null : this.history.dataByIndex(at - 1, MismatchDirection.NearestLeft);
      // Handed over: the live half draws it from now on (one update of history, its last point).
      this.history.update({ time: last.time } as never);
    }
    this.liveFrom = t;
    if (this.o.connect && seed !== null && sec(seed) < t) this.push(seed);
  }
}

/** Index of the first item of `data` (ascending) at or after chart time `t`. */
function firstAtOrAfter(data: readonly { time: Time }[], t: number): number {
  let lo = 0;
  let hi = data.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sec(data[mid]) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bars of runway added ahead of the last bar. */
export const RUNWAY_BARS = 500;
/** The runway is laid again when fewer than this many bars of it are left. */
export const RUNWAY_MIN_LEFT = 100;

export class TimeRunway {
  private readonly series: ISeriesApi<'Line'>;
  /** Bar opens (ms) the runway holds: first, step, count; count 0 when empty. */
  private first = 0;
  private step = 0;
  private count = 0;
  /** Times the runway was laid (tests and the docs' claim that it is rare). */
  laid = 0;

  constructor(chart: IChartApi, pane: number) {
    this.series = chart.addSeries(LineSeries, { visible: false, lastValueVisible: false, priceLineVisible: false, crosshairMarkerVisible: false, autoscaleInfoProvider: () => null }, pane);
  }

  /**
   * Makes sure the chart holds the time of bar `openMs` (a bar about to be drawn live, the last
   * bar being `prevOpenMs`, both of `tfMs`) with runway left after it. Nothing to do for the next
   * bar of a runway with room; anything else (the first live bar, a gap, a new timeframe, the
   * runway running short) lays it again from `openMs` on: one pass over every series, rarely.
   */
  ensure(prevOpenMs: number, openMs: number, tfMs: number): void {
    const last = this.first + (this.count - 1) * this.step;
    const onIt = this.count > 0 && this.step === tfMs && openMs >= this.first && openMs <= last && (openMs - this.first) % tfMs === 0;
    // A bar skipping a slot would leave an empty slot on the time axis: the candle grid (and the
    // layers placed on it by index) would be one off from the chart's logical indices.
    const gap = openMs !== prevOpenMs + tfMs;
    if (onIt && !gap && (last - openMs) / tfMs >= RUNWAY_MIN_LEFT) return;
    this.lay(openMs, tfMs);
  }

  /** Drops the runway (a load: the next live bar lays it again on the new candles' timeframe). */
  clear(): void {
    if (this.count === 0) return;
    this.series.setData([]);
    this.count = 0;
  }

  private lay(fromMs: number, tfMs: number): void {
    const data: Item[] = new Array(RUNWAY_BARS);
    for (let k = 0; k < RUNWAY_BARS; k++) data[k] = { time: toChartTime(fromMs + k * tfMs) };
    this.series.setData(data as never);
    this.first = fromMs;
    this.step = tfMs;
    this.count = RUNWAY_BARS;
    this.laid++;
  }
}
