/** Asia / Europe / US sessions shaded behind two days of 15-minute candles. */
import { exampleCandles } from '../../helpers/example-data.ts';
import { addExampleCandles, createExampleChart, expose } from '../../helpers/example-chart.ts';
import { TimeGrid } from '../../helpers/time-grid.ts';
import { exampleSessions } from '../../helpers/example-data.ts';
import { toSessionSpans } from '../data.ts';
import { SessionShadingPrimitive } from '../session-shading-primitive.ts';

const chart = createExampleChart();
const one = exampleCandles(192, 5);
// Same walk, 15-minute bars: two days.
const candles = { ...one, tf: '15m' as const, tfMs: 900_000, t: one.t.map((_, i) => one.t[0] + i * 900_000) };
const series = addExampleCandles(chart, candles);
const shading = new SessionShadingPrimitive(new TimeGrid(candles.t, candles.tfMs));
series.attachPrimitive(shading);
const sessions = exampleSessions(candles.t[0], candles.t[candles.t.length - 1]);
shading.setSessions(toSessionSpans(sessions));
chart.timeScale().fitContent();
requestAnimationFrame(() => expose({ chart, series, candles, sessions }));
