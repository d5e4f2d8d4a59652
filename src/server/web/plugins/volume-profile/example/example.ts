/** Volume profile of the visible bars, from the footprint levels of generated candles. */
import { exampleCandles } from '../../helpers/example-data.ts';
import { addExampleCandles, createExampleChart, expose } from '../../helpers/example-chart.ts';
import { toProfileStore } from '../data.ts';
import { VolumeProfilePrimitive } from '../volume-profile-primitive.ts';

const chart = createExampleChart();
const candles = exampleCandles(400, 5);
const series = addExampleCandles(chart, candles);
const profile = new VolumeProfilePrimitive();
series.attachPrimitive(profile);
const store = toProfileStore(candles);
profile.setData(store);
chart.timeScale().setVisibleLogicalRange({ from: 200, to: 399 });
requestAnimationFrame(() => expose({ chart, series, candles, store }));
