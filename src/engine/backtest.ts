/**
 * A backtest over the store: the market's events read once (trades streamed per run), the engine
 * run with the configured strategy, metrics, then the honesty checks: the null model (the same
 * rules on the acted-on signals at shuffled traded times or random levels, N seeds) and, when
 * configured, a walk-forward sweep whose out-of-sample folds are the headline (and which the null
 * model then runs through too).
 *
 * The range defaults to the execution venue's trade span (not every stored stream's: a monthly
 * funding file must not stretch 3 hours of trades to a month). Null runs and in-sample sweeps are
 * independent jobs (plain data in, plain data out): a {@link JobRunner} runs them in this thread
 * or on worker threads (backtest-workers.ts), with the same results.
 */
import { lowerBound, type BookColumns, type LiquidationColumns, type TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import type { Instrument } from '../core/instruments.ts';
import { bookReadFrom, readBook } from '../store/book-reader.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import type { Store } from '../store/store.ts';
import type { MarkColumns, OpenInterestColumns, QuoteColumns } from '../core/columns.ts';
import { readMarks, readOpenInterest, readQuotes } from '../store/ticker-reader.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { withParam, type BacktestConfig } from './config.ts';
import { Engine, type EngineResult, type InjectedSignal } from './engine.ts';
import { computeMetrics, type BacktestMetrics } from './metrics.ts';
import { clipTradedTime, nullSignals, nullVerdict, rMultiples, tradedTime, TRADED_BUCKET_MS, type NullRunOutcome, type TradedTime } from './null-model.ts';
import { createRng } from './random.ts';
import { hitRateTable } from './journal.ts';
import type { NullModelResult, PredictionRecord, RunResult, RunSignal, WalkForwardFold } from './run-types.ts';
import { seedStrategy } from './seed-strategy.ts';
import { FEATURE_NAMES, featuresOf, type Strategy } from './strategy.ts';
import { effectiveWarmup } from './warmup.ts';

export { MIN_TRADES_FOR_EDGE, nullSignals } from './null-model.ts';

export interface BacktestRequest {
  readonly store: Store;
  readonly config: BacktestConfig;
  /** Venue + venue-native symbol of every market merged; the first one's venue executes unless the config says otherwise. */
  readonly pairs: readonly [Venue, string][];
  readonly instruments: (venue: Venue, symbol: string) => Instrument | undefined;
  readonly symbol: string;
  /** Default: the execution venue's first stored trade. */
  readonly fromMs?: number;
  /** Default: the execution venue's last stored trade + 1 ms. */
  readonly toMs?: number;
  /** Called with a phase name ('backtest', 'null model', ...), the fraction done of it and the events read in it. */
  readonly onProgress?: (phase: string, done: number, events: number) => void;
  /** The strategy for a config (each run builds a fresh one); default the built-in seed strategy. */
  readonly strategy?: (config: BacktestConfig) => Strategy;
  /** Runs the independent jobs (null runs, in-sample sweeps); default one after another in this thread. */
  readonly runner?: JobRunner;
}

/** A run another thread can do from plain data: an in-sample score, or one null run in one window. */
export type BacktestJob =
  | { readonly kind: 'score'; readonly config: BacktestConfig; readonly fromMs: number; readonly toMs: number }
  | {
      readonly kind: 'null';
      readonly config: BacktestConfig;
      readonly fromMs: number;
      readonly toMs: number;
      /** The real acted-on signals of the window. */
      readonly signals: readonly RunSignal[];
      /** Fork labels from createRng(config.seed) to the run's stream. */
      readonly stream: readonly string[];
      readonly traded: { readonly starts: readonly number[]; readonly ends: readonly number[] };
    };

/** A score job gives the in-sample score; a null job its trades' R multiples and net return. */
export type JobResult = number | NullRunOutcome;

/** Runs jobs, in order of the array or not, and gives their results in the order of the array. */
export interface JobRunner {
  run(jobs: readonly BacktestJob[], bt: Backtest, onDone?: (done: number) => void): Promise<JobResult[]>;
}

/** One job after the other, in this thread. */
export const serialRunner: JobRunner = {
  async run(jobs, bt, onDone) {
    const out: JobResult[] = [];
    for (const j of jobs) {
      out.push(await bt.runJob(j));
      onDone?.(out.length);
    }
    return out;
  },
};

/** The in-memory streams of a market over the whole range. */
interface MarketData {
  readonly liquidations: LiquidationColumns;
  readonly openInterest: OpenInterestColumns;
  readonly marks: MarkColumns;
  /** The execution market's best bid and ask (bookTicker), for fills without a book. */
  readonly quotes: QuoteColumns;
  readonly books: { readonly venue: Venue; readonly cols: BookColumns }[];
}

/** Rows with fromMs <= ts < toMs, as views (no copy). */
function sliceRows<T extends { readonly length: number; readonly ts: Float64Array }>(c: T, fromMs: number, toMs: number, arrays: readonly (keyof T)[]): T {
  const a = lowerBound(c.ts, fromMs);
  const b = lowerBound(c.ts, toMs);
  const out: Record<string, unknown> = { ...c, length: b - a };
  for (const k of arrays) out[k as string] = (c[k] as unknown as Float64Array).subarray(a, b);
  return out as T;
}

function sliceBook(c: BookColumns, fromMs: number, toMs: number): BookColumns {
  const a = lowerBound(c.ts, fromMs);
  const b = lowerBound(c.ts, toMs);
  // Level rows stay whole: levelStart keeps absolute offsets into them.
  return { ...c, length: b - a, ts: c.ts.subarray(a, b), isSnapshot: c.isSnapshot.subarray(a, b), seq: c.seq.subarray(a, b), levelStart: c.levelStart.subarray(a, b + 1) };
}

function window(d: MarketData, fromMs: number, toMs: number): MarketData {
  const price = ['ts', 'price', 'qty', 'side', 'venue'] as const;
  return {
    liquidations: sliceRows(d.liquidations, fromMs, toMs, price),
    openInterest: sliceRows(d.openInterest, fromMs, toMs, ['ts', 'openInterest', 'markPrice', 'market']),
    marks: sliceRows(d.marks, fromMs, toMs, ['ts', 'markPrice', 'fundingRate', 'nextFundingTs', 'market']),
    quotes: sliceRows(d.quotes, fromMs, toMs, ['ts', 'bid', 'ask', 'market']),
    books: d.books.map((b) => ({ venue: b.venue, cols: sliceBook(b.cols, bookStart(b.cols, fromMs), toMs) })),
  };
}

/** Where a run from `ms` takes the book from: the last snapshot at or before it (the book it rebuilds), else `ms`. */
function bookStart(b: BookColumns, ms: number): number {
  let i = 0;
  let hi = b.length;
  // The first message after `ms`, then back to the snapshot before it.
  while (i < hi) {
    const mid = (i + hi) >> 1;
    if (b.ts[mid] <= ms) i = mid + 1;
    else hi = mid;
  }
  while (--i >= 0) if (b.isSnapshot[i] === 1) return b.ts[i];
  return ms;
}

export class Backtest {
  private data: MarketData | undefined;
  /** The run's range: --from/--to, else the execution venue's trade span. */
  private range: [number, number] = [NaN, NaN];
  /** Where the execution venue traded in the range (null signals are drawn only there). */
  private traded: TradedTime | undefined;
  /** The run's venues that have trades in the range (what the header lists). */
  private tradedVenues: Venue[] = [];
  private readonly venues: Venue[];
  private readonly symbols: string[];
  readonly execVenue: Venue;
  readonly execSymbol: string;
  private readonly instrument: Instrument;

  constructor(private readonly req: BacktestRequest) {
    this.venues = [...new Set(req.pairs.map((p) => p[0]))];
    this.symbols = [...new Set(req.pairs.map((p) => p[1]))];
    const exec = req.config.execution.venue ? req.pairs.find((p) => p[0] === req.config.execution.venue) : req.pairs[0];
    if (!exec) throw new RangeError(`execution.venue ${req.config.execution.venue} is not among the run's venues (${this.venues.join(', ')})`);
    [this.execVenue, this.execSymbol] = exec;
    const inst = req.instruments(this.execVenue, this.execSymbol);
    if (!inst) throw new RangeError(`no instrument metadata for ${this.execVenue} ${this.execSymbol}: margin, fees and lot size are unknown (docs/INSTRUMENTS.md)`);
    this.instrument = inst;
  }

  /** The execution market's trades: WHERE clause and parameters, within [fromMs, toMs) when given. */
  private execTrades(fromMs?: number, toMs?: number): { where: string; params: (string | bigint)[] } {
    const params: (string | bigint)[] = [this.execVenue, this.execSymbol];
    let where = 'venue::VARCHAR = $1 AND symbol = $2';
    if (fromMs !== undefined) {
      params.push(BigInt(Math.round(fromMs * 1000)));
      where += ` AND ts >= make_timestamp($${params.length}::BIGINT)`;
    }
    if (toMs !== undefined) {
      params.push(BigInt(Math.round(toMs * 1000)));
      where += ` AND ts < make_timestamp($${params.length}::BIGINT)`;
    }
    return { where, params };
  }

  /** The range, and the traded time in it. */
  private async resolveRange(): Promise<void> {
    if (this.traded) return;
    const { store, fromMs, toMs } = this.req;
    const span = this.execTrades(fromMs, toMs);
    const [row] = await store.rows<{ lo: number | null; hi: number | null }>(`SELECT epoch_ms(min(ts))::DOUBLE AS lo, epoch_ms(max(ts))::DOUBLE AS hi FROM trades WHERE ${span.where}`, span.params);
    const lo = fromMs ?? row?.lo ?? NaN;
    const hi = toMs ?? (row?.hi == null ? NaN : row.hi + 1);
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      const where = fromMs === undefined && toMs === undefined ? '' : ' in the given range';
      throw new RangeError(`no ${this.execVenue} ${this.execSymbol} trades stored${where}: the execution venue's trades set the range (give --from and --to, or import its trades)`);
    }
    this.range = [lo, hi];
    const inRange = this.execTrades(lo, hi);
    const buckets = await store.rows<{ b: number }>(`SELECT DISTINCT (floor(epoch_ms(ts) / ${TRADED_BUCKET_MS}) * ${TRADED_BUCKET_MS})::DOUBLE AS b FROM trades WHERE ${inRange.where} ORDER BY b`, inRange.params);
    this.traded = tradedTime(buckets.map((r) => Number(r.b)), lo, hi);
    this.tradedVenues = [];
    for (const v of this.venues) {
      const symbols = this.req.pairs.filter((p) => p[0] === v).map((p) => p[1]);
      const params: (string | bigint)[] = [v, BigInt(Math.round(lo * 1000)), BigInt(Math.round(hi * 1000)), ...symbols];
      const inList = symbols.map((_, i) => `$${i + 4}`).join(', ');
      const any = await store.rows(`SELECT 1 FROM trades WHERE venue::VARCHAR = $1 AND symbol IN (${inList}) AND ts >= make_timestamp($2::BIGINT) AND ts < make_timestamp($3::BIGINT) LIMIT 1`, params);
      if (any.length > 0) this.tradedVenues.push(v);
    }
  }

  /** Every config a run of this request may use (the base and each walk-forward grid point). */
  private configs(): BacktestConfig[] {
    const c = this.req.config;
    if (!c.walkForward) return [c];
    return [c, ...paramGrid(c.walkForward.sweep).map((p) => Object.entries(p).reduce((cfg, [k, v]) => withParam(cfg, k, v), c))];
  }

  private async load(): Promise<MarketData> {
    if (this.data) return this.data;
    await this.resolveRange();
    const { store, config } = this.req;
    const [fromMs, toMs] = this.range;
    // Read from the earliest warm-up any run may need (walk-forward windows start later).
    const warmup = Math.max(...this.configs().map((cfg) => effectiveWarmup(cfg).ms));
    const q = { venues: this.venues, symbols: this.symbols, fromMs: fromMs - warmup, toMs };
    const needBook = config.execution.useBook || config.entry.vetoOnBaitOnly;
    this.data = {
      liquidations: await readLiquidations(store, q),
      openInterest: await readOpenInterest(store, q),
      marks: await readMarks(store, q),
      quotes: await readQuotes(store, { ...q, venues: [this.execVenue], symbols: [this.execSymbol] }),
      // From the last snapshot at or before the start: the book is real from the first event.
      books: needBook ? [{ venue: this.execVenue, cols: await readBook(store, { venue: this.execVenue, symbol: this.execSymbol, fromMs: await bookReadFrom(store, this.execVenue, this.execSymbol, fromMs), toMs }) }] : [],
    };
    return this.data;
  }

  /** One engine run over [fromMs, toMs), warmed up before fromMs (and injected signals for null runs). */
  async runOnce(config: BacktestConfig, fromMs: number, toMs: number, injected?: readonly InjectedSignal[], phase?: string): Promise<EngineResult> {
    const all = await this.load();
    // Warm-up: events before the start feed the features; nothing before it is traded or kept.
    const lo = fromMs - effectiveWarmup(config).ms;
    const d = window(all, lo, toMs);
    const engine = new Engine(
      config,
      { venues: this.venues, execVenue: this.execVenue, execSymbol: this.execSymbol, instrument: this.instrument },
      (this.req.strategy ?? seedStrategy)(config),
      {
        injected,
        activeFromMs: fromMs,
        onProgress: this.req.onProgress && phase ? (ts, events) => this.req.onProgress!(phase, Math.min(1, Math.max(0, (ts - fromMs) / (toMs - fromMs))), events) : undefined,
      },
    );
    const trades = streamTrades(this.req.store, { venues: this.venues, symbols: this.symbols, fromMs: lo, toMs });
    return engine.run({ trades: trades as AsyncIterable<TradeColumns>, ...d });
  }

  /** A job of {@link BacktestJob}: what a worker thread runs. */
  async runJob(job: BacktestJob): Promise<JobResult> {
    if (job.kind === 'score') {
      const r = await this.runOnce(job.config, job.fromMs, job.toMs);
      const m = this.metrics(r, job.config.risk.initialEquity, job.fromMs, job.toMs);
      const score = job.config.walkForward?.score ?? 'netReturn';
      return score === 'netReturn' ? m.netReturn : score === 'sharpe' ? (m.sharpe ?? -Infinity) : (m.profitFactor ?? -Infinity);
    }
    let rng = createRng(job.config.seed);
    for (const label of job.stream) rng = rng.fork(label);
    const traded: TradedTime = { starts: Float64Array.from(job.traded.starts), ends: Float64Array.from(job.traded.ends), totalMs: job.traded.starts.reduce((s, x, i) => s + job.traded.ends[i] - x, 0) };
    const injected = nullSignals(job.signals, job.config.nullModel.kind, rng, traded);
    const r = await this.runOnce(job.config, job.fromMs, job.toMs, injected);
    return { r: rMultiples(r.trades), netReturn: this.metrics(r, job.config.risk.initialEquity, job.fromMs, job.toMs).netReturn };
  }

  metrics(r: EngineResult, initialEquity: number, fromMs: number, toMs: number): BacktestMetrics {
    return computeMetrics(r.trades, r.equity, { initialEquity, fromMs, toMs: Math.max(toMs, fromMs + 1) });
  }

  async run(): Promise<RunResult> {
    const c = this.req.config;
    await this.resolveRange();
    const [fromMs, toMs] = this.range;
    const main = await this.runOnce(c, fromMs, toMs, undefined, 'backtest');
    const mainMetrics = this.metrics(main, c.risk.initialEquity, fromMs, toMs);
    let metrics = mainMetrics;
    let result = main;
    let walkForward: WalkForwardFold[] | null = null;
    // The null model's windows: the whole range with the base config, or each out-of-sample fold with its chosen config.
    let windows: NullWindow[] = [{ config: c, fromMs, toMs, signals: main.signals }];
    const warnings = [...main.warnings];
    const warm = effectiveWarmup(c).warning;
    if (warm) warnings.push(warm);
    if (c.walkForward) {
      const wf = await this.walkForward(c, fromMs, toMs);
      walkForward = wf.folds;
      if (wf.stitched) {
        result = wf.stitched;
        metrics = this.metrics(wf.stitched, c.risk.initialEquity, wf.folds[0].outOfSample.fromMs, wf.folds[wf.folds.length - 1].outOfSample.toMs);
        windows = wf.windows;
        warnings.push('walk-forward: the headline metrics, trades, equity, signals and journal are the out-of-sample folds only, each run with the parameters chosen on the window before it (each window warmed up on the events before it)');
        warnings.push(...wf.notes);
      } else warnings.push('walk-forward: the range is shorter than one in-sample + out-of-sample window; no folds were run');
    }
    const nullModel = c.nullModel.seeds > 0 ? await this.nullModel(c, result, metrics.netReturn, windows, walkForward !== null && walkForward.length > 0) : null;
    if (c.nullModel.seeds > 0 && !nullModel && result.signals.length > 0) warnings.push('null model: not run, no signal was acted on (it shuffles the acted-on signals)');
    if (main.signals.length === 0) warnings.push('no signals in this range: nothing was predicted or traded');
    const ruinedAtMs = ruinTime(result, c.risk.initialEquity);
    if (ruinedAtMs !== null) warnings.unshift(ruinWarning(result, ruinedAtMs));
    const strategy = (this.req.strategy ?? seedStrategy)(c);
    const features = featuresOf(strategy);
    return {
      meta: {
        symbol: this.req.symbol,
        venues: this.tradedVenues,
        fromMs,
        toMs,
        seed: c.seed,
        initialEquity: c.risk.initialEquity,
        strategy: strategy.name,
        features: FEATURE_NAMES.filter((f) => features.has(f)),
        config: c,
        events: main.events,
        ruinedAtMs,
        warnings: [...new Set([...warnings, ...result.warnings])],
      },
      metrics,
      trades: result.trades,
      orders: result.orders,
      equity: result.equity,
      bars: result.bars,
      zones: result.zones,
      signals: result.signals,
      journal: result.journal,
      nullModel,
      walkForward,
    };
  }

  /**
   * The same rules on null signals, `seeds` times: each null run goes through every window of the
   * real result (the whole range, or each out-of-sample fold with the parameters chosen for it)
   * with that window's acted-on signals, shuffled within its traded time.
   */
  private async nullModel(c: BacktestConfig, real: EngineResult, realNetReturn: number, windows: readonly NullWindow[], walkForward: boolean): Promise<NullModelResult | null> {
    const acted = windows.map((w) => w.signals.filter((s) => s.acted));
    if (acted.every((a) => a.length === 0)) return null;
    const seeds = c.nullModel.seeds;
    const jobs: BacktestJob[] = [];
    for (let k = 0; k < seeds; k++) {
      windows.forEach((w, j) => {
        if (acted[j].length === 0) return;
        const t = clipTradedTime(this.traded!, w.fromMs, w.toMs);
        // A window without trades of the execution venue has no real trade either: nothing to compare.
        if (t.totalMs === 0) return;
        const base = `null-model:${c.nullModel.kind}:${k}`;
        jobs.push({ kind: 'null', config: w.config, fromMs: w.fromMs, toMs: w.toMs, signals: acted[j], stream: windows.length === 1 ? [base] : [base, `fold:${j + 1}`], traded: { starts: [...t.starts], ends: [...t.ends] } });
      });
    }
    const perSeed = jobs.length / seeds;
    const results = (await this.runJobs(jobs, 'null model')) as NullRunOutcome[];
    const runs: NullRunOutcome[] = [];
    for (let k = 0; k < seeds; k++) {
      const part = results.slice(k * perSeed, (k + 1) * perSeed);
      // Folds chain equity: the run's return compounds the windows'.
      runs.push({ r: part.flatMap((p) => p.r), netReturn: part.reduce((acc, p) => acc * (1 + p.netReturn), 1) - 1 });
    }
    return nullVerdict({ kind: c.nullModel.kind, seed: c.seed, realR: rMultiples(real.trades), realNetReturn, runs, walkForward });
  }

  private async runJobs(jobs: readonly BacktestJob[], phase: string): Promise<JobResult[]> {
    await this.load();
    const onDone = this.req.onProgress ? (done: number) => this.req.onProgress!(phase, done / jobs.length, 0) : undefined;
    return (this.req.runner ?? serialRunner).run(jobs, this, onDone);
  }

  /** Folds: in-sample [t, t + IS) picks the parameters, out-of-sample [t + IS, t + IS + OOS) runs them; t steps by OOS. */
  private async walkForward(c: BacktestConfig, fromMs: number, toMs: number): Promise<{ folds: WalkForwardFold[]; stitched: EngineResult | undefined; windows: NullWindow[]; notes: string[] }> {
    const wf = c.walkForward!;
    const grid = paramGrid(wf.sweep);
    const starts: number[] = [];
    for (let t = fromMs; t + wf.inSample + wf.outOfSample <= toMs; t += wf.outOfSample) starts.push(t);
    // Every fold's in-sample sweep at once: they are independent of each other.
    const configs = grid.map((params) => Object.entries(params).reduce((cfg, [k, v]) => withParam(cfg, k, v), c));
    const jobs: BacktestJob[] = starts.flatMap((t) => configs.map((config): BacktestJob => ({ kind: 'score', config, fromMs: t, toMs: t + wf.inSample })));
    const scores = (await this.runJobs(jobs, 'walk-forward in-sample')) as number[];
    const folds: WalkForwardFold[] = [];
    const notes: string[] = [];
    const parts: EngineResult[] = [];
    const windows: NullWindow[] = [];
    let equity = c.risk.initialEquity;
    for (let f = 0; f < starts.length; f++) {
      const t = starts[f];
      const isTo = t + wf.inSample;
      const oosTo = isTo + wf.outOfSample;
      // The highest score; on a tie the first in grid order.
      let best = 0;
      for (let g = 1; g < grid.length; g++) if (scores[f * grid.length + g] > scores[f * grid.length + best]) best = g;
      let cfg = withParam(c, 'risk.initialEquity', equity);
      for (const [k, v] of Object.entries(grid[best])) cfg = withParam(cfg, k, v);
      const oos = await this.runOnce(cfg, isTo, oosTo, undefined, `walk-forward fold ${f + 1} out-of-sample`);
      const m = this.metrics(oos, equity, isTo, oosTo);
      folds.push({ inSample: { fromMs: t, toMs: isTo }, outOfSample: { fromMs: isTo, toMs: oosTo }, chosen: grid[best], inSampleScore: scores[f * grid.length + best], outOfSampleNetReturn: m.netReturn, outOfSampleTrades: oos.trades.length });
      parts.push(oos);
      windows.push({ config: cfg, fromMs: isTo, toMs: oosTo, signals: oos.signals });
      equity = oos.finalEquity;
      // Folds chain equity: a fold that ends ruined leaves nothing for the next one to trade.
      if (equity <= 0) {
        const later = starts.length - f - 1;
        if (later > 0) notes.push(`walk-forward: fold ${f + 1} (out of sample ${isoMs(isTo)} to ${isoMs(oosTo)}) ended at equity 0, so the ${later} later fold${later === 1 ? ' was' : 's were'} not run: the headline ends with that fold`);
        break;
      }
    }
    if (parts.length === 0) return { folds, stitched: undefined, windows, notes };
    return { folds, stitched: stitch(parts), windows, notes };
  }
}

const isoMs = (ms: number) => new Date(ms).toISOString();

/** When the run's equity first reached 0 (null when it never did): the exit of the trade that took it there. */
function ruinTime(r: EngineResult, initialEquity: number): number | null {
  if (r.finalEquity > 0) return null;
  let equity = initialEquity;
  // Float sums of the trades' PnL may miss an exact 0 by a rounding error.
  for (const t of r.trades) if ((equity += t.pnl) <= 1e-9 * initialEquity) return t.exitTs;
  for (const p of r.equity) if (p.equity <= 0) return p.ts;
  return r.trades.length > 0 ? r.trades[r.trades.length - 1].exitTs : r.firstTs;
}

function ruinWarning(r: EngineResult, ts: number): string {
  const last = [...r.trades].reverse().find((t) => t.exitTs <= ts);
  const how = last?.liquidated ? ` (trade ${last.id}, a ${last.side}, was liquidated)` : '';
  return `ruined: equity reached 0 at ${isoMs(ts)}${how}; no order could be sized after it, so the run is flat from there and its metrics end at -100%`;
}

/** A window the null model runs through: a config, a range and the real signals of it. */
interface NullWindow {
  readonly config: BacktestConfig;
  readonly fromMs: number;
  readonly toMs: number;
  readonly signals: readonly RunSignal[];
}

/** Out-of-sample folds as one run: ids renumbered so trades point at their signals and orders stay unique. */
function stitch(parts: readonly EngineResult[]): EngineResult {
  let sigBase = 0;
  let orderBase = 0;
  let tradeId = 1;
  const signals: RunSignal[] = [];
  const trades: EngineResult['trades'] = [];
  const orders: EngineResult['orders'] = [];
  const predictions: PredictionRecord[] = [];
  for (const p of parts) {
    for (const x of p.signals) signals.push({ ...x, id: x.id + sigBase });
    for (const t of p.trades) trades.push({ ...t, id: tradeId++, signalId: t.signalId + sigBase });
    for (const o of p.orders) orders.push({ ...o, id: o.id + orderBase });
    for (const x of p.journal.predictions) predictions.push({ ...x, id: x.id + sigBase });
    sigBase += p.signals.length;
    orderBase += p.orders.reduce((m, o) => Math.max(m, o.id), 0);
  }
  const horizons = parts[0].journal.horizonsMs;
  return {
    ...parts[parts.length - 1],
    events: parts.reduce((s, p) => s + p.events, 0),
    firstTs: parts[0].firstTs,
    trades,
    orders,
    signals,
    equity: parts.flatMap((p) => p.equity),
    bars: parts.flatMap((p) => p.bars),
    zones: parts.flatMap((p) => p.zones),
    journal: { horizonsMs: horizons, predictions, hitRates: hitRateTable(predictions, horizons) },
    warnings: [...new Set(parts.flatMap((p) => p.warnings))],
  };
}

/** Cartesian product of the sweep (one empty set when there is nothing to sweep). */
export function paramGrid(sweep: Readonly<Record<string, readonly (number | string | boolean)[]>>): Record<string, number | string | boolean>[] {
  let out: Record<string, number | string | boolean>[] = [{}];
  for (const [k, values] of Object.entries(sweep).sort(([a], [b]) => (a < b ? -1 : 1))) out = out.flatMap((o) => values.map((v) => ({ ...o, [k]: v })));
  return out;
}

