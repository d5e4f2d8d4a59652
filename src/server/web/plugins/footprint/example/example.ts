/** Footprint on generated bars: 50k by default, zoomed into the last ones so levels and numbers show. */
import { exampleCandles } from '../../helpers/example-data.ts';
import { createExampleChart, expose, param } from '../../helpers/example-chart.ts';
import { toFootprintData } from '../data.ts';
import { FootprintSeries } from '../footprint-series.ts';

const started = performance.now();
const chart = createExampleChart();
const candles = exampleCandles(param('bars', 50_000), 5);
const { bars, store } = toFootprintData(candles);
const view = new FootprintSeries();
const series = chart.addCustomSeries(view, { priceLineVisible: false });
series.setData(bars);
const n = bars.length;
chart.timeScale().setVisibleLogicalRange({ from: n - 10, to: n });
requestAnimationFrame(() => expose({ chart, series, view, candles, store, renderMs: performance.now() - started }));
