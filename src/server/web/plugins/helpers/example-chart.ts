/**
 * The examples' shared page setup: a dark chart filling `#chart`, and `window.__example` where
 * the browser test (test/server/web/plugins/plugins.browser.test.ts) finds the chart and what
 * the example drew, to read pixels at known prices and times.
 */
import { CandlestickSeries, createChart, type IChartApi, type ISeriesApi } from 'lightweight-charts';
import type { CandlesResponse } from '../../../api.ts';
import { CHART_OPTIONS, THEME } from '../theme.ts';
import { toTime } from './time-grid.ts';

export function createExampleChart(): IChartApi {
  const el = document.getElementById('chart');
  if (!el) throw new Error('example page has no #chart element');
  return createChart(el, { ...CHART_OPTIONS, autoSize: true });
}

/** Publishes the example's objects for the browser test; `ready` last. */
export function expose(values: Record<string, unknown>): void {
  (window as unknown as { __example: Record<string, unknown> }).__example = { ...values, ready: true };
}

/** A query parameter as a number (`?bars=5000`), else `fallback`. */
export function param(name: string, fallback: number): number {
  const v = Number(new URLSearchParams(location.search).get(name));
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** The generated candles as a plain candlestick series (the host the primitives attach to). */
export function addExampleCandles(chart: IChartApi, candles: CandlesResponse): ISeriesApi<'Candlestick'> {
  const series = chart.addSeries(CandlestickSeries, {
    upColor: THEME.up, downColor: THEME.down, wickUpColor: THEME.up, wickDownColor: THEME.down, borderVisible: false,
    priceLineVisible: false, lastValueVisible: false,
  });
  series.setData(candles.t.map((t, i) => ({ time: toTime(t), open: candles.o[i], high: candles.h[i], low: candles.l[i], close: candles.c[i] })));
  return series;
}
