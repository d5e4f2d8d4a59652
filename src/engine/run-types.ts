/**
 * What a backtest run produces: the contract between the engine (which fills it), the run folder
 * writer (CSV/Parquet/JSON), and report.html (which renders it). Plain JSON-friendly data: epoch
 * ms times, quote-currency money, base-unit quantities.
 */
import type { BacktestMetrics, ClosedTrade, EquityPoint } from './metrics.ts';
import type { BootstrapInterval } from './stats.ts';

/** A closed trade with what the risk layer decided at entry. */
export interface RunTrade extends ClosedTrade {
  readonly leverage: number;
  readonly stop: number;
  /** NaN-free: null when the trade had no target. */
  readonly target: number | null;
  /** Liquidation price at entry (the venue's formula, docs/MARGIN.md). */
  readonly liquidationPrice: number;
  /** Id of the signal (RunSignal.id) that opened it. */
  readonly signalId: number;
}

export type OrderStatus = 'filled' | 'cancelled' | 'rejected' | 'expired';

export interface RunOrder {
  readonly id: number;
  /** Decision time (the strategy placed it). */
  readonly ts: number;
  /** When it reached the simulated venue (ts + latency). */
  readonly arrivalTs: number;
  readonly venue: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly qty: number;
  /** Limit price; null for market orders. */
  readonly price: number | null;
  /** Why: 'entry', 'stop', 'target', 'time' or a strategy's reason (liquidations and the end-of-run close make no order: see the trade's exitReason). */
  readonly reason: string;
  readonly status: OrderStatus;
  readonly fillTs: number | null;
  /** Volume-weighted fill price; null when not filled. */
  readonly fillPrice: number | null;
  readonly fee: number;
  /** Fill price minus the reference price (last trade at arrival), signed against the order (> 0 = paid worse), in bps. */
  readonly slippageBps: number | null;
  readonly rejectReason: string | null;
}

export interface RunSignal {
  readonly id: number;
  /** When it became known (the feature output's ts). */
  readonly ts: number;
  /** 'absorption' | 'divergence' | ... */
  readonly type: string;
  /** The move it predicts. */
  readonly direction: 'long' | 'short';
  /** The price level it is about (zone edge, divergence close). */
  readonly level: number;
  readonly venue: string;
  readonly session: string;
  /** Whether the strategy entered on it, and if not, why (veto, risk refusal, already in a position...). */
  readonly acted: boolean;
  readonly vetoReason: string | null;
  readonly evidence: Readonly<Record<string, number | string | null>>;
}

/** What one prediction became over one horizon (src/engine/journal.ts; definitions in docs/JOURNAL.md). */
export interface HorizonOutcome {
  readonly horizonMs: number;
  /** False when the data ended before the horizon: then it counts in no hit rate. */
  readonly resolved: boolean;
  /** Price came within the touch tolerance of the level within the horizon. */
  readonly touched: boolean;
  /** Touched, then moved away from the level in the predicted direction by the rejection distance before breaking through. */
  readonly rejected: boolean;
  /** Moved through the level against the prediction by the break distance. */
  readonly brokeThrough: boolean;
  /** Return from the reference price to the last price at the horizon, in the predicted direction, bps; null unresolved. */
  readonly returnBps: number | null;
  /** Max favourable / adverse excursion from the reference price within the horizon, bps (>= 0 each). */
  readonly mfeBps: number;
  readonly maeBps: number;
  /** returnBps > 0; null unresolved. */
  readonly hit: boolean | null;
}

/** A prediction: a signal with a level, a direction and horizons. */
export interface PredictionRecord {
  readonly id: number;
  readonly ts: number;
  readonly type: string;
  readonly direction: 'long' | 'short';
  readonly level: number;
  readonly venue: string;
  readonly session: string;
  /** Last trade price at ts (the price the prediction is measured from). */
  readonly refPrice: number;
  readonly outcomes: readonly HorizonOutcome[];
}

/** Hit rate of one group (all, or one type / session / venue) at one horizon, with a Wilson 95% interval. */
export interface HitRateRow {
  readonly group: 'all' | 'type' | 'session' | 'venue';
  readonly key: string;
  readonly horizonMs: number;
  /** Resolved predictions. */
  readonly n: number;
  readonly hits: number;
  readonly hitRate: number | null;
  readonly ci: { readonly lower: number; readonly upper: number } | null;
  readonly touched: number;
  readonly rejected: number;
  readonly brokeThrough: number;
  readonly meanReturnBps: number | null;
  readonly meanMfeBps: number | null;
  readonly meanMaeBps: number | null;
}

export interface JournalReport {
  readonly horizonsMs: readonly number[];
  readonly predictions: readonly PredictionRecord[];
  readonly hitRates: readonly HitRateRow[];
}

/** A zone as a rectangle on the price chart. */
export interface ZoneBand {
  readonly fromTs: number;
  /** null = still live at the end of the run. */
  readonly toTs: number | null;
  readonly low: number;
  readonly high: number;
  readonly side: 'long' | 'short';
  readonly source: 'realized' | 'predicted';
}

/** OHLCV bars of the traded market (all venues merged), for the price chart. */
export interface RunBar {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * Where the real run falls among runs of the same rules on null signals (the acted-on signals at
 * shuffled traded times / random levels). The statistic is the mean R (pnl / risk) per trade.
 */
export interface NullModelResult {
  readonly kind: 'shuffled_times' | 'random_levels';
  readonly seeds: number;
  /** Compared with the walk-forward's out-of-sample folds, each null run through the same folds. */
  readonly walkForward: boolean;
  readonly realTrades: number;
  /** Mean R per real trade; null without trades. */
  readonly realMeanR: number | null;
  /** Trades of each null run. */
  readonly nullTrades: readonly number[];
  /** Mean R per trade of each null run; null for a run without trades (left out of the p-value). */
  readonly nullMeanR: readonly (number | null)[];
  /** Net returns (descriptive; runs that trade more or less are not compared by them). */
  readonly realNetReturn: number;
  readonly nullNetReturns: readonly number[];
  /** Share of the null runs with trades whose mean R is below the real one (ties half); null when nothing to rank. */
  readonly percentile: number | null;
  /** Empirical one-sided p-value of the mean R, (count(null >= real) + 1) / (n + 1) over the n null runs with trades; 1 without real trades. */
  readonly pValue: number;
  /** Bootstrap CI of mean R per trade, real minus null, the null runs resampled as wholes. */
  readonly diffCI: BootstrapInterval | null;
  /** The edge is claimed: enough real trades, p <= 0.05 and the bootstrap CI of the per-trade difference above 0. */
  readonly edge: boolean;
  /** Plain words: whether the edge is distinguishable from chance. */
  readonly verdict: string;
}

export interface WalkForwardFold {
  readonly inSample: { readonly fromMs: number; readonly toMs: number };
  readonly outOfSample: { readonly fromMs: number; readonly toMs: number };
  /** The parameter set chosen in sample, and its in-sample score. */
  readonly chosen: Readonly<Record<string, number | string | boolean>>;
  readonly inSampleScore: number;
  readonly outOfSampleNetReturn: number;
  readonly outOfSampleTrades: number;
}

export interface RunMeta {
  readonly symbol: string;
  readonly venues: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly seed: number;
  readonly initialEquity: number;
  readonly strategy: string;
  /**
   * The features the strategy reads, the only ones computed (strategy.ts FEATURE_NAMES): no
   * signal of a kind not listed, no zone bands without `absorption` or `zones`. Absent in runs
   * written before features were declared (everything was computed).
   */
  readonly features?: readonly string[];
  /** The validated config, defaults filled in. */
  readonly config: unknown;
  readonly events: number;
  /** When the equity reached 0 (the run, or under walk-forward a fold, ended ruined), epoch ms; null when it never did. */
  readonly ruinedAtMs: number | null;
  /** Things the reader must know: fees/funding/slippage turned off, sampled liquidation feeds, mark = last trade... */
  readonly warnings: readonly string[];
}

export interface RunResult {
  readonly meta: RunMeta;
  readonly metrics: BacktestMetrics;
  readonly trades: readonly RunTrade[];
  readonly orders: readonly RunOrder[];
  readonly equity: readonly EquityPoint[];
  readonly bars: readonly RunBar[];
  readonly zones: readonly ZoneBand[];
  readonly signals: readonly RunSignal[];
  /** The prediction journal (src/engine/journal.ts): per-prediction outcomes and hit-rate tables. */
  readonly journal: JournalReport;
  readonly nullModel: NullModelResult | null;
  readonly walkForward: readonly WalkForwardFold[] | null;
}
