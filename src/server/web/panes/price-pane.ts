/**
 * The main pane: the footprint series (bid x ask per level when zoomed in, candles when zoomed
 * out, or always candles with the footprint layer off), volume under it, and every layer of the
 * method drawn by the plugins in src/server/web/plugins: session shading, the realized
 * liquidation heatmap and zones, predicted liquidation levels (a separate layer), big-print
 * bubbles, the volume profile, and detector events as markers.
 */
import { HistogramSeries, type IChartApi, type ISeriesApi, type ISeriesPrimitive, type SeriesMarker, type SeriesPartialOptions, type Time } from 'lightweight-charts';
import type { CandlesResponse, DetectorEvent, LiquidationsResponse, PredictedLiquidationsResponse, PrintsResponse, SessionsResponse } from '../../api.ts';
import type { Bars } from '../bars.ts';
import { PANE } from '../chart.ts';
import { BubblesPrimitive } from '../plugins/bubbles/bubbles-primitive.ts';
import { toBubbles } from '../plugins/bubbles/data.ts';
import { replaceStore, toFootprintData, toFootprintStore, type FootprintBarData, type FootprintStore } from '../plugins/footprint/data.ts';
import { FootprintSeries } from '../plugins/footprint/footprint-series.ts';
import { defaultOptions as footprintDefaults, type FootprintSeriesOptions } from '../plugins/footprint/options.ts';
import { EMPTY_HEATMAP, toHeatmap, type HeatmapStore } from '../plugins/heatmap/data.ts';
import { HeatmapPrimitive } from '../plugins/heatmap/heatmap-primitive.ts';
import { TimeGrid } from '../plugins/helpers/time-grid.ts';
import { toMarkers } from '../plugins/markers/data.ts';
import { toSessionSpans } from '../plugins/session-shading/data.ts';
import { SessionShadingPrimitive } from '../plugins/session-shading/session-shading-primitive.ts';
import { toProfileStore } from '../plugins/volume-profile/data.ts';
import { VolumeProfilePrimitive } from '../plugins/volume-profile/volume-profile-primitive.ts';
import { toPredictedLevels, toRealizedZones, type PredictedLevel } from '../plugins/zones/data.ts';
import { PredictedLevelsPrimitive, RealizedZonesPrimitive } from '../plugins/zones/zones-primitive.ts';
import { toChartTime } from '../time.ts';
import { SplitSeries } from './live-series.ts';
import { MarkerLayer } from './marker-layer.ts';
import type { ProgressiveLoad } from './progressive-load.ts';

const VOLUME_UP = 'rgba(38,166,154,0.35)';
const VOLUME_DOWN = 'rgba(239,83,80,0.35)';

/** Predicted levels drawn per side: the largest by notional (the model projects many small ones). */
const PREDICTED_PER_SIDE = 5;

/** The `n` levels of largest notional on each side. */
function strongest(levels: PredictedLevel[], n: number): PredictedLevel[] {
  const bySide = (side: PredictedLevel['side']) => levels.filter((l) => l.side === side).sort((a, b) => b.notional - a.notional).slice(0, n);
  return [...bySide('long'), ...bySide('short')];
}

/** The layers a key or a button turns on and off. */
export type PriceLayer = 'heatmap' | 'predicted';

type FootprintApi = ISeriesApi<'Custom', Time, FootprintBarData | { time: Time }, FootprintSeriesOptions, SeriesPartialOptions<FootprintSeriesOptions>>;

export class PricePane {
  /**
   * The footprint series, as two of the same (live-series.ts): the loaded span, which carries
   * every layer below, and the bars live trades touched since, which take the live updates.
   */
  readonly candles: SplitSeries<'Custom'>;
  /** The loaded span's footprint series: the layers are attached to it. */
  readonly series: FootprintApi;
  /** Bar opens of the series, shared by every layer placing times between bars. */
  readonly grid = new TimeGrid();
  private readonly volume: SplitSeries<'Histogram'>;
  /** Detector events, on a series of their own (marker-layer.ts), above the candles and volume. */
  private readonly markers: MarkerLayer;
  private readonly sessions: SessionShadingPrimitive;
  readonly heatmap: HeatmapPrimitive;
  readonly zones: RealizedZonesPrimitive;
  readonly predicted = new PredictedLevelsPrimitive();
  readonly bubbles: BubblesPrimitive;
  readonly profile = new VolumeProfilePrimitive();
  private store: FootprintStore | null = null;
  private events: DetectorEvent[] = [];
  private readonly shown: Record<PriceLayer, boolean> = { heatmap: true, predicted: true };
  /** What the toggled layers show when on. */
  private heatmapData: HeatmapStore = EMPTY_HEATMAP;
  private predictedData: PredictedLevel[] = [];

  constructor(chart: IChartApi) {
    // Each half draws with its own FootprintSeries view (a view renders one series).
    this.candles = new SplitSeries(chart, () => chart.addCustomSeries(new FootprintSeries(), { priceLineVisible: true }, PANE.main) as ISeriesApi<'Custom'>, { connect: false });
    this.series = this.candles.history as FootprintApi;
    this.volume = new SplitSeries(
      chart,
      () => chart.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false }, PANE.main),
      { connect: false },
    );
    this.volume.history.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    this.sessions = new SessionShadingPrimitive(this.grid);
    this.heatmap = new HeatmapPrimitive(this.grid, { mode: 'liquidation' });
    this.zones = new RealizedZonesPrimitive(this.grid);
    this.bubbles = new BubblesPrimitive(this.grid);
    // Back to front: sessions, heatmap, zones, then the bars; predicted lines, bubbles and the profile on top.
    const layers: ISeriesPrimitive<Time>[] = [this.sessions, this.heatmap, this.zones, this.predicted, this.bubbles, this.profile];
    for (const p of layers) this.series.attachPrimitive(p);
    this.markers = new MarkerLayer(chart, PANE.main);
  }

  /**
   * Candles with (or without) their footprint levels: the series, volume and profile.
   * `progressive` (a first load, progressive-load.ts): the volume's older bars come after the
   * first render; the candles are the time scale and take the whole span now.
   */
  setCandles(r: CandlesResponse, b: Bars, progressive?: ProgressiveLoad): void {
    const { bars, store } = toFootprintData(r);
    this.store = store;
    this.grid.set(b.t, b.tfMs);
    this.candles.reset(bars);
    this.profile.setData(toProfileStore(r));
    const vol = new Array(b.length);
    for (let i = 0; i < b.length; i++) vol[i] = { time: toChartTime(b.t[i]), value: b.buy[i] + b.sell[i], color: b.c[i] >= b.o[i] ? VOLUME_UP : VOLUME_DOWN };
    this.volume.reset(vol, progressive);
  }

  /**
   * The footprint levels held so far laid on the candles (FootprintRanges.merge): the series and
   * the profile take them; the volume and the grid are the candles' and stay. The bars drawn
   * live keep their live drawing (a closed one gets its levels from setBarFootprint).
   */
  setLevels(r: CandlesResponse): void {
    if (this.store) {
      // The series' items (both halves') are the candles' and point at this store: the levels go
      // into it, and a repaint draws them (a setData of 50k items was most of what the levels cost the page).
      replaceStore(this.store, toFootprintStore(r));
      this.candles.history.applyOptions({});
      this.candles.live.applyOptions({});
    } else {
      const { bars, store } = toFootprintData(r);
      this.store = store;
      this.candles.setHistory(bars);
    }
    this.profile.setData(toProfileStore(r));
  }

  /**
   * Redraws bar `i` (its candle and volume) after live trades changed (or opened) it: the live
   * halves' update, whose cost is the bars drawn live, not the span. A bar the footprint store
   * does not hold (opened live) draws as a candle until its levels come (setBarFootprint).
   */
  updateBar(b: Bars, i: number): void {
    const time = toChartTime(b.t[i]);
    if (i >= this.grid.length) this.grid.push(b.t[i]);
    const store = this.store;
    if (store) this.candles.update({ time, open: b.o[i], high: b.h[i], low: b.l[i], close: b.c[i], i, store } as FootprintBarData);
    this.volume.update({ time, value: b.buy[i] + b.sell[i], color: b.c[i] >= b.o[i] ? VOLUME_UP : VOLUME_DOWN } as never);
  }

  /**
   * Bar `i` with its footprint levels from `r` (that bar's own `/api/candles?footprint=1`): a bar
   * that closed live. Drawn with `update` (the bar carries its own one-bar store); the stored
   * OHLC replaces the live fold.
   */
  setBarFootprint(b: Bars, i: number, r: CandlesResponse): void {
    const k = r.t.indexOf(b.t[i]);
    if (i < 0 || k < 0 || !r.footprint) return;
    const { store } = toFootprintData(r);
    b.o[i] = r.o[k];
    b.h[i] = r.h[k];
    b.l[i] = r.l[k];
    b.c[i] = r.c[k];
    this.candles.update({ time: toChartTime(b.t[i]), open: r.o[k], high: r.h[k], low: r.l[k], close: r.c[k], i: k, store } as FootprintBarData);
  }

  /** Footprint levels when zoomed in (on), or candles at every zoom (off). */
  setFootprint(on: boolean): void {
    const minBarSpacing = on ? footprintDefaults.minBarSpacing : Number.POSITIVE_INFINITY;
    for (const s of [this.candles.history, this.candles.live]) s.applyOptions({ minBarSpacing } as never);
  }

  /**
   * Shows or hides a layer. A hidden layer keeps its place in the stack (it is handed empty data,
   * not detached, since re-attaching would draw it on top of the layers attached after it).
   */
  setLayer(layer: PriceLayer, on: boolean): void {
    this.shown[layer] = on;
    if (layer === 'heatmap') this.heatmap.setHeatmap(on ? this.heatmapData : EMPTY_HEATMAP);
    else this.predicted.setLevels(on ? this.predictedData : []);
  }

  setLiquidations(r: LiquidationsResponse): void {
    this.heatmapData = toHeatmap(r.heatmap);
    if (this.shown.heatmap) this.heatmap.setHeatmap(this.heatmapData);
    this.zones.setZones(toRealizedZones(r));
  }

  setPredicted(r: PredictedLiquidationsResponse): void {
    this.predictedData = strongest(toPredictedLevels(r), PREDICTED_PER_SIDE);
    if (this.shown.predicted) this.predicted.setLevels(this.predictedData);
  }

  /** Big prints at or above `minNotional` (the size pane's large threshold) as bubbles. */
  setPrints(r: PrintsResponse, minNotional = 0): void {
    this.bubbles.setPrints(toBubbles(r, minNotional));
  }

  setSessions(r: SessionsResponse): void {
    this.sessions.setSessions(toSessionSpans(r));
  }

  setEvents(events: readonly DetectorEvent[], b: Bars): void {
    this.events = events.slice();
    this.drawMarkers(b);
  }

  /** A live event; drawn by the next `drawMarkers` (once per frame, however many came). */
  addEvent(e: DetectorEvent): void {
    this.events.push(e);
  }

  /**
   * Bait walls come by the hundred on a busy book: one unlabelled square per bar for them, so
   * they mark where bait was without burying the candles and the rarer ABS / DIV markers (the
   * hover legend lists each one's text).
   */
  drawMarkers(b: Bars): void {
    const out: SeriesMarker<Time>[] = [];
    let lastBait: Time | null = null;
    for (const m of toMarkers(this.events, b.tfMs)) {
      if (m.text !== 'BAIT') out.push(m);
      else if (m.time !== lastBait) {
        out.push({ ...m, text: '', size: 0.6 });
        lastBait = m.time;
      }
    }
    this.markers.set(out, b);
  }

  /** The events on screen, for the hover legend (markers carry no tooltip). */
  eventTexts(): readonly DetectorEvent[] {
    return this.events;
  }
}
