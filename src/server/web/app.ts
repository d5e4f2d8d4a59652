/**
 * The dashboard: owns the view (symbol, venues, timeframe, layers), loads history for it from
 * `/api/*`, keeps it live from `/ws`, and keeps the URL equal to what is on screen.
 */
import type { BookHeatmapResponse, CandlesResponse, LiveMessage, MarketInfo, TapeRow } from '../api.ts';
import { CANDLES_MARK, DASHBOARD_TIMEFRAMES, PANES_FULL_MARK } from '../api.ts';
import { ApiClient, type RangeQuery } from './api-client.ts';
import { Bars, footprintLevelTicks } from './bars.ts';
import { createCharts, PANE, type Charts } from './chart.ts';
import { el } from './dom.ts';
import { FootprintRanges, wantedBars } from './footprint-ranges.ts';
import { FrameBatch } from './frame-batch.ts';
import { LiveClient } from './live-client.ts';
import { AgreementPane } from './panes/agreement-pane.ts';
import { BookPane } from './panes/book-pane.ts';
import { CVD_TIMEFRAMES, CvdPane, type CvdTimeframe } from './panes/cvd-pane.ts';
import { TimeRunway } from './panes/live-series.ts';
import { MarketStatePane } from './panes/market-state-pane.ts';
import { PricePane } from './panes/price-pane.ts';
import { ProgressiveLoad } from './panes/progressive-load.ts';
import { SizesPane } from './panes/sizes-pane.ts';
import { PaperPanel } from './panels/paper-panel.ts';
import { RunsPanel } from './panels/runs-panel.ts';
import { ROWS_PER_FRAME, TapePanel } from './panels/tape.ts';
import { TF_MS, toChartTime } from './time.ts';
import { Header, type Layers } from './ui/header.ts';
import { installShortcuts, type Shortcut } from './ui/shortcuts.ts';
import { HoverLegend } from './ui/hover-legend.ts';
import { StatusBar } from './ui/status.ts';
import { formatViewState, parseViewState, type ViewState } from './url-state.ts';

/** Live messages held for a tab that gets no animation frames before the view reloads instead. */
const MAX_PENDING = 5_000;
/** The shortest interval between two live redraws of the chart (see scheduleChartDraw). */
const CHART_DRAW_MS = 50;
/** The shortest interval between two live writes of open interest and funding (see flushMarketState). */
const MARKET_STATE_DRAW_MS = 1_000;
/** Delay between a live bar opening and the overlays' refresh (lets the server's tail catch up). */
const OVERLAY_REFRESH_MS = 1_000;
/** How far before the closed bar a refresh rewrites the line panes (a bucket of agreement or market state may span several candles). */
const OVERLAY_TAIL_MS = 3_600_000;
/** Below this many candles a loaded view is fitted to the width (above, the latest bars show at the default spacing). */
const FIT_BARS = 150;
/** Footprint levels a typical bar should get (see loadFootprint). */
const FOOTPRINT_LEVELS = 24;
/** Footprint levels are fetched for the visible bars plus this share of their width on each side. */
const FOOTPRINT_MARGIN = 0.5;
/** Scrolling or zooming settles this long before the levels of the new range are asked for. */
const FOOTPRINT_DEBOUNCE_MS = 150;
/**
 * Wider than this many visible bars no levels are fetched: the series draws candles there (it
 * shows levels from about 20 px a bar) and the whole span's levels are megabytes.
 */
const FOOTPRINT_MAX_BARS = 3_000;
/**
 * A first load writes each series but the candles from this many screens' width of bars before
 * the last bar (the screen itself and the ones to its left), the older points after the first
 * render (panes/progressive-load.ts).
 */
const FIRST_DRAW_SCREENS = 3;
/** Bars a screen holds before the chart knows its width (about 1,366 px at the default 6 px a bar). */
const SCREEN_BARS_GUESS = 200;

export class App {
  private view: ViewState;
  private markets: readonly MarketInfo[] = [];
  /** Settles when `markets` is in (or failed: then it stays empty). */
  private marketsLoaded: Promise<void> = Promise.resolve();
  private readonly api = new ApiClient();
  /**
   * The refresh after a live bar opens asks one request at a time: a dozen whole-span requests at
   * once kept the server's one thread (and the store's reads) busy for seconds, and the live
   * tail, which runs on that thread, with it: the stream stalled, then came as one burst.
   */
  private readonly refreshApi = new ApiClient('', { maxInFlight: 1 });
  /**
   * The panes beside the main chart ask at low priority: the footprint of the candles on screen,
   * asked after them, goes out before those still queued in the browser.
   */
  private readonly panes = new ApiClient('', { priority: 'low' });
  private readonly header: Header;
  private readonly status = new StatusBar();
  private readonly charts: Charts;
  private readonly price: PricePane;
  private readonly cvd: CvdPane;
  private readonly sizes: SizesPane;
  private readonly marketState: MarketStatePane;
  private readonly agreement: AgreementPane;
  private readonly book: BookPane;
  private bookChoice: string | undefined;
  /** The tape's history loads once per view; live rows keep it current after that. */
  private tapeLoaded = false;
  /** A live bar opened: the overlays (heatmaps, zones, prints, events) are re-fetched once it settles. */
  private overlayTimer: ReturnType<typeof setTimeout> | null = null;
  /** Candles the chart holds; a live trade past them opened a bar. */
  private drawnBars = 0;
  /** Candles the view loaded; the ones after them opened live (their levels come when they close). */
  private loadedBars = 0;
  /** Whitespace at the next bar opens, so a bar opening live does not change the chart's time scale (live-series.ts). */
  private readonly runway: TimeRunway;
  /** The footprint levels held for this view, by range (loadFootprint); null before its level height is known. */
  private levels: FootprintRanges | null = null;
  private levelsTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly legend: HoverLegend;
  private readonly tape = new TapePanel();
  private readonly paper = new PaperPanel();
  private readonly runs = new RunsPanel();
  private bars = new Bars(TF_MS['1m']);
  private cvdTf: CvdTimeframe = '15m';
  private layers: Layers = { footprint: true, heatmap: true, predicted: true, follow: true };
  private live: LiveClient | null = null;
  private loading: AbortController | null = null;
  /**
   * Live messages wait here for the next animation frame. A hidden tab gets no frames: past
   * `MAX_PENDING` messages the queue is dropped and the view reloaded from the store instead.
   */
  private readonly batch = new FrameBatch<LiveMessage>(
    (items) => this.applyLive(items),
    undefined,
    MAX_PENDING,
    () => void this.reload(),
  );
  /** The socket closed since it last opened: the next open reloads the view. */
  private wasClosed = false;
  /** Messages the server said it dropped for this client (it then down-samples). */
  private dropped = 0;
  /** Candles changed by live trades and not yet redrawn: [from, to], to -1 when none. */
  private pendingFrom = Infinity;
  private pendingTo = -1;
  private lastChartDraw = 0;
  private lastMarketStateDraw = 0;
  private marketStateTimer: ReturnType<typeof setTimeout> | null = null;
  private drawTimer: ReturnType<typeof setTimeout> | null = null;
  private toggleHelp: () => void = () => {};

  constructor(root: HTMLElement) {
    this.view = parseViewState(location.search);
    this.header = new Header({
      symbol: (symbol) => this.setView({ symbol, venues: [] }),
      venues: (venues) => this.setView({ venues }),
      tf: (tf) => this.setView({ tf }),
      layer: (name, on) => this.setLayer(name, on),
      help: () => this.toggleHelp(),
    });
    const chartBox = el('div', { class: 'chart', 'data-testid': 'chart' });
    const side = el('aside', {}, this.tape.root, this.paper.root, this.runs.root);
    const help = installShortcuts(this.shortcuts());
    this.toggleHelp = help.toggleHelp;
    root.replaceChildren(this.header.root, this.status.banner, el('main', {}, chartBox, side), help.overlay);
    this.header.root.append(this.status.live);
    this.charts = createCharts(chartBox);
    const chart = this.charts.chart;
    this.price = new PricePane(chart);
    this.cvd = new CvdPane(chart);
    this.sizes = new SizesPane(chart);
    this.marketState = new MarketStatePane(chart);
    this.agreement = new AgreementPane(chart);
    this.book = new BookPane(chart, this.price.grid);
    this.runway = new TimeRunway(chart, PANE.main);
    this.legend = new HoverLegend(chart, () => this.bars, () => this.price.eventTexts());
    chartBox.append(this.legend.root);
    this.header.showLayers(this.layers);
    chart.timeScale().subscribeVisibleLogicalRangeChange(() => this.scheduleFootprint());
  }

  async start(): Promise<void> {
    this.marketsLoaded = this.api.markets().then(
      (r) => {
        this.markets = r.markets;
        this.status.clear('markets');
      },
      (err) => this.status.error('markets', err),
    );
    void this.loadRuns();
    void this.loadPaper();
    // A view naming its symbol asks for its candles beside the markets; without one, the first market is the view.
    if (!this.view.symbol) await this.marketsLoaded;
    void this.marketsLoaded.then(() => this.header.setMarkets(this.markets));
    if (!this.view.symbol && this.markets.length) this.view = { ...this.view, symbol: this.markets[0].symbol };
    await this.reload();
  }

  private shortcuts(): Shortcut[] {
    const key = (k: string) => (e: KeyboardEvent) => e.key === k;
    return [
      ...DASHBOARD_TIMEFRAMES.map((tf, i) => ({ keys: String(i + 1), what: `timeframe ${tf}`, match: key(String(i + 1)), run: () => this.setView({ tf }) })),
      { keys: 'f', what: 'footprint when zoomed in (on/off)', match: key('f'), run: () => this.setLayer('footprint', !this.layers.footprint) },
      { keys: 'h', what: 'realized liquidation heatmap (on/off)', match: key('h'), run: () => this.setLayer('heatmap', !this.layers.heatmap) },
      { keys: 'p', what: 'predicted liquidation levels (on/off)', match: key('p'), run: () => this.setLayer('predicted', !this.layers.predicted) },
      { keys: 'l', what: 'follow the live edge (on/off)', match: key('l'), run: () => this.setLayer('follow', !this.layers.follow) },
      { keys: 'c', what: 'CVD horizon: 15m → 1h → 1d', match: key('c'), run: () => this.cycleCvd() },
      { keys: 'b', what: 'book heatmap: next venue', match: key('b'), run: () => this.cycleBookVenue() },
      { keys: '+ / -', what: 'zoom in / out (the footprint shows from about 20 px a bar)', match: (e) => e.key === '+' || e.key === '=' || e.key === '-', run: (e) => this.zoom(e.key === '-' ? 1 / 1.6 : 1.6) },
      { keys: '/', what: 'symbol search', match: key('/'), run: () => this.header.symbolInput.focus() },
      { keys: '?', what: 'this help', match: key('?'), run: () => this.toggleHelp() },
    ];
  }

  /** The pickers showing the view: its symbol, the market's venues (the view's own until the markets are in), the timeframe. */
  private showHeader(): void {
    const v = this.view;
    const m = this.market();
    this.header.show(v.symbol, m ? m.venues.map((x) => x.venue) : v.venues, v.venues, v.tf);
  }

  private market(): MarketInfo | undefined {
    return this.markets.find((m) => m.symbol === this.view.symbol);
  }

  private setView(patch: Partial<ViewState>): void {
    const next = { ...this.view, ...patch };
    const liveChanged = next.symbol !== this.view.symbol || next.venues.join() !== this.view.venues.join();
    this.view = next;
    if (liveChanged) {
      this.stopLive();
      this.tapeLoaded = false;
      this.bookChoice = undefined;
    }
    void this.reload();
  }

  private setLayer(name: keyof Layers, on: boolean): void {
    this.layers = { ...this.layers, [name]: on };
    this.header.showLayers(this.layers);
    if (name === 'footprint') this.price.setFootprint(on);
    if (name === 'heatmap' || name === 'predicted') this.price.setLayer(name, on);
    if (name === 'follow') {
      this.charts.chart.timeScale().applyOptions({ shiftVisibleRangeOnNewBar: on });
      if (on) this.charts.chart.timeScale().scrollToRealTime();
    }
  }

  /** Zooms the time axis about its right edge (lightweight-charts' bar spacing, capped by its own limits). */
  private zoom(factor: number): void {
    const ts = this.charts.chart.timeScale();
    ts.applyOptions({ barSpacing: Math.min(120, Math.max(0.5, ts.options().barSpacing * factor)) });
  }

  private cycleCvd(): void {
    this.cvdTf = CVD_TIMEFRAMES[(CVD_TIMEFRAMES.indexOf(this.cvdTf) + 1) % CVD_TIMEFRAMES.length];
    void this.loadCvd(this.range(), this.loading?.signal);
  }

  /** The query for everything but the candles: the candles' own span. */
  private range(): RangeQuery {
    const b = this.bars;
    return { symbol: this.view.symbol, venues: this.view.venues, tf: this.view.tf, from: b.length ? b.t[0] : undefined, to: b.length ? b.t[b.length - 1] + b.tfMs : undefined };
  }

  private async reload(): Promise<void> {
    const v = this.view;
    history.replaceState(null, '', `${location.pathname}${formatViewState(v)}`);
    this.showHeader();
    if (!v.symbol) {
      this.status.error('view', new Error('no market in the store yet: record or import some trades, then reload'));
      return;
    }
    this.loading?.abort();
    const ac = new AbortController();
    this.loading = ac;
    const signal = ac.signal;
    document.title = `${v.symbol} ${v.tf} · orderflow`;
    // While set, what is on screen is not yet the whole view (the status shows it; tests wait on it).
    document.body.dataset.loading = '1';
    // Set again once this load is drawn, while its older points are pending (the last load's drain stopped with its signal).
    delete document.body.dataset.history;
    // Candles first, without levels: the chart is on screen before the heavier footprint arrives.
    let head: Awaited<ReturnType<ApiClient['candlesSpan']>>;
    try {
      head = await this.api.candlesSpan({ symbol: v.symbol, venues: v.venues, tf: v.tf, bars: v.bars }, signal);
    } catch (err) {
      if (!signal.aborted) {
        this.status.error('candles', err);
        delete document.body.dataset.loading;
      }
      return;
    }
    // The other panes are asked for the candles' span as soon as the candles' headers say what it
    // is: the server works on them while the page reads and draws the candles. Each is drawn once
    // the candles are (its points go on the candles' grid); a failure of the candles drops them.
    const early = new AbortController();
    signal.addEventListener('abort', () => early.abort(), { once: true });
    let candlesDrawn: (ok: boolean) => void = () => {};
    const drawn = new Promise<boolean>((r) => (candlesDrawn = r));
    const span: RangeQuery = { symbol: v.symbol, venues: v.venues, tf: v.tf, from: head.span?.[0], to: head.span?.[1] };
    // Where each series starts at first draw: set once the candles are in, before any pane is drawn.
    const progressive = new ProgressiveLoad();
    const panes = [this.loadOverlays(early.signal, undefined, span, drawn, this.panes, progressive), this.loadCvd(span, early.signal, drawn, progressive)];
    try {
      const r = await head.candles;
      if (signal.aborted) {
        candlesDrawn(false);
        return;
      }
      // The header's venue picker comes from the markets, asked beside the candles: shown once both are in.
      void this.marketsLoaded.then(() => {
        if (signal.aborted) return;
        if (r.symbol && r.symbol !== v.symbol && this.markets.some((m) => m.symbol === r.symbol)) {
          // `BTC` or a venue's own name resolved to the pickers' name: show and keep that one.
          this.view = { ...this.view, symbol: r.symbol };
          history.replaceState(null, '', `${location.pathname}${formatViewState(this.view)}`);
        }
        this.showHeader();
      });
      this.bars = Bars.from(r);
      this.pendingFrom = Infinity;
      this.pendingTo = -1;
      // The runway for the bars to come (panes/live-series.ts), laid before the candles so that
      // their own setData passes take it in: laid later, it is one more pass over every series.
      // A short history is fitted to the width, and fitContent (applied once the chart has its
      // size) would count the runway's times: its runway comes with the live feed (startLive).
      const b = this.bars;
      const fit = b.length < FIT_BARS;
      if (fit) this.runway.clear();
      else this.layRunway();
      progressive.fromTime = this.firstDrawTime(b);
      this.price.setCandles(r, b, progressive);
      this.book.setBars(b, progressive);
      this.drawnBars = b.length;
      this.loadedBars = b.length;
      // A short history fills the width instead of huddling at the right edge.
      if (fit) this.charts.chart.timeScale().fitContent();
      this.charts.label('main', `${v.symbol} ${v.tf} · ${r.venues.join(' ')}`);
      this.status.clear('candles');
      // When the main chart got its candles (the dashboard bench reports it beside the full render).
      performance.clearMarks(CANDLES_MARK);
      performance.mark(CANDLES_MARK);
      candlesDrawn(true);
    } catch (err) {
      candlesDrawn(false);
      early.abort();
      if (!signal.aborted) {
        this.status.error('candles', err);
        delete document.body.dataset.loading;
      }
      return;
    }
    await Promise.all([this.loadFootprint(signal), ...panes]);
    if (!signal.aborted) {
      delete document.body.dataset.loading;
      // The older points of every series, after the frame that shows the screen (the dashboard bench and the tests read the mark).
      document.body.dataset.history = 'partial';
      void progressive.drain(signal).then(() => {
        if (signal.aborted) return;
        delete document.body.dataset.history;
        performance.clearMarks(PANES_FULL_MARK);
        performance.mark(PANES_FULL_MARK);
      });
    }
    if (!this.live) this.startLive();
  }

  /**
   * Chart time of the first bar a first load draws at once (panes/progressive-load.ts):
   * FIRST_DRAW_SCREENS screens' width of bars before the last; -Infinity when that is all of them.
   */
  private firstDrawTime(b: Bars): number {
    const ts = this.charts.chart.timeScale();
    const width = ts.width();
    const screen = width > 0 ? Math.ceil(width / ts.options().barSpacing) : SCREEN_BARS_GUESS;
    const first = b.length - FIRST_DRAW_SCREENS * screen;
    return first > 0 && b.length >= FIT_BARS ? toChartTime(b.t[first]) as number : -Infinity;
  }

  /** Runs `p` and hands its answer to `use` unless the view changed meanwhile; a failure goes to the banner under `key`. */
  private guard<T>(key: string, signal: AbortSignal, p: Promise<T>, use: (x: T) => void): Promise<void> {
    return p.then(
      (x) => {
        if (signal.aborted) return;
        use(x);
        this.status.clear(key);
      },
      (err) => {
        if (!signal.aborted) this.status.error(key, err);
      },
    );
  }

  /**
   * The footprint levels of the candles on screen plus a margin, at a level height giving about
   * `FOOTPRINT_LEVELS` levels to a typical bar (the tick alone would give thousands on a wide
   * 1h bar). Further ranges come as the view scrolls or zooms into them (scheduleFootprint).
   */
  private async loadFootprint(signal: AbortSignal): Promise<void> {
    const b = this.bars;
    this.levels = null;
    // The tick comes with the markets (asked beside the candles).
    await this.marketsLoaded;
    if (signal.aborted || this.bars !== b) return;
    const tick = this.market()?.tick;
    if (!b.length || !tick) return;
    this.levels = new FootprintRanges(footprintLevelTicks(b, tick, FOOTPRINT_LEVELS));
    await this.loadVisibleFootprint(signal);
  }

  /** After the view stops moving, the levels of what it shows (FOOTPRINT_DEBOUNCE_MS). */
  private scheduleFootprint(): void {
    if (this.levelsTimer) clearTimeout(this.levelsTimer);
    this.levelsTimer = setTimeout(() => {
      this.levelsTimer = null;
      const signal = this.loading?.signal;
      if (signal && !signal.aborted) void this.loadVisibleFootprint(signal);
    }, FOOTPRINT_DEBOUNCE_MS);
  }

  /** Fetches the levels of the visible bars (plus FOOTPRINT_MARGIN) not held or asked for yet, one request a gap. */
  private async loadVisibleFootprint(signal: AbortSignal): Promise<void> {
    const b = this.bars;
    const levels = this.levels;
    if (!levels || !b.length) return;
    const vis = this.charts.chart.timeScale().getVisibleLogicalRange();
    // Before the chart knows its width, the latest bars are what it will show.
    const [visFrom, visTo] = vis ? [vis.from, vis.to] : [b.length - 200, b.length - 1];
    if (visTo - visFrom > FOOTPRINT_MAX_BARS) return;
    const [first, wantedLast] = wantedBars(visFrom, visTo, b.length, FOOTPRINT_MARGIN);
    // Bars opened live get their levels as each closes (loadBarFootprint): asking for the forming
    // one here, as the view follows it, would redraw every held bar for a bar still trading.
    const last = Math.min(wantedLast, this.loadedBars - 1);
    if (last < first) return;
    const v = this.view;
    const gaps = levels.claim(b.t[first], b.t[last] + b.tfMs);
    await Promise.all(
      gaps.map((span) => {
        const q: RangeQuery = { symbol: v.symbol, venues: v.venues, tf: v.tf, from: span[0], to: span[1] };
        return this.api.candles(q, { footprint: true, levelTicks: levels.levelTicks }, signal).then(
          (r) => {
            if (signal.aborted || this.levels !== levels) return;
            levels.add(r);
            this.status.clear('footprint');
          },
          (err) => {
            levels.release(span);
            if (!signal.aborted) this.status.error('footprint', err);
          },
        );
      }),
    );
    if (gaps.length && !signal.aborted && this.levels === levels && this.bars === b) this.price.setLevels(levels.merge(b, this.candlesBase()));
  }

  /** The view's name fields of a candles answer (FootprintRanges.merge lays the levels on the page's own candles). */
  private candlesBase(): { symbol: string; venues: CandlesResponse['venues']; tf: CandlesResponse['tf']; tfMs: number } {
    return { symbol: this.view.symbol, venues: this.view.venues as CandlesResponse['venues'], tf: this.view.tf, tfMs: this.bars.tfMs };
  }

  /** Everything drawn over the candles, re-fetched for the candles' span (also when a live bar opens). */
  /**
   * `from` (a refresh after a live bar closed): the candle index from which the line and
   * histogram panes may differ; they take those points by `update`, not the whole span again.
   * `q`: the span asked for (the drawn candles' by default); `drawn` (the first load, asked from
   * the candles' headers): settles true once the candles are drawn, false when they failed.
   */
  private async loadOverlays(signal: AbortSignal, from?: number, q: RangeQuery = this.range(), drawn?: Promise<boolean>, api = this.panes, progressive?: ProgressiveLoad): Promise<void> {
    // Asked before the candles are drawn (the first load): each answer waits for them.
    const after = <T>(p: Promise<T>): Promise<T> => (drawn ? p.then(async (x) => ((await drawn) ? x : Promise.reject(new DOMException('candles failed', 'AbortError')))) : p);
    // Big prints are the delta-by-size pane's large bucket: its threshold (the symbol's adaptive
    // one over the view) is the bubbles' floor, so a bubble is what the pane counts as large. The
    // two requests run side by side (the prints route's own classifier starts each range on its
    // warm-up fallback, which floods the first bars with bubbles: the filter is the page's).
    let large = 0;
    const sizes = this.guard('sizes', signal, after(api.sizes(q, signal)), (r) => {
      this.sizes.setData(r, this.bars, from, progressive);
      this.tape.setLargeFallback(r.thresholds[1]);
      if (r.thresholds[1] > 0) large = r.thresholds[1];
      this.charts.label('sizes', `Delta by size, cumulative · small grey, medium blue, large ≥ ${Math.round(r.thresholds[1]).toLocaleString()} orange, whale red`);
    });
    const prints = after(api.prints(q, undefined, signal));
    await Promise.all([
      sizes,
      this.guard('prints', signal, prints.then(async (r) => (await sizes, r)), (r) => this.price.setPrints(r, large)),
      this.guard('market-state', signal, after(api.marketState(q, signal)), (r) => {
        this.marketState.setData(r, this.bars, from, progressive);
        this.charts.label('marketState', 'Open interest (all venues) · funding % (dashed, left)');
      }),
      this.guard('agreement', signal, after(api.agreement(q, signal)), (r) => {
        this.agreement.setData(r, this.bars, from, progressive);
        const leader = r.leader.length ? r.leader[r.leader.length - 1] : '';
        this.charts.label('agreement', `Venues agree${leader ? ` · ${leader} leads` : ''}`);
      }),
      this.guard('events', signal, after(api.events(q, signal)), (r) => {
        this.price.setEvents(r.events, this.bars);
        this.legend.refresh();
      }),
      this.guard('liquidations', signal, after(api.liquidations(q, signal)), (r) => this.price.setLiquidations(r)),
      this.guard('predicted', signal, after(api.predicted(q, signal)), (r) => this.price.setPredicted(r)),
      this.guard('sessions', signal, after(api.sessions(q.from ?? 0, q.to ?? Date.now(), signal)), (r) => this.price.setSessions(r)),
      this.guard('book', signal, after(this.loadBook(q, signal, api)), (r) => {
        if (!r) return;
        this.book.setBook(r, this.bars);
        const empty = r.heatmap.tIndex.length === 0;
        this.charts.label('book', `Book heatmap · ${r.venue}${empty ? ': no stored book' : ''} (b: next venue) · walls: pulled dashed, consumed dot, bait dotted`);
      }),
      this.tapeLoaded ? Promise.resolve() : this.guard('tape', signal, after(api.tape(q, 200, signal)), (r) => {
        this.tape.setRows(r.rows);
        this.tapeLoaded = true;
      }),
    ]);
  }

  /** The venues of the view, in the pickers' order. */
  private viewVenues(): string[] {
    return this.view.venues.length ? [...this.view.venues] : (this.market()?.venues.map((v) => v.venue) ?? []);
  }

  /**
   * The book heatmap of the chosen venue; with none chosen, of the first venue that stored a book
   * (not every recorder records books), so the pane opens on data when there is some.
   */
  private async loadBook(q: RangeQuery, signal: AbortSignal, api = this.panes): Promise<BookHeatmapResponse | null> {
    await this.marketsLoaded;
    const venues = this.viewVenues();
    if (this.bookChoice && venues.includes(this.bookChoice)) return api.bookHeatmap({ ...q, venue: this.bookChoice }, signal);
    let first: BookHeatmapResponse | null = null;
    for (const venue of venues) {
      const r = await api.bookHeatmap({ ...q, venue }, signal);
      first ??= r;
      if (r.heatmap.tIndex.length) {
        this.bookChoice = venue; // the next refresh asks it first
        return r;
      }
    }
    return first;
  }

  private cycleBookVenue(): void {
    const venues = this.viewVenues();
    if (venues.length < 2) return;
    const at = this.bookChoice ? venues.indexOf(this.bookChoice) : -1;
    this.bookChoice = venues[(at + 1) % venues.length];
    if (this.loading) void this.loadOverlays(this.loading.signal);
  }

  /** `drawn`: asked before the candles are drawn (the first load), the answer waits for them; `progressive`: that load's first draw. */
  private async loadCvd(q: RangeQuery, signal?: AbortSignal, drawn?: Promise<boolean>, progressive?: ProgressiveLoad): Promise<void> {
    const tf = this.cvdTf;
    const cvdTfMs = TF_MS[tf];
    try {
      // From the open of the CVD bar holding the first candle, so the first point is a whole bar.
      const from = q.from === undefined ? undefined : Math.floor(q.from / cvdTfMs) * cvdTfMs;
      const r = await this.panes.cvd({ ...q, tf, from }, signal);
      if (drawn && !(await drawn)) return;
      if (signal?.aborted) return;
      this.cvd.setData(r, this.bars, progressive);
      this.charts.label('cvd', `CVD ${tf} (c to change) · all venues white, each venue in its colour`);
      this.status.clear('cvd');
    } catch (err) {
      if (!signal?.aborted) this.status.error('cvd', err);
    }
  }

  private async loadRuns(): Promise<void> {
    try {
      this.runs.setRuns(await this.api.runs());
      this.status.clear('runs');
    } catch (err) {
      this.status.error('runs', err);
    }
  }

  private async loadPaper(): Promise<void> {
    try {
      this.paper.setResponse(await this.api.paper());
      this.status.clear('paper');
    } catch (err) {
      this.status.error('paper', err);
    }
  }

  private startLive(): void {
    const v = this.view;
    const q = new URLSearchParams({ symbol: v.symbol });
    if (v.venues.length) q.set('venues', v.venues.join(','));
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    this.live = new LiveClient({
      url: `${proto}://${location.host}/ws?${q.toString().replace(/%2C/g, ',')}`,
      onMessage: (m) => this.batch.push(m),
      onStatus: (s, detail) => {
        this.status.setLive(s, detail);
        // Whatever happened while the socket was down is in the store, not in the feed: reload it.
        if (s === 'open' && this.wasClosed) void this.reload();
        this.wasClosed = s === 'closed';
      },
    });
    this.live.start();
  }

  private stopLive(): void {
    this.live?.stop();
    this.live = null;
  }

  /** One animation frame's worth of live messages. */
  private applyLive(items: LiveMessage[]): void {
    const b = this.bars;
    const rows: TapeRow[] = [];
    let events = 0;
    for (const m of items) {
      switch (m.type) {
        case 'trades': {
          // The tape shows at most ROWS_PER_FRAME rows a frame, large prints first: a row object
          // only for those and the message's newest, not for each of 2k trades a second.
          const newest = m.t.length - ROWS_PER_FRAME;
          for (let i = 0; i < m.t.length; i++) {
            const j = b.addTrade(m.t[i], m.price[i], m.qty[i], m.side[i]);
            if (j < 0) continue;
            if (j < this.pendingFrom) this.pendingFrom = j;
            if (j > this.pendingTo) this.pendingTo = j;
            this.cvd.addTrade(m.venue[i], m.t[i], m.qty[i], m.side[i], j);
            const notional = m.price[i] * m.qty[i];
            const large = notional >= this.tape.largeNotional;
            if ((large || i >= newest) && notional >= this.tape.minNotional)
              rows.push({ t: m.t[i], venue: m.venue[i], kind: 'trade', price: m.price[i], qty: m.qty[i], side: m.side[i] > 0 ? 'buy' : 'sell', notional, large });
          }
          break;
        }
        case 'liquidations':
          for (let i = 0; i < m.t.length; i++)
            rows.push({ t: m.t[i], venue: m.venue[i], kind: 'liquidation', price: m.price[i], qty: m.qty[i], side: m.side[i], notional: m.price[i] * m.qty[i], large: false });
          break;
        case 'marketState':
          this.marketState.update(m.venue, m.openInterest, m.fundingRate);
          this.scheduleMarketState();
          break;
        case 'event':
          this.price.addEvent(m.event);
          events++;
          break;
        case 'paper':
          this.paper.setState(m.state);
          break;
        case 'dropped':
          this.dropped += m.missed;
          this.status.setLive('open', `server down-sampled: ${this.dropped} messages dropped`);
          break;
        case 'hello':
          this.status.setLive('open', m.source);
          // A short history's runway (reload); nothing to do when the load laid it.
          this.layRunway();
          break;
        case 'book':
          this.book.addBook(m);
          break;
      }
    }
    // Markers and the book's live columns are rebuilt once per frame, not per message.
    if (events) {
      this.price.drawMarkers(b);
      this.legend.refresh();
    }
    this.book.flush();
    if (this.pendingTo >= 0) this.scheduleChartDraw();
    if (rows.length) {
      // Trades and liquidations come in separate messages: the tape reads in time order.
      rows.sort((a, b) => a.t - b.t);
      this.tape.prepend(rows);
    }
  }

  /**
   * Redraws the live candles at most every `CHART_DRAW_MS`: lightweight-charts repaints every
   * pane on any update, which costs far more than folding trades, and 20 redraws a second look
   * as live as 60. The fold itself (bars, CVD) happens on every frame, so nothing is lost.
   */
  private scheduleChartDraw(): void {
    const wait = this.lastChartDraw + CHART_DRAW_MS - performance.now();
    if (wait <= 0) this.drawChart();
    else if (!this.drawTimer) this.drawTimer = setTimeout(() => this.drawChart(), wait);
  }

  /** After a live bar opens, the overlays and the closed bar's footprint are fetched (a second later, once). */
  private scheduleOverlays(closed: number): void {
    if (this.overlayTimer || !this.loading) return;
    const signal = this.loading.signal;
    const b = this.bars;
    const open = closed >= 0 ? b.t[closed] : NaN;
    this.overlayTimer = setTimeout(() => {
      this.overlayTimer = null;
      if (signal.aborted) return;
      // The line and histogram panes keep what they drew before the last OVERLAY_TAIL_MS.
      void this.loadOverlays(signal, Number.isFinite(open) ? Math.max(0, b.indexAt(open - OVERLAY_TAIL_MS)) : undefined, undefined, undefined, this.refreshApi);
      // The bar that just closed gets its footprint levels (live trades fold into candles only):
      // that bar alone, drawn with `update`, not the view's footprint again (megabytes at 50k bars).
      if (Number.isFinite(open)) void this.loadBarFootprint(b, open, signal);
    }, OVERLAY_REFRESH_MS);
  }

  private async loadBarFootprint(b: Bars, open: number, signal: AbortSignal): Promise<void> {
    const levels = this.levels;
    if (!levels) return;
    const v = this.view;
    const q: RangeQuery = { symbol: v.symbol, venues: v.venues, tf: v.tf, from: open, to: open + b.tfMs };
    // Held from now on: a later range merge keeps this bar's levels, and never asks for them again.
    levels.claim(open, open + b.tfMs);
    await this.guard('footprint', signal, this.refreshApi.candles(q, { footprint: true, levelTicks: levels.levelTicks }, signal), (r) => {
      if (this.bars !== b || this.levels !== levels) return;
      levels.add(r);
      this.price.setBarFootprint(b, b.indexAt(open), r);
    });
  }

  private drawChart(): void {
    if (this.drawTimer) clearTimeout(this.drawTimer);
    this.drawTimer = null;
    this.lastChartDraw = performance.now();
    const b = this.bars;
    const opened = this.pendingTo >= this.drawnBars;
    // The bar before the first one opened since the last draw has closed.
    const closed = this.drawnBars - 1;
    // A bar opening lands on a time the chart holds already (the runway): the live series' own update.
    for (let j = Math.max(1, this.drawnBars); j <= this.pendingTo; j++) this.runway.ensure(b.t[j - 1], b.t[j], b.tfMs);
    this.drawnBars = Math.max(this.drawnBars, this.pendingTo + 1);
    // Candles, volume and the book pane's close line: the live halves' updates (cost: bars drawn live).
    for (let j = this.pendingFrom; j <= this.pendingTo; j++) {
      this.price.updateBar(b, j);
      this.book.updateBar(b, j);
    }
    if (opened) this.scheduleOverlays(closed);
    this.pendingFrom = Infinity;
    this.pendingTo = -1;
    this.cvd.flush(b);
    this.legend.refresh();
  }

  /** Whitespace at the bar opens after the last candle, unless the runway already holds them with room. */
  private layRunway(): void {
    const b = this.bars;
    if (b.length) this.runway.ensure(b.t[b.length - 1], b.t[b.length - 1] + b.tfMs, b.tfMs);
  }

  /**
   * Open interest and funding follow live tickers at most once a second, on the last candle
   * drawn: those lines span the view (an update costs all their points) and move slowly.
   */
  private scheduleMarketState(): void {
    if (this.marketStateTimer) return;
    const wait = Math.max(0, this.lastMarketStateDraw + MARKET_STATE_DRAW_MS - performance.now());
    this.marketStateTimer = setTimeout(() => {
      this.marketStateTimer = null;
      this.lastMarketStateDraw = performance.now();
      if (this.drawnBars > 0) this.marketState.flush(this.bars, this.drawnBars - 1);
    }, wait);
  }
}
