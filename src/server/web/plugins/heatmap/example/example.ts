/**
 * The liquidation heatmap behind generated candles (default), or the book heatmap (`?mode=book`)
 * in a pane of its own under them, as the dashboard lays it out.
 */
import { LineSeries } from 'lightweight-charts';
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
const liquidations = exampleLiquidations(candles);
const book = exampleBook(candles);
let host = series;
if (mode === 'book') {
  // The book pane's own series (best bid) carries the heatmap and gives the pane its price scale.
  const bid = chart.addSeries(LineSeries, { color: 'rgba(0, 0, 0, 0)', priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false }, 1);
  bid.setData(candles.t.map((t, i) => ({ time: (t / 1000) as never, value: book.bestBid[i] })));
  chart.panes()[1].setHeight(330);
  bid.attachPrimitive(heat);
  heat.setBook(toBookLayer(book));
  host = bid as never;
} else {
  series.attachPrimitive(heat);
  heat.setHeatmap(toHeatmap(liquidations.heatmap));
}
chart.timeScale().fitContent();
requestAnimationFrame(() => {
  // Where the heatmap's pane starts in the chart's screenshot (the browser test reads pixels there).
  const paneEl = host.getPane().getHTMLElement();
  const chartEl = document.getElementById('chart')!;
  const paneTop = paneEl ? paneEl.getBoundingClientRect().top - chartEl.getBoundingClientRect().top : 0;
  expose({ chart, series: host, candleSeries: series, heat, candles, liquidations, book, mode, paneTop });
});
