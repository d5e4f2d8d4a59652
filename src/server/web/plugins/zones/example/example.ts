/** Realized liquidation clusters (bands to the right edge, the revisited one dimmed) and, as a separate layer, predicted levels. */
import { exampleCandles, exampleLiquidations, examplePredicted } from '../../helpers/example-data.ts';
import { addExampleCandles, createExampleChart, expose } from '../../helpers/example-chart.ts';
import { TimeGrid } from '../../helpers/time-grid.ts';
import { toPredictedLevels, toRealizedZones } from '../data.ts';
import { PredictedLevelsPrimitive, RealizedZonesPrimitive } from '../zones-primitive.ts';

const chart = createExampleChart();
const candles = exampleCandles(240, 5);
const series = addExampleCandles(chart, candles);
const grid = new TimeGrid(candles.t, candles.tfMs);
const zones = new RealizedZonesPrimitive(grid);
const predicted = new PredictedLevelsPrimitive();
series.attachPrimitive(zones);
series.attachPrimitive(predicted);
const liquidations = exampleLiquidations(candles);
const predictions = examplePredicted(candles);
zones.setZones(toRealizedZones(liquidations));
predicted.setLevels(toPredictedLevels(predictions));
chart.timeScale().fitContent();
requestAnimationFrame(() => expose({ chart, series, candles, liquidations, predictions }));
