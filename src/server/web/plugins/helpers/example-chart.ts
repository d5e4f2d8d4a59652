/**
 * The examples' shared page setup: a dark chart filling `#chart`, and `window.__example` where
 * the browser test (test/server/web/plugins/plugins.browser.test.ts) finds the chart and what
 * the example drew, to read pixels at known prices and times.
 */
import { createChart, type IChartApi } from 'lightweight-charts';
import { CHART_OPTIONS } from '../theme.ts';

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
