/**
 * Realized liquidation clusters (bands to the right edge, the revisited one dimmed) and, as a
 * separate layer, predicted levels; detector events as lightweight-charts' own series markers.
 */
import { createSeriesMarkers } from 'lightweight-charts';
import type { DetectorEvent } from '../../../../api.ts';
import { toMarkers } from '../../markers/data.ts';
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
const at = (i: number) => candles.t[i] + 17_000;
const events: DetectorEvent[] = [
  { t: at(60), kind: 'absorption', direction: 'up', price: candles.l[60], text: 'buyers absorbing' },
  { t: at(120), kind: 'divergence', direction: 'down', price: candles.h[120], text: 'sell-flow divergence' },
  { t: at(180), kind: 'bait', direction: 'up', price: candles.l[180], text: 'bid bait' },
];
createSeriesMarkers(series, toMarkers(events, candles.tfMs));
chart.timeScale().fitContent();
requestAnimationFrame(() => expose({ chart, series, candles, liquidations, predictions, events }));
