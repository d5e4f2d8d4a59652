/**
 * Footprint on generated bars: 50k by default (`?bars=N`), zoomed into the last ones so levels
 * and numbers show. Publishes how long conversion + setData + the first frame took (`renderMs`),
 * apart from generating the data (`generateMs`).
 */
import { exampleCandles } from '../../helpers/example-data.ts';
import { createExampleChart, expose, param } from '../../helpers/example-chart.ts';
import { toFootprintData } from '../data.ts';
import { FootprintSeries } from '../footprint-series.ts';

const g0 = performance.now();
const candles = exampleCandles(param('bars', 50_000), 5);
const generateMs = performance.now() - g0;
const started = performance.now();
const chart = createExampleChart();
const { bars, store } = toFootprintData(candles);
const view = new FootprintSeries();
const series = chart.addCustomSeries(view, { priceLineVisible: false });
series.setData(bars);
const n = bars.length;
chart.timeScale().setVisibleLogicalRange({ from: n - 10, to: n });
// lightweight-charts paints on the next animation frame; the one after it follows that paint.
requestAnimationFrame(() => requestAnimationFrame(() => expose({ chart, series, view, candles, store, generateMs, renderMs: performance.now() - started })));
