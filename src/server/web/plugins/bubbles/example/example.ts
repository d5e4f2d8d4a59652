/** Big prints as bubbles over generated candles. */
import { exampleCandles, examplePrints } from '../../helpers/example-data.ts';
import { addExampleCandles, createExampleChart, expose } from '../../helpers/example-chart.ts';
import { TimeGrid } from '../../helpers/time-grid.ts';
import { BubblesPrimitive } from '../bubbles-primitive.ts';
import { toBubbles } from '../data.ts';

const chart = createExampleChart();
const candles = exampleCandles(240, 5);
const series = addExampleCandles(chart, candles);
const bubbles = new BubblesPrimitive(new TimeGrid(candles.t, candles.tfMs));
series.attachPrimitive(bubbles);
const prints = examplePrints(candles, 120);
bubbles.setPrints(toBubbles(prints));
chart.timeScale().fitContent();
requestAnimationFrame(() => expose({ chart, series, candles, prints }));
