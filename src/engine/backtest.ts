/**
 * A backtest over the store: the market's events read once (trades streamed per run), the engine
 * run with the configured strategy, metrics, then the honesty checks: the null model (the same
 * rules on shuffled signal times or random levels, N seeds) and, when configured, a walk-forward
 * sweep whose out-of-sample folds are the headline.
 */
import { lowerBound, type BookColumns, type LiquidationColumns, type TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import type { Instrument } from '../core/instruments.ts';
import { readBook } from '../store/book-reader.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import type { Store } from '../store/store.ts';
import { readMarks, readOpenInterest, readQuotes, type MarkColumns, type OpenInterestColumns, type QuoteColumns } from '../store/ticker-reader.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { withParam, type BacktestConfig } from './config.ts';
import { Engine, type EngineResult, type InjectedSignal } from './engine.ts';
import { computeMetrics, type BacktestMetrics } from './metrics.ts';
import { createRng } from './random.ts';
import { hitRateTable } from './journal.ts';
import type { NullModelResult, PredictionRecord, RunResult, RunSignal, WalkForwardFold } from './run-types.ts';
import { seedStrategy } from './seed-strategy.ts';
import type { Strategy } from './strategy.ts';
import { bootstrapMeanDiffCI, empiricalPValue, percentileRank } from './stats.ts';

export interface BacktestRequest {
  readonly store: Store;
  readonly config: BacktestConfig;
  /** Venue + venue-native symbol of every market merged; the first one's venue executes unless the config says otherwise. */
  readonly pairs: readonly [Venue, string][];
  readonly instruments: (venue: Venue, symbol: string) => Instrument | undefined;
  readonly symbol: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Called with a phase name ('backtest', 'null model 3/20', ...), the fraction done of it and the events read in it. */
  readonly onProgress?: (phase: string, done: number, events: number) => void;
  /** The strategy for a config (each run builds a fresh one); default the built-in seed strategy. */
  readonly strategy?: (config: BacktestConfig) => Strategy;
}

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
    books: d.books.map((b) => ({ venue: b.venue, cols: sliceBook(b.cols, fromMs, toMs) })),
  };
}

export class Backtest {
  private data: MarketData | undefined;
  /** First and last stored trade time of the market (for progress when no range is given). */
  private span: [number, number] = [NaN, NaN];
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

  private async load(): Promise<MarketData> {
    if (this.data) return this.data;
    const { store, fromMs, toMs, config } = this.req;
    // Read from the earliest warm-up any run may need (walk-forward windows start later).
    const q = { venues: this.venues, symbols: this.symbols, fromMs: fromMs === undefined ? undefined : fromMs - config.warmup, toMs };
    const needBook = config.execution.useBook || config.entry.vetoOnBaitOnly;
    const [row] = await store.rows<{ lo: number | null; hi: number | null }>(
      `SELECT epoch_ms(min(ts))::DOUBLE AS lo, epoch_ms(max(ts))::DOUBLE AS hi FROM trades WHERE venue::VARCHAR IN (${this.venues.map((_, i) => `$${i + 1}`).join(', ')}) AND symbol IN (${this.symbols.map((_, i) => `$${this.venues.length + i + 1}`).join(', ')})`,
      [...this.venues, ...this.symbols],
    );
    this.span = [Math.max(fromMs ?? -Infinity, row?.lo ?? NaN), Math.min(toMs ?? Infinity, row?.hi ?? NaN)];
    this.data = {
      liquidations: await readLiquidations(store, q),
      openInterest: await readOpenInterest(store, q),
      marks: await readMarks(store, q),
      quotes: await readQuotes(store, { ...q, venues: [this.execVenue], symbols: [this.execSymbol] }),
      books: needBook ? [{ venue: this.execVenue, cols: await readBook(store, { venue: this.execVenue, symbol: this.execSymbol, fromMs, toMs }) }] : [],
    };
    return this.data;
  }

  /** One engine run over [fromMs, toMs) with a config (and injected signals for null runs). */
  async runOnce(config: BacktestConfig, fromMs: number | undefined, toMs: number | undefined, injected?: readonly InjectedSignal[], phase = 'backtest'): Promise<EngineResult> {
    const all = await this.load();
    // Warm-up: events before the start feed the features; nothing before it is traded or kept.
    const lo = fromMs === undefined ? -Infinity : fromMs - config.warmup;
    const hi = toMs ?? Infinity;
    const d = window(all, lo, hi);
    const [p0, p1] = [Math.max(lo, this.span[0]), Math.min(hi, this.span[1])];
    const engine = new Engine(
      config,
      { venues: this.venues, execVenue: this.execVenue, execSymbol: this.execSymbol, instrument: this.instrument },
      (this.req.strategy ?? seedStrategy)(config),
      {
        injected,
        activeFromMs: fromMs,
        onProgress: this.req.onProgress && p1 > p0 ? (ts, events) => this.req.onProgress!(phase, Math.min(1, Math.max(0, (ts - p0) / (p1 - p0))), events) : undefined,
      },
    );
    const trades = streamTrades(this.req.store, { venues: this.venues, symbols: this.symbols, fromMs: Number.isFinite(lo) ? lo : undefined, toMs });
    return engine.run({ trades: trades as AsyncIterable<TradeColumns>, ...d });
  }

  metrics(r: EngineResult, initialEquity: number, fromMs?: number, toMs?: number): BacktestMetrics {
    const from = fromMs ?? (Number.isFinite(r.firstTs) ? r.firstTs : 0);
    const to = toMs ?? (Number.isFinite(r.lastTs) ? r.lastTs + 1 : from + 1);
    return computeMetrics(r.trades, r.equity, { initialEquity, fromMs: from, toMs: Math.max(to, from + 1) });
  }

  async run(): Promise<RunResult> {
    const c = this.req.config;
    const main = await this.runOnce(c, this.req.fromMs, this.req.toMs);
    const fromMs = this.req.fromMs ?? main.firstTs;
    const toMs = this.req.toMs ?? main.lastTs + 1;
    const mainMetrics = this.metrics(main, c.risk.initialEquity, fromMs, toMs);
    let metrics = mainMetrics;
    let result = main;
    let walkForward: WalkForwardFold[] | null = null;
    const warnings = [...main.warnings];
    if (c.walkForward && Number.isFinite(fromMs) && Number.isFinite(toMs)) {
      const wf = await this.walkForward(c, fromMs, toMs);
      walkForward = wf.folds;
      if (wf.stitched) {
        result = wf.stitched;
        metrics = this.metrics(wf.stitched, c.risk.initialEquity, wf.folds[0].outOfSample.fromMs, wf.folds[wf.folds.length - 1].outOfSample.toMs);
        warnings.push('walk-forward: the headline metrics, trades, equity, signals and journal are the out-of-sample folds only, each run with the parameters chosen on the window before it (each window warmed up on the events before it)');
      } else warnings.push('walk-forward: the range is shorter than one in-sample + out-of-sample window; no folds were run');
    }
    // The null model replays the full-period run's signals, so it is compared with that run (also under walk-forward).
    const nullModel = c.nullModel.seeds > 0 ? await this.nullModel(c, main, mainMetrics.netReturn, fromMs, toMs) : null;
    if (nullModel && walkForward) warnings.push(`null model: compared with the full-period run of the base config (net return ${(100 * mainMetrics.netReturn).toFixed(2)}%), not with the out-of-sample folds`);
    if (main.signals.length === 0) warnings.push('no signals in this range: nothing was predicted or traded');
    return {
      meta: {
        symbol: this.req.symbol,
        venues: this.venues,
        fromMs,
        toMs,
        seed: c.seed,
        initialEquity: c.risk.initialEquity,
        strategy: this.req.strategy ? this.req.strategy(c).name : c.strategy,
        config: c,
        events: main.events,
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

  /** The same rules on null signals: the real signals at shuffled times, or at random levels. */
  private async nullModel(c: BacktestConfig, main: EngineResult, realNetReturn: number, fromMs: number, toMs: number): Promise<NullModelResult | null> {
    if (main.signals.length === 0) return null;
    const nullReturns: number[] = [];
    const nullPnls: number[] = [];
    const seeds = c.nullModel.seeds;
    for (let k = 0; k < seeds; k++) {
      const rng = createRng(c.seed).fork(`null-model:${c.nullModel.kind}:${k}`);
      const injected = nullSignals(main.signals, c.nullModel.kind, rng, fromMs, toMs);
      const r = await this.runOnce(c, this.req.fromMs, this.req.toMs, injected, `null model ${k + 1}/${seeds}`);
      nullReturns.push(this.metrics(r, c.risk.initialEquity, fromMs, toMs).netReturn);
      for (const t of r.trades) nullPnls.push(t.pnl);
    }
    const realPnls = main.trades.map((t) => t.pnl);
    const percentile = percentileRank(realNetReturn, nullReturns);
    const pValue = empiricalPValue(realNetReturn, nullReturns, 'greater');
    const diffCI = realPnls.length > 1 && nullPnls.length > 1 ? bootstrapMeanDiffCI(realPnls, nullPnls, { seed: c.seed }) : null;
    const enough = realPnls.length >= MIN_TRADES_FOR_EDGE;
    const beats = enough && pValue <= 0.05 && diffCI !== null && diffCI.lower > 0;
    const kind = c.nullModel.kind.replace('_', ' ');
    const verdict = !enough
      ? `Too few trades to tell: ${realPnls.length} real trade${realPnls.length === 1 ? '' : 's'} (an edge is claimed only from ${MIN_TRADES_FOR_EDGE}). Against ${seeds} null runs (${kind}) the real return sits at the ${(100 * percentile).toFixed(0)}th percentile (p = ${pValue.toFixed(3)}); treat it as NOT distinguishable from chance.`
      : beats
      ? `The real signals beat ${seeds} null runs (${c.nullModel.kind.replace('_', ' ')}): p = ${pValue.toFixed(3)}, and the per-trade edge over the null trades is positive (95% CI ${diffCI!.lower.toFixed(2)} to ${diffCI!.upper.toFixed(2)} quote).`
      : `The edge is NOT distinguishable from chance: against ${seeds} null runs (${c.nullModel.kind.replace('_', ' ')}) the real return sits at the ${(100 * percentile).toFixed(0)}th percentile (p = ${pValue.toFixed(3)})${diffCI ? `, and the 95% CI of the per-trade difference (${diffCI.lower.toFixed(2)} to ${diffCI.upper.toFixed(2)} quote) ${diffCI.lower > 0 ? 'is above 0 but the return is not' : 'includes 0 or is below it'}` : ', too few trades for a per-trade comparison'}.`;
    return { kind: c.nullModel.kind, seeds, realNetReturn, nullNetReturns: nullReturns, percentile, pValue, diffCI, edge: beats, verdict };
  }

  /** Folds: in-sample [t, t + IS) picks the parameters, out-of-sample [t + IS, t + IS + OOS) runs them; t steps by OOS. */
  private async walkForward(c: BacktestConfig, fromMs: number, toMs: number): Promise<{ folds: WalkForwardFold[]; stitched: EngineResult | undefined }> {
    const wf = c.walkForward!;
    const grid = paramGrid(wf.sweep);
    const folds: WalkForwardFold[] = [];
    const parts: EngineResult[] = [];
    let equity = c.risk.initialEquity;
    for (let t = fromMs; t + wf.inSample + wf.outOfSample <= toMs; t += wf.outOfSample) {
      const isTo = t + wf.inSample;
      const oosTo = isTo + wf.outOfSample;
      let best: { params: Record<string, number | string | boolean>; score: number } | undefined;
      for (const params of grid) {
        let cfg = c;
        for (const [k, v] of Object.entries(params)) cfg = withParam(cfg, k, v);
        const r = await this.runOnce(cfg, t, isTo, undefined, `walk-forward fold ${folds.length + 1} in-sample`);
        const m = this.metrics(r, cfg.risk.initialEquity, t, isTo);
        const score = wf.score === 'netReturn' ? m.netReturn : wf.score === 'sharpe' ? (m.sharpe ?? -Infinity) : (m.profitFactor ?? -Infinity);
        if (!best || score > best.score) best = { params, score };
      }
      let cfg = withParam(c, 'risk.initialEquity', equity);
      for (const [k, v] of Object.entries(best!.params)) cfg = withParam(cfg, k, v);
      const oos = await this.runOnce(cfg, isTo, oosTo, undefined, `walk-forward fold ${folds.length + 1} out-of-sample`);
      const m = this.metrics(oos, equity, isTo, oosTo);
      folds.push({ inSample: { fromMs: t, toMs: isTo }, outOfSample: { fromMs: isTo, toMs: oosTo }, chosen: best!.params, inSampleScore: best!.score, outOfSampleNetReturn: m.netReturn, outOfSampleTrades: oos.trades.length });
      parts.push(oos);
      equity = oos.finalEquity;
    }
    if (parts.length === 0) return { folds, stitched: undefined };
    return { folds, stitched: stitch(parts) };
  }
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

/** An edge is never claimed from fewer real trades than this, whatever the p-value: a bootstrap of a handful of trades says nothing. */
export const MIN_TRADES_FOR_EDGE = 10;

/** Cartesian product of the sweep (one empty set when there is nothing to sweep). */
export function paramGrid(sweep: Readonly<Record<string, readonly (number | string | boolean)[]>>): Record<string, number | string | boolean>[] {
  let out: Record<string, number | string | boolean>[] = [{}];
  for (const [k, values] of Object.entries(sweep).sort(([a], [b]) => (a < b ? -1 : 1))) out = out.flatMap((o) => values.map((v) => ({ ...o, [k]: v })));
  return out;
}

/**
 * Null signals from the real ones. `shuffled_times`: each real signal (same type, direction and
 * evidence) at a uniform random time in [fromMs, toMs), its level and zone moved with the price
 * (kept at the same distance from it). `random_levels`: the real times, the level and zone shifted
 * by a random factor within ±2%. Sorted by time.
 */
export function nullSignals(signals: readonly RunSignal[], kind: 'shuffled_times' | 'random_levels', rng: ReturnType<typeof createRng>, fromMs: number, toMs: number): InjectedSignal[] {
  const out: InjectedSignal[] = signals.map((s) => {
    const ref = Number(s.evidence.close);
    const ts = kind === 'shuffled_times' ? fromMs + rng.nextFloat() * (toMs - fromMs) : s.ts;
    const shift = kind === 'random_levels' ? Math.exp((rng.nextFloat() * 2 - 1) * 0.02) : 1;
    return {
      ts,
      make: (price: number) => {
        const f = (kind === 'shuffled_times' && ref > 0 ? price / ref : 1) * shift;
        const zone =
          s.type === 'absorption' && s.evidence.zone_low != null
            ? { low: Number(s.evidence.zone_low) * f, high: Number(s.evidence.zone_high) * f, side: (s.direction === 'long' ? 'long' : 'short') as 'long' | 'short', source: (s.evidence.zone_source === 'predicted' ? 'predicted' : 'realized') as 'realized' | 'predicted' }
            : null;
        return { type: s.type, direction: s.direction, level: s.level * f, venue: s.venue, zone, timeframeMs: s.evidence.timeframe_ms == null ? null : Number(s.evidence.timeframe_ms), evidence: { ...s.evidence, null_of: s.id } };
      },
    };
  });
  return out.sort((a, b) => a.ts - b.ts);
}
