/** The liquidation heatmap (default) or the book heatmap (`?mode=book`) behind generated candles. */
import { exampleBook, exampleCandles, exampleLiquidations } from '../../helpers/example-data.ts';
import { addExampleCandles, createExampleChart, expose } from '../../helpers/example-chart.ts';
import { TimeGrid } from '../../helpers/time-grid.ts';
import { toBookLayer, toHeatmap } from '../data.ts';
import { HeatmapPrimitive } from '../heatmap-primitive.ts';

const mode = new URLSearchParams(location.search).get('mode') === 'book' ? 'book' : 'liquidation';
const chart = createExampleChart();
const candles = exampleCandles(240, 5);
const series = addExampleCandles(chart, candles);
const grid = new TimeGrid(candles.t, candles.tfMs);
const heat = new HeatmapPrimitive(grid, { mode });
series.attachPrimitive(heat);
const liquidations = exampleLiquidations(candles);
const book = exampleBook(candles);
if (mode === 'book') heat.setBook(toBookLayer(book));
else heat.setHeatmap(toHeatmap(liquidations.heatmap));
chart.timeScale().fitContent();
requestAnimationFrame(() => expose({ chart, series, heat, candles, liquidations, book, mode }));
