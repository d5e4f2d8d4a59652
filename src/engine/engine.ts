/**
 * The kernel: a push engine (docs/ENGINE.md). Events (runs of trades, liquidations, open
 * interest, marks, quotes or book messages) come in through `onEvent`, time through
 * `advanceTo`; they drive the feature pipeline (pipeline.ts), the strategy (strategy.ts), the
 * execution client (the simulated venue account, broker.ts) and the prediction journal
 * (journal.ts). Its 1-minute timers fire from whichever moves time past them. State is
 * incremental: marks, funding rates, quotes and the book are what has arrived so far. Backtest
 * and paper trading differ only in the clock and the data and execution clients: `run()` is the
 * replay driver (replay-driver.ts); a live driver pushes venue events and a wall clock's ticks
 * (clock.ts).
 *
 * No look-ahead, by construction:
 * - Trades are fed in slices that never cross a whole second, features first. Every output the
 *   pipeline emits while a slice is pushed closed at or before the slice's first trade, so it is
 *   known before any trade of the slice. Outputs are delivered to the strategy in time order;
 *   `ctx.now` is when the engine learned of the output (the first event at or after its close,
 *   never before it), and `ctx.features` holds only outputs delivered so far.
 * - Orders decided at `now` arrive at `now + latency` and fill only on trades at or after that,
 *   which the broker has not seen yet (it reads the slice after the features).
 * - The journal scores a prediction from trades after it; nothing flows back from the journal.
 * The test "changing events after t never changes a decision at or before t" checks all this.
 */
import type { TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { scale } from '../core/instruments.ts';
import { zoneKey, type AbsorptionEvent, type AbsorptionZone } from '../features/absorption.ts';
import { BookBaitOperator, L2Book, type WallEvent } from '../features/book.ts';
import type { CvdBar } from '../features/cvd.ts';
import type { DivergenceEvent } from '../features/divergence.ts';
import type { LiquidationMapOptions } from '../features/liquidations.ts';
import type { SizeBar } from '../features/sizes.ts';
import { SessionClock } from '../features/market-time.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, type Session } from '../features/timeframe.ts';
import type { CrossVenueWindow } from '../features/venues.ts';
import { Broker } from './broker.ts';
import { sessionsOf, type BacktestConfig } from './config.ts';
import type { ExecutionClient, ExecutionEvents, ExecutionPosition } from './execution.ts';
import { FundingRates } from './funding-rates.ts';
import { PredictionJournal } from './journal.ts';
import type { MarginInstrument } from '../core/margin.ts';
import { openIsolated } from '../core/margin.ts';
import type { EquityPoint } from './metrics.ts';
import { FeaturePipeline, type PipelineOutputs, type ZoneSet } from './pipeline.ts';
import type { ReplayRun, ReplaySources } from './replay.ts';
import { replayInto } from './replay-driver.ts';
import type { BookColumns, LiquidationColumns, MarkColumns, OpenInterestColumns, QuoteColumns } from '../core/columns.ts';
import type { JournalReport, PredictionRecord, RunBar, RunOrder, RunSignal, RunTrade, ZoneBand } from './run-types.ts';
import { featuresOf, type EngineSignal, type EntryIntent, type FeatureName, type FeatureState, type Strategy, type StrategyContext } from './strategy.ts';

/** Trades are pushed in slices within one whole second (see the module comment). */
const SLICE_MS = 1000;
/** The kernel's timer period: timers fire at every multiple of it (epoch-aligned). */
export const TIMER_MS = MINUTE_MS;
const WALL_MEMORY_MS = 15 * MINUTE_MS;
/** Slots of Engine.bar. */
const BAR_TS = 0;
const BAR_OPEN = 1;
const BAR_HIGH = 2;
const BAR_LOW = 3;
const BAR_CLOSE = 4;
const BAR_VOLUME = 5;
/** A mark older than this no longer guards liquidation: the trade price stands in. */
const MARK_STALE_MS = 10_000;

export interface EngineMarket {
  readonly venues: readonly Venue[];
  /** Where orders go, and its venue-native symbol and instrument. */
  readonly execVenue: Venue;
  readonly execSymbol: string;
  readonly instrument: MarginInstrument & { readonly tickSize: number; readonly lotSize: number; readonly minNotional: number };
  readonly sessions?: readonly Session[];
}

/** A signal injected at a time instead of the pipeline's (null models). */
export interface InjectedSignal {
  readonly ts: number;
  readonly make: (refPrice: number) => Omit<EngineSignal, 'id' | 'ts' | 'session'>;
}

export interface EngineOptions {
  /** Warm-up ends here: signals, equity and bars before it are not acted on, journaled or kept. */
  readonly activeFromMs?: number;
  /** Replace the pipeline's signals by these (sorted by ts): the null model's runs. */
  readonly injected?: readonly InjectedSignal[];
  /** Progress callback: the time of the latest event. */
  readonly onProgress?: (ts: number, events: number) => void;
  /** The venue account orders go to; default the simulated venue (broker.ts) built from the config. */
  readonly execution?: (events: ExecutionEvents) => ExecutionClient;
  /**
   * Keep every closed 1-minute bar for the result (default true: a backtest's run folder writes
   * them). A paper session never finishes and journals no bars: kept, they would be its one
   * output growing with time (~150 bytes a traded minute, docs/PAPER.md "Memory").
   */
  readonly keepBars?: boolean;
}

export interface EngineResult {
  readonly events: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly trades: RunTrade[];
  readonly orders: RunOrder[];
  readonly equity: EquityPoint[];
  readonly bars: RunBar[];
  readonly zones: ZoneBand[];
  /** Signals with what the strategy did, plus the price the journal measured each from. */
  readonly signals: RunSignal[];
  readonly journal: JournalReport;
  readonly warnings: string[];
  readonly finalEquity: number;
}

/** Engine.produced: the run so far. */
export interface EngineProgress {
  /** The kernel's time (-Infinity before anything). */
  readonly now: number;
  readonly signals: readonly RunSignal[];
  readonly orders: readonly RunOrder[];
  readonly trades: readonly RunTrade[];
  readonly equity: readonly EquityPoint[];
  readonly position: ExecutionPosition | undefined;
  /** A position is open or an order is on its way. */
  readonly busy: boolean;
  readonly equityNow: number;
  readonly lastPrice: number;
  readonly openPredictions: number;
}

/** A run of data rows (every replay run but a timer). */
type DataRun = Exclude<ReplayRun, { kind: 'timer' }>;

type Pending = { [K in keyof PipelineOutputs]: { name: K; out: PipelineOutputs[K]; ts: number; seq: number } }[keyof PipelineOutputs];

function outputTs(p: { name: keyof PipelineOutputs; out: unknown }): number {
  switch (p.name) {
    case 'cvd_15m':
      return (p.out as CvdBar).open_time_ms + 15 * MINUTE_MS;
    case 'cvd_1h':
      return (p.out as CvdBar).open_time_ms + HOUR_MS;
    case 'cvd_1d':
      return (p.out as CvdBar).open_time_ms + DAY_MS;
    case 'sizes_1h':
      return (p.out as SizeBar).open_time_ms + HOUR_MS;
    default:
      return (p.out as { ts?: number }).ts ?? -Infinity;
  }
}

export class Engine {
  private readonly broker: ExecutionClient;
  private readonly pipeline: FeaturePipeline;
  private readonly journal: PredictionJournal;
  /** The execution venue's book with its walls (the strategy reads `walls`), or without (book fills only), or none. */
  private readonly bait: BookBaitOperator | undefined;
  private readonly bookOnly: L2Book | undefined;
  /** What the strategy reads (featuresOf): only these are computed. */
  readonly features: ReadonlySet<FeatureName>;
  private readonly sessions: SessionClock;
  /** The execution venue's index in the venue list `execOf` of the trade columns last seen (-1: not among them). */
  private execOf: readonly Venue[] | undefined;
  private exec = -1;
  private pending: Pending[] = [];
  private seq = 0;
  private now = -Infinity;
  /** The next timer to fire; NaN until the first event or advanceTo starts the clock. */
  private nextTimer = NaN;
  private finished = false;
  private events = 0;
  private firstTs = NaN;
  // Feature state.
  private readonly cvd = new Map<string, CvdBar>();
  private sizes: SizeBar | undefined;
  private venuesWin: CrossVenueWindow | undefined;
  private zones: readonly AbsorptionZone[] = [];
  private walls: WallEvent[] = [];
  private hasBook = false;
  private hasMarks = false;
  // Outputs.
  private readonly trades: RunTrade[] = [];
  private readonly orders: RunOrder[] = [];
  private readonly equity: EquityPoint[] = [];
  private readonly bars: RunBar[] = [];
  private readonly zoneBands: ZoneBand[] = [];
  private readonly openBands = new Map<string, ZoneBand>();
  private readonly signals: RunSignal[] = [];
  private readonly warnings = new Set<string>();
  /**
   * The open 1-minute bar: ts, open, high, low, close, volume (BAR_*), valid while `barOpen`. In a
   * typed array, not an object: every trade moves close and volume, and a number stored into an
   * object field V8 keeps tagged is boxed (two allocations a trade, measured).
   */
  private readonly bar = new Float64Array(6);
  private barOpen = false;
  // Risk.
  private dayStartEquity: number;
  private dayRealized = 0;
  private lastEntryTs = -Infinity;
  /** The execution market's funding rates so far, for the charge at each funding time. */
  private readonly funding = new FundingRates();
  private lastMarkTs = -Infinity;
  /** A position was open while no mark was fresh (reported only if marks exist at all). */
  private staleWhileOpen = false;
  /** Warnings made by the constructor (the no-marks warning follows them). */
  private readonly ctorWarnings: number;
  private injectAt = 0;
  /** The time of the next injected signal (Infinity: none left). */
  private injectDue: number;
  private readonly activeFrom: number;
  private readonly keepBars: boolean;

  constructor(
    private readonly config: BacktestConfig,
    private readonly market: EngineMarket,
    private readonly strategy: Strategy,
    private readonly opts: EngineOptions = {},
  ) {
    const c = config;
    this.activeFrom = opts.activeFromMs ?? -Infinity;
    this.injectDue = opts.injected && opts.injected.length > 0 ? opts.injected[0].ts : Infinity;
    this.keepBars = opts.keepBars ?? true;
    this.dayStartEquity = c.risk.initialEquity;
    const cap = c.risk.maxLeverage[market.execVenue as 'binance' | 'okx' | 'bybit'];
    if (cap !== undefined && c.risk.leverage > cap) throw new RangeError(`risk.leverage ${c.risk.leverage}x is above the ${market.execVenue} cap ${cap}x (risk.maxLeverage.${market.execVenue})`);
    this.sessions = new SessionClock(market.sessions ?? sessionsOf(c));
    const events: ExecutionEvents = {
      onTradeClosed: (t) => {
        this.trades.push(t);
        this.dayRealized += t.pnl;
      },
      onOrder: (o) => this.orders.push(o),
    };
    this.broker = opts.execution ? opts.execution(events) : simulatedVenue(c, market, events);
    this.features = featuresOf(strategy);
    this.pipeline = new FeaturePipeline(
      {
        outputs: pipelineOutputs(this.features, opts.injected !== undefined),
        bins: { bps: c.signals.bps },
        clusters: clusterRule(c.signals.clusters),
        withOpenInterest: true,
        sessions: false,
        absorptionLookback: c.signals.absorption.lookbackWindows,
        absorption: { volumeMultiple: c.signals.absorption.volumeMultiple, maxProgressBps: c.signals.absorption.maxProgressBps },
      },
      (name, out) => this.pending.push({ name, out, ts: outputTs({ name, out }), seq: this.seq++ } as Pending),
    );
    this.journal = new PredictionJournal({ horizonsMs: [...c.journal.horizons] });
    if (this.features.has('walls')) {
      this.bait = new BookBaitOperator({ tick: market.instrument.tickSize }, { wall: (w) => this.walls.push(w) });
    } else if (c.execution.useBook) {
      this.bookOnly = new L2Book(market.instrument.tickSize);
    }
    if (!c.costs.fees) this.warnings.add('fees are turned off (costs.fees: false): results are better than any venue would give');
    if (!c.costs.funding) this.warnings.add('funding is turned off (costs.funding: false)');
    if (!c.costs.slippage) this.warnings.add('slippage is turned off (costs.slippage: false): market orders fill at the trade price or the book');
    if (c.execution.latencyMs === 0) this.warnings.add('execution.latencyMs is 0: orders reach the venue the instant they are decided, which no venue gives');
    this.ctorWarnings = this.warnings.size;
  }

  /** A backtest: replay stored streams through this kernel (replay-driver.ts) and finish. */
  run(src: Omit<ReplaySources, 'timerEveryMs'>): Promise<EngineResult> {
    return replayInto(this, src);
  }

  /** The feature operators built for this run, by name: what the strategy's features need (tests, the report). */
  get operators(): readonly string[] {
    return [...this.pipeline.operators, ...(this.bait ? ['book-walls'] : this.bookOnly ? ['book'] : [])];
  }

  /**
   * What the run has produced so far, for a live host that journals as it goes (src/paper/): the
   * arrays grow in place (orders in the order they reached a final state); read them, never change them.
   */
  get produced(): EngineProgress {
    const b = this.broker;
    return { now: this.now, signals: this.signals, orders: this.orders, trades: this.trades, equity: this.equity, position: b.position, busy: b.busy, equityNow: b.equity(), lastPrice: b.lastPrice, openPredictions: this.journal.openCount };
  }

  /** Every prediction so far with its outcomes as they stand (horizons not yet due: resolved false). */
  predictions(): readonly PredictionRecord[] {
    return this.journal.report().predictions;
  }

  /** The execution market (the replay driver reads its archive funding rows). */
  get execMarket(): { readonly venue: Venue; readonly symbol: string } {
    return { venue: this.market.execVenue, symbol: this.market.execSymbol };
  }

  /** Whether a funding settlement is charged at `ts`. */
  isFundingTime(ts: number): boolean {
    return this.config.costs.funding && ts % (this.config.costs.fundingIntervalHours * HOUR_MS) === 0;
  }

  /**
   * The settlement record for funding time T (the archive rule, funding-rates.ts): the replay
   * driver hands over an archive row stamped in [T, T + 1 min] before the timer at T fires.
   */
  settleFunding(T: number, rate: number): void {
    this.funding.settle(T, rate);
  }

  /**
   * Time moves to `ts`: every timer at or before it fires first (in time order), then injected
   * signals due by `ts` are delivered. Earlier times are ignored (the clock is monotonic). The
   * replay driver calls it at each timer; a live driver at each wall-clock tick.
   */
  advanceTo(ts: number): void {
    if (Number.isNaN(ts)) throw new RangeError('engine: advanceTo(NaN)');
    this.live();
    this.timersUpTo(ts);
    this.advance(ts);
  }

  /**
   * One run of events of one kind in time order (a replay run, or a batch off a live feed). Timers
   * due before its first row fire first; a run spanning a timer is cut there, so the timer falls
   * between the rows before it and the rows at or after it.
   */
  onEvent(run: ReplayRun): void {
    if (run.kind === 'timer') {
      this.advanceTo(run.ts);
      return;
    }
    this.onRows(run.kind, run.cols, run.from, run.to, run.kind === 'book' ? run.venue : undefined);
  }

  /**
   * `onEvent` without the run object: rows [from, to) of `cols`, of one kind (`venue`: a book's).
   * The replay driver's path (a run averages a few rows, so an object per run was garbage).
   */
  onRows<K extends DataRun['kind']>(kind: K, cols: Extract<DataRun, { kind: K }>['cols'], from: number, to: number, venue?: Venue): void {
    this.live();
    if (to <= from) return;
    const ts = cols.ts;
    // (Timers are due at one run in hundreds: the call only then, as it boxes the time it is given.)
    if (!(ts[from] < this.nextTimer)) this.timersUpTo(ts[from]);
    while (ts[to - 1] >= this.nextTimer) {
      let k = from + 1;
      while (ts[k] < this.nextTimer) k++;
      this.dispatch(kind, cols, from, k, venue);
      from = k;
      this.timersUpTo(ts[from]);
    }
    this.dispatch(kind, cols, from, to, venue);
  }

  // -------------------------------------------------------------------------------------------

  private live(): void {
    if (this.finished) throw new Error('engine: the run has finished: no more events or time');
  }

  /** Fire every timer at or before `ts` (the first call starts the clock: the first timer is the next whole minute). */
  private timersUpTo(ts: number): void {
    if (Number.isNaN(this.nextTimer)) this.nextTimer = Math.floor(ts / TIMER_MS) * TIMER_MS + TIMER_MS;
    while (this.nextTimer <= ts) {
      const T = this.nextTimer;
      this.nextTimer += TIMER_MS;
      this.onTimer(T);
      if (this.strategy.onEvent) this.strategy.onEvent({ kind: 'timer', ts: T }, this.context());
    }
  }

  /** One run that crosses no timer. */
  private dispatch(kind: DataRun['kind'], cols: DataRun['cols'], from: number, to: number, venue: Venue | undefined): void {
    switch (kind) {
      case 'trades':
        this.onTrades(cols as TradeColumns, from, to);
        break;
      case 'liquidations':
        // The whole run is pushed at once (no trade lies inside it), so it is known at its last row.
        this.advance(cols.ts[to - 1]);
        this.pipeline.pushLiquidations(cols as LiquidationColumns, from, to);
        this.deliver();
        break;
      case 'open_interest':
        this.advance(cols.ts[to - 1]);
        this.pipeline.pushOpenInterest(cols as OpenInterestColumns, from, to);
        this.deliver();
        break;
      case 'marks':
        this.advance(cols.ts[from]);
        this.onMarks(cols as MarkColumns, from, to);
        break;
      case 'quotes':
        this.advance(cols.ts[from]);
        this.onQuotes(cols as QuoteColumns, from, to);
        break;
      case 'book':
        this.advance(cols.ts[from]);
        if (venue === this.market.execVenue) this.onBook(cols as BookColumns, from, to);
        break;
    }
    // The run as an object only for a strategy that reads raw events.
    if (this.strategy.onEvent) this.strategy.onEvent(runOf(kind, cols, from, to, venue), this.context());
  }

  /** Book messages [from, to) of the execution venue. */
  private onBook(c: BookColumns, from: number, to: number): void {
    this.hasBook = true;
    if (this.bait) {
      this.bait.pushBook(c, from, to);
      if (this.config.execution.useBook) this.broker.onBook(c.ts[to - 1], this.bait.l2);
    } else if (this.bookOnly) {
      for (let m = from; m < to; m++) this.bookOnly.apply(c, m);
      this.broker.onBook(c.ts[to - 1], this.bookOnly);
    }
  }

  /**
   * The clock moves to `ts`: injected signals due by then are delivered first. Small enough to
   * be inlined where it is called at every slice (a call would box `ts`).
   */
  private advance(ts: number): void {
    if (Number.isNaN(this.firstTs)) this.firstTs = ts;
    if (ts > this.now) this.now = ts;
    if (this.injectDue <= ts) this.inject(ts);
  }

  /** Injected signals due by `ts`, each stamped when delivered (the first event at or after its time): what the engine knows then. */
  private inject(ts: number): void {
    const inj = this.opts.injected!;
    while (this.injectAt < inj.length && inj[this.injectAt].ts <= ts) {
      const x = inj[this.injectAt++];
      if (!Number.isFinite(this.broker.lastPrice)) continue;
      this.signal({ ...x.make(this.broker.lastPrice), id: 0, ts: this.now, session: '' });
    }
    this.injectDue = this.injectAt < inj.length ? inj[this.injectAt].ts : Infinity;
  }

  private onTrades(c: TradeColumns, from: number, to: number): void {
    if (c.venues !== this.execOf) {
      this.execOf = c.venues;
      this.exec = c.venues.indexOf(this.market.execVenue);
    }
    const exec = this.exec;
    let i = from;
    while (i < to) {
      const sec = Math.floor(c.ts[i] / SLICE_MS);
      let j = i + 1;
      while (j < to && Math.floor(c.ts[j] / SLICE_MS) === sec) j++;
      this.advance(c.ts[i]);
      // Features first: what they emit closed before this slice's first trade.
      this.pipeline.pushTrades(c, i, j);
      this.deliver();
      // Then the market: the broker and the journal see the slice.
      this.journal.onTrades(c.ts, c.price, i, j);
      this.marketTrades(c, i, j, exec);
      if (this.bait && exec >= 0) {
        // The book operator reads its own market's trades only.
        for (let k = i; k < j; ) {
          if (c.venue[k] !== exec) {
            k++;
            continue;
          }
          let e = k + 1;
          while (e < j && c.venue[e] === exec) e++;
          this.bait.pushTrades(c, k, e);
          k = e;
        }
      }
      this.events += j - i;
      if (c.ts[j - 1] > this.now) this.now = c.ts[j - 1];
      i = j;
    }
  }

  /** Trades [i, j) of one slice into the minute bar, and the execution market's into the execution client. */
  private marketTrades(c: TradeColumns, i: number, j: number, exec: number): void {
    for (let k = i; k < j; k++) {
      const px = c.price[k];
      const b = this.bar;
      if (this.barOpen) {
        if (px > b[BAR_HIGH]) b[BAR_HIGH] = px;
        if (px < b[BAR_LOW]) b[BAR_LOW] = px;
        b[BAR_CLOSE] = px;
        b[BAR_VOLUME] += c.qty[k];
      } else {
        b[BAR_TS] = Math.floor(c.ts[k] / TIMER_MS) * TIMER_MS;
        b[BAR_OPEN] = b[BAR_HIGH] = b[BAR_LOW] = b[BAR_CLOSE] = px;
        b[BAR_VOLUME] = c.qty[k];
        this.barOpen = true;
      }
      if (c.venue[k] === exec) {
        // Where marks are missing or stale, the trade price stands in for the mark.
        const markFresh = c.ts[k] - this.lastMarkTs <= MARK_STALE_MS;
        // (position is a getter that builds the position's view: asked only until the answer is known)
        if (!markFresh && !this.staleWhileOpen && this.broker.position) this.staleWhileOpen = true;
        this.broker.onTrade(c, k, markFresh);
      }
    }
  }

  private onMarks(m: MarkColumns, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const mk = m.markets[m.market[k]];
      if (mk.venue !== this.market.execVenue || mk.symbol !== this.market.execSymbol) continue;
      if (Number.isFinite(m.fundingRate[k])) this.funding.onRow(m.ts[k], m.fundingRate[k], m.nextFundingTs[k]);
      if (Number.isFinite(m.markPrice[k])) {
        this.hasMarks = true;
        this.lastMarkTs = m.ts[k];
        this.broker.onMark(m.ts[k], m.markPrice[k]);
      }
    }
    this.events += to - from;
  }

  private onQuotes(q: QuoteColumns, from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const mk = q.markets[q.market[k]];
      if (mk.venue === this.market.execVenue && mk.symbol === this.market.execSymbol) this.broker.onQuote(q.ts[k], q.bid[k], q.ask[k]);
    }
    this.events += to - from;
  }

  private onTimer(ts: number): void {
    this.advance(ts);
    const c = this.config;
    if (ts % c.signals.zonesEvery === 0) {
      this.pipeline.refreshZones(ts);
      this.deliver();
    }
    if (this.barOpen) {
      const bar = this.openBar();
      this.barOpen = false;
      if (bar.ts >= this.activeFrom) {
        if (this.keepBars) this.bars.push(bar);
        this.strategy.onBar?.(bar, this.context());
      }
    }
    const fundEvery = c.costs.fundingIntervalHours * HOUR_MS;
    if (c.costs.funding && ts % fundEvery === 0 && this.broker.position) {
      const recorded = this.funding.rateAt(ts, fundEvery);
      if (Number.isNaN(recorded)) this.warnings.add(`no funding rate recorded near some funding times: the configured ${c.costs.fundingRate} per ${c.costs.fundingIntervalHours}h was charged`);
      this.broker.onFunding(ts, Number.isNaN(recorded) ? c.costs.fundingRate : recorded);
    }
    this.broker.onTime(ts);
    if (ts % DAY_MS === 0) this.newDay(ts);
    // Every minute while a position is open, hourly while flat (equity only moves with a position).
    if (ts >= this.activeFrom && (this.broker.busy || ts % HOUR_MS === 0)) this.equity.push({ ts, equity: this.broker.equity() });
    if (this.walls.length > 0 && this.walls[0].ts <= ts - WALL_MEMORY_MS) this.walls = this.walls.filter((w) => w.ts > ts - WALL_MEMORY_MS);
    this.opts.onProgress?.(ts, this.events);
  }

  private openBar(): RunBar {
    const b = this.bar;
    return { ts: b[BAR_TS], open: b[BAR_OPEN], high: b[BAR_HIGH], low: b[BAR_LOW], close: b[BAR_CLOSE], volume: b[BAR_VOLUME] };
  }

  private newDay(ts: number): void {
    void ts;
    this.dayStartEquity = this.broker.equity();
    this.dayRealized = 0;
  }

  /** Pipeline outputs, in time order (then emission order), into the feature state and the strategy. */
  private deliver(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    this.pending = [];
    for (const p of batch) {
      // The invariant every no-look-ahead argument rests on: nothing delivered is from after the clock.
      if (p.ts > this.now) throw new Error(`engine: a ${p.name} output of ${p.ts} ms was delivered at ${this.now} ms (from the future): this is a bug`);
      switch (p.name) {
        case 'cvd_15m':
          this.cvd.set('15m', p.out);
          break;
        case 'cvd_1h':
          this.cvd.set('1h', p.out);
          break;
        case 'cvd_1d':
          this.cvd.set('1d', p.out);
          break;
        case 'sizes_1h':
          this.sizes = p.out;
          break;
        case 'venues_5m':
          this.venuesWin = p.out;
          break;
        case 'zones':
          this.onZones(p.out);
          break;
        case 'absorption':
          if (!this.opts.injected) this.signal(absorptionSignal(p.out, this.signalVenue()));
          break;
        case 'divergence':
          if (!this.opts.injected) this.signal(divergenceSignal(p.out, this.config.signals.divergence.mode, this.signalVenue()));
          break;
        default:
          break;
      }
    }
  }

  private signalVenue(): string {
    return this.market.venues.length === 1 ? this.market.venues[0] : 'merged';
  }

  private onZones(z: ZoneSet): void {
    this.zones = z.zones;
    const live = new Set<string>();
    for (const x of z.zones) {
      const key = zoneKey(x);
      live.add(key);
      if (!this.openBands.has(key)) this.openBands.set(key, { fromTs: z.ts, toTs: null, low: x.low, high: x.high, side: x.side, source: x.source });
    }
    for (const [key, band] of this.openBands) {
      if (live.has(key)) continue;
      if (z.ts > this.activeFrom) this.zoneBands.push({ ...band, fromTs: Math.max(band.fromTs, this.activeFrom), toTs: z.ts });
      this.openBands.delete(key);
    }
  }

  private signal(raw: Omit<EngineSignal, 'id' | 'session'> & { id?: number; session?: string }): void {
    const ts = raw.ts;
    if (ts < this.activeFrom) return;
    const session = this.sessions.name(ts);
    const s: EngineSignal = { ...raw, id: this.signals.length + 1, session };
    // A prediction needs a price to be measured from: none before the first trade.
    if (this.journal.lastPrice !== null) this.journal.predict({ id: s.id, ts, type: s.type, direction: s.direction, level: s.level, venue: s.venue, session });
    // ctx.now is when the engine learns of the signal (>= its ts): orders are decided then.
    const veto = this.strategy.onSignal ? this.strategy.onSignal(s, this.context()) : 'no strategy hook';
    const { zone: _z, timeframeMs: _t, ...rest } = s;
    void _z;
    void _t;
    this.signals.push({ ...rest, acted: veto === null, vetoReason: veto });
  }

  private context(): StrategyContext {
    const self = this;
    const b = this.broker;
    const features: FeatureState = { cvd: this.cvd, sizes: this.sizes, venues: this.venuesWin, zones: this.zones, recentWalls: this.walls, hasBook: this.hasBook };
    return {
      now: this.now,
      config: this.config,
      features,
      position: b.position,
      busy: b.busy,
      equity: b.equity(),
      lastPrice: b.lastPrice,
      session: this.sessions.name(Number.isFinite(this.now) ? this.now : 0),
      enter: (s, intent) => self.enter(s, intent),
      exit: (reason) => b.exit(self.now, reason),
    };
  }

  /** The risk layer: size from risk and stop distance, caps, the liquidation-beyond-stop rule, the daily loss limit. */
  private enter(s: EngineSignal, it: EntryIntent): { accepted: boolean; reason: string | null } {
    const c = this.config;
    const b = this.broker;
    const no = (reason: string) => ({ accepted: false, reason });
    if (b.busy) return no('already in a position');
    if (this.now - this.lastEntryTs < c.entry.cooldown) return no('cooldown after the last entry');
    const equity = b.equity();
    if (this.dayRealized <= (-c.risk.dailyLossLimitPct / 100) * this.dayStartEquity) return no('daily loss limit reached');
    const ref = b.lastPrice;
    const dir = it.side === 'long' ? 1 : -1;
    if (!(dir * (ref - it.stop) > 0)) return no('stop is not beyond the price');
    const inst = this.market.instrument;
    const riskQuote = (equity * c.risk.riskPerTradePct * it.riskMultiplier) / 100;
    let qty = riskQuote / Math.abs(ref - it.stop);
    const lev = c.risk.leverage;
    // Margin (notional / leverage) must fit the equity, and the notional the exposure cap.
    qty = Math.min(qty, (equity * lev * 0.98) / ref, (equity * c.risk.maxExposurePct) / 100 / ref);
    const step = inst.contractType === 'linear' ? scale(inst.lotSize, inst.contractValue) : inst.lotSize;
    if (step > 0) qty = Math.floor(qty / step + 1e-9) * step;
    if (!(qty > 0)) return no('size rounds to 0 lots');
    if (qty * ref < inst.minNotional) return no(`notional ${(qty * ref).toFixed(2)} below the venue minimum ${inst.minNotional}`);
    let liq: number;
    try {
      liq = openIsolated({ instrument: inst, side: it.side, qty, entry: ref, leverage: lev, margin: c.risk.marginMode === 'cross' ? equity : undefined }).liquidationPrice;
    } catch (e) {
      return no((e as Error).message);
    }
    if (Number.isFinite(liq) && !(dir * (it.stop - liq) > 0)) return no(`liquidation price ${liq.toPrecision(6)} is not beyond the stop ${it.stop.toPrecision(6)}`);
    b.enter(this.now, { side: it.side, qty, leverage: lev, stop: it.stop, target: it.target, timeStopTs: this.now + it.timeStopMs, signalId: s.id, signal: s.type, session: s.session });
    this.lastEntryTs = this.now;
    return { accepted: true, reason: null };
  }

  /** The run ends at the clock: open positions close, open outputs are kept; the kernel takes no more events. */
  finish(): EngineResult {
    this.live();
    this.finished = true;
    const end = this.now;
    if (this.hasMarks && this.staleWhileOpen) this.warnings.add(`mark prices of ${this.market.execVenue} ${this.market.execSymbol} were missing for stretches (over ${MARK_STALE_MS / 1000} s) while a position was open: the last trade price stood in for the mark there`);
    this.pipeline.flush();
    this.pending = [];
    this.broker.finish(end);
    if (this.barOpen && this.keepBars) this.bars.push(this.openBar());
    if (Number.isFinite(end)) this.equity.push({ ts: end, equity: this.broker.equity() });
    for (const band of this.openBands.values()) this.zoneBands.push({ ...band, fromTs: Math.max(band.fromTs, this.activeFrom) });
    if (Number.isFinite(end)) this.journal.finish(end);
    return {
      events: this.events,
      firstTs: this.firstTs,
      lastTs: end,
      trades: this.trades,
      orders: this.orders.sort((a, b) => a.id - b.id),
      equity: this.equity,
      bars: this.bars,
      zones: this.zoneBands,
      signals: this.signals,
      journal: this.journal.report(),
      warnings: this.warningList(),
      finalEquity: this.broker.equity(),
    };
  }

  /** The warnings in the order they arose; the no-marks one (known only at the end) right after the config's. */
  private warningList(): string[] {
    const out = [...this.warnings];
    if (!this.hasMarks) out.splice(this.ctorWarnings, 0, `no mark prices stored for ${this.market.execVenue} ${this.market.execSymbol}: liquidation is checked against the last trade price`);
    return out;
  }
}

/** The simulated venue account (broker.ts) a config and market describe: the default execution client. */
export function simulatedVenue(c: BacktestConfig, market: EngineMarket, events: ExecutionEvents): Broker {
  return new Broker(
    {
      venue: market.execVenue,
      symbol: market.execSymbol,
      instrument: market.instrument,
      initialEquity: c.risk.initialEquity,
      latencyMs: c.execution.latencyMs,
      slippageBps: c.execution.slippageBps,
      limitFill: c.execution.limitFill,
      fees: c.costs.fees,
      slippage: c.costs.slippage,
      marginMode: c.risk.marginMode,
      staleAfterMs: c.execution.staleAfter,
    },
    events,
  );
}

/**
 * The pipeline outputs the strategy's features need. A null-model run (injected signals) drops
 * the pipeline's own signals, so it does not compute them: the same run without their cost.
 */
export function pipelineOutputs(f: ReadonlySet<FeatureName>, injected: boolean): (keyof PipelineOutputs)[] {
  const out: (keyof PipelineOutputs)[] = [];
  if (f.has('cvd')) out.push('cvd_15m', 'cvd_1h', 'cvd_1d');
  if (f.has('sizes')) out.push('sizes_1h');
  if (f.has('divergence') && !injected) out.push('divergence');
  if (f.has('venues')) out.push('venues_5m');
  if (f.has('absorption') && !injected) out.push('absorption');
  if (f.has('zones') || (f.has('absorption') && !injected)) out.push('zones');
  return out;
}

/** The config's cluster rule as LiquidationMapOptions (the config names the half-life as a duration). */
function clusterRule({ halfLife, ...rest }: BacktestConfig['signals']['clusters']): Omit<LiquidationMapOptions, 'bins'> {
  return { ...rest, halfLifeMs: halfLife };
}

function absorptionSignal(e: AbsorptionEvent, venue: string): Omit<EngineSignal, 'id' | 'session'> {
  const long = e.direction === 'buyers_absorb';
  return {
    ts: e.ts,
    type: 'absorption',
    direction: long ? 'long' : 'short',
    level: long ? e.zone.low : e.zone.high,
    venue,
    zone: e.zone,
    timeframeMs: null,
    evidence: {
      kind: e.kind,
      zone_source: e.zone.source,
      zone_low: e.zone.low,
      zone_high: e.zone.high,
      attack_volume: e.attack_volume,
      typical_volume: e.typical_volume,
      attack_ratio: e.attack_ratio,
      liquidations_before: e.liquidations_before,
      liquidations_during: e.liquidations_during,
      progress_bps: e.progress_bps,
      close: e.close,
    },
  };
}

function divergenceSignal(e: DivergenceEvent, mode: 'fade' | 'follow', venue: string): Omit<EngineSignal, 'id' | 'session'> {
  const buyFlow = e.direction === 'buy_flow_no_rise';
  const long = mode === 'fade' ? !buyFlow : buyFlow;
  return {
    ts: e.ts,
    type: 'divergence',
    direction: long ? 'long' : 'short',
    level: e.close,
    venue,
    zone: null,
    timeframeMs: e.timeframe_ms,
    evidence: { flow: e.direction, timeframe_ms: e.timeframe_ms, cvd_z: e.cvd_z, price_z: e.price_z, window_delta: e.window_delta, window_return_bps: e.window_return_bps, close: e.close },
  };
}

/** A data run as the object ReplayRun describes (the key order the replay merge gives). */
function runOf(kind: DataRun['kind'], cols: DataRun['cols'], from: number, to: number, venue: Venue | undefined): DataRun {
  return (kind === 'book' ? { kind, venue, cols, from, to } : { kind, cols, from, to }) as DataRun;
}
