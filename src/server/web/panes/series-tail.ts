/**
 * Writes a pane's points into its series: all of them (`setData`, a load) or, when a live bar
 * closed, only those from the first grid index that can have changed (`update`, a refresh).
 * setData of 50k points costs the page hundreds of milliseconds (lightweight-charts converts and
 * validates every item, and the garbage follows); the refresh of a bar changes a couple. Each
 * `update` costs O(points) too (lightweight-charts re-indexes the series' whole plot list), so a
 * refresh skips the points already drawn with the same values: an hour's tail of unchanged
 * points written one by one was ~60 re-indexings of 50k points per series in one frame. The
 * panes draw their lines as SplitSeries (live-series.ts), so the points of bars since the load,
 * what a refresh after a bar closed changes, go to the live half and cost those bars only.
 */
import { MismatchDirection, type ISeriesApi, type SeriesType, type Time, type WhitespaceData } from 'lightweight-charts';
import type { Bars } from '../bars.ts';
import { toChartTime } from '../time.ts';
import { SplitSeries } from './live-series.ts';
import type { ProgressiveLoad } from './progressive-load.ts';

/** What writeSeries writes to: a series, or a SplitSeries (live-series.ts) drawn as one. */
export type TailSeries<T extends SeriesType> = Pick<ISeriesApi<T>, 'setData' | 'update' | 'dataByIndex'> | SplitSeries<T>;

/** Where a refresh starts: candles from this index on may differ from what is drawn; undefined writes everything. */
export type TailFrom = number | undefined;

/**
 * Writes the points at candle indices `index` (ascending) made by `item(k)`: all with setData
 * when `from` is undefined, else by update only those at index >= from (one that is not the
 * series' last is a historical update; one equal to the point drawn at its time is skipped). A
 * series that cannot take an update (the item's time is not one it holds) gets everything with
 * setData. `progressive` (a first load, SplitSeries only): the points before its `fromTime` are
 * written after the first render.
 */
export function writeSeries<T extends SeriesType, D extends WhitespaceData<Time>>(
  series: TailSeries<T>,
  grid: Bars,
  index: readonly number[],
  item: (k: number, time: Time) => D,
  from: TailFrom,
  progressive?: ProgressiveLoad,
): void {
  const all = () => {
    const data = index.map((j, k) => item(k, toChartTime(grid.t[j])));
    // A first load's older points come after the first render (progressive-load.ts).
    if (series instanceof SplitSeries) series.reset(data as never, progressive);
    else series.setData(data as never);
  };
  if (from === undefined) return all();
  const last = series.dataByIndex(Number.MAX_SAFE_INTEGER, MismatchDirection.NearestLeft)?.time as number | undefined;
  let k = index.length;
  while (k > 0 && index[k - 1] >= from) k--;
  try {
    for (; k < index.length; k++) {
      const time = toChartTime(grid.t[index[k]]);
      const next = item(k, time);
      if (sameAsDrawn(series.dataByIndex(index[k], MismatchDirection.None), next)) continue;
      series.update(next as never, last !== undefined && (time as number) < last);
    }
  } catch {
    all();
  }
}

/**
 * Whether `drawn` (the series' point at the candle's logical index, if any) already shows `next`:
 * the same time and the same value of every field `next` sets. Logical indices are the chart's
 * time points, the candle grid when the candles are on the chart, so a mismatch only costs the
 * skipped comparison (the point is then written).
 */
function sameAsDrawn(drawn: object | null, next: object): boolean {
  if (!drawn) return false;
  const a = drawn as Record<string, unknown>;
  for (const [key, v] of Object.entries(next)) if (a[key] !== v) return false;
  return true;
}
