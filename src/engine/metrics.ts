/**
 * Backtest metrics from closed trades and an equity curve: returns, drawdown, daily Sharpe and
 * Sortino, trade statistics, exposure, costs, and breakdowns by session, venue and signal.
 * Exact definitions: docs/METRICS.md. Pure and deterministic: the result depends only on the
 * arguments, not on the order of `trades` (they are put in a canonical order first).
 *
 * JSON: every field is a finite number, a string, null, or (only `profitFactor`) Infinity.
 * Undefined quantities are null, never NaN, and the reason is in `notes`. Serialise with
 * {@link metricsToJson} (Infinity becomes the string "Infinity"); plain JSON.stringify would
 * silently turn Infinity into null.
 */
import { mean, sampleStdev, sum, wilsonInterval } from './stats.ts';

export interface ClosedTrade {
  readonly id: number;
  readonly venue: string;          // 'binance' | 'okx' | 'bybit'
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly entryTs: number;        // epoch ms
  readonly exitTs: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly qty: number;            // base units
  readonly grossPnl: number;       // quote, price move only
  readonly fees: number;           // quote paid (>= 0; rebates negative)
  readonly funding: number;        // quote paid (> 0 paid, < 0 received)
  readonly pnl: number;            // net = grossPnl - fees - funding
  readonly risk: number;           // quote at risk at entry (|entry - stop| x qty); R multiple = pnl / risk
  readonly session: string;        // session of the signal that opened it ('Asia' | 'Europe' | 'US' | ...)
  readonly signal: string;         // signal type that opened it
  readonly exitReason: string;     // 'target' | 'stop' | 'time' | 'liquidation' | 'end'
  readonly liquidated: boolean;
}
export interface EquityPoint { readonly ts: number; readonly equity: number }

export const DAY_MS = 86_400_000;
/** Days per year for CAGR and for annualising daily Sharpe/Sortino (crypto trades every day). */
export const DAYS_PER_YEAR = 365;
/** z of the win-rate Wilson intervals (95%). */
export const WIN_RATE_Z = 1.96;

export interface MetricsOptions {
  /** Account equity at fromMs (quote); must be > 0. */
  readonly initialEquity: number;
  /** Start of the evaluated window, epoch ms (inclusive). */
  readonly fromMs: number;
  /** End of the evaluated window, epoch ms (exclusive for exposure and days; equity points at toMs count). */
  readonly toMs: number;
  /** Annual risk-free rate as a fraction (0.04 = 4%/year); default 0. */
  readonly riskFreeRate?: number;
}

export interface WinRateInterval { readonly lower: number; readonly upper: number }

export interface MaxDrawdown {
  /** Largest (peak - equity) / peak over the curve, in [0, 1] (equity <= 0 counts as 1). */
  readonly fraction: number;
  /** peak - trough in quote, of that same episode. */
  readonly quote: number;
  /** Time of the peak of that episode (last time equity stood at that high before the trough); null without a drawdown. */
  readonly peakTs: number | null;
  readonly troughTs: number | null;
  /** First time after the trough that equity got back to the peak; null if never (or no drawdown). */
  readonly recoveryTs: number | null;
}

/** Trade statistics of a group of trades (all trades, or one session / venue / signal). */
export interface TradeStats {
  readonly count: number;
  /** Trades with pnl > 0 (net of fees and funding). */
  readonly wins: number;
  /** Trades with pnl < 0. Trades with pnl = 0 are neither. */
  readonly losses: number;
  /** wins / count; null without trades. */
  readonly winRate: number | null;
  /** 95% Wilson score interval of the win rate; null without trades. */
  readonly winRateCI: WinRateInterval | null;
  /** Sum of pnl (net). */
  readonly netPnl: number;
  /** Sum of positive pnl. */
  readonly grossProfit: number;
  /** Minus the sum of negative pnl (>= 0). */
  readonly grossLoss: number;
  /** grossProfit / grossLoss; Infinity when there are profits and no losses; null when both are 0. */
  readonly profitFactor: number | null;
  /** Mean pnl per trade; null without trades. */
  readonly expectancy: number | null;
  /** Mean of pnl / risk over trades with risk > 0; null when there is none. */
  readonly avgR: number | null;
  /** Trades that entered avgR (risk > 0 and finite). */
  readonly rCount: number;
  readonly fees: number;
  readonly funding: number;
  readonly liquidations: number;
}

/**
 * All metrics. The trade statistics of all trades are inlined (TradeStats without count, fees and
 * funding, which appear as tradeCount, feesPaid and fundingPaid).
 */
export interface BacktestMetrics extends Omit<TradeStats, 'count' | 'fees' | 'funding'> {
  readonly fromMs: number;
  readonly toMs: number;
  /** (toMs - fromMs) / 1 day. */
  readonly spanDays: number;
  readonly initialEquity: number;
  /** Equity of the last curve point (see docs/METRICS.md for the curve). */
  readonly finalEquity: number;
  /** finalEquity / initialEquity - 1. */
  readonly netReturn: number;
  /** (finalEquity / initialEquity)^(365 / spanDays) - 1; -1 when finalEquity <= 0; null for spans < 1 day. */
  readonly cagr: number | null;
  readonly maxDrawdown: MaxDrawdown;
  /** Number of daily returns (UTC days touched by [fromMs, toMs)). */
  readonly dailyReturnCount: number;
  /** sqrt(365) (mean(r - rf_d)) / stdev(r) over daily returns; null when < 2 returns or zero volatility. */
  readonly sharpe: number | null;
  /** sqrt(365) mean(r - rf_d) / sqrt(mean(min(0, r - rf_d)^2)); null when < 2 returns or no downside. */
  readonly sortino: number | null;
  /** Fraction of [fromMs, toMs) with at least one open position, in [0, 1]. */
  readonly exposure: number;
  /** Sum of fees (quote; rebates reduce it). */
  readonly feesPaid: number;
  /** Sum of funding (quote; > 0 paid). */
  readonly fundingPaid: number;
  readonly tradeCount: number;
  readonly bySession: Readonly<Record<string, TradeStats>>;
  readonly byVenue: Readonly<Record<string, TradeStats>>;
  readonly bySignal: Readonly<Record<string, TradeStats>>;
  /** Why a metric is null, and data warnings (ignored equity points, inconsistent pnl). */
  readonly notes: readonly string[];
}

export interface DrawdownPoint {
  readonly ts: number;
  readonly equity: number;
  /** Running maximum of equity up to and including this point. */
  readonly peak: number;
  /** (peak - equity) / peak in [0, 1]; 1 when equity <= 0; 0 when peak <= 0 and equity = peak. */
  readonly drawdown: number;
  /** peak - equity (quote, >= 0). */
  readonly drawdownQuote: number;
}

export interface DailyClose {
  /** UTC midnight starting the day. */
  readonly dayMs: number;
  /** Equity at the end of the day (last curve point before the next midnight; final equity on the last day). */
  readonly equity: number;
  /** equity / previous close - 1 (the first previous close is initialEquity); null when the previous close is <= 0. */
  readonly ret: number | null;
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Canonical order of trades: exitTs, entryTs, id, then every other field that can differ. */
function canonical(trades: readonly ClosedTrade[]): ClosedTrade[] {
  return [...trades].sort(
    (a, b) =>
      a.exitTs - b.exitTs ||
      a.entryTs - b.entryTs ||
      a.id - b.id ||
      cmpStr(a.venue, b.venue) ||
      cmpStr(a.symbol, b.symbol) ||
      cmpStr(a.side, b.side) ||
      a.pnl - b.pnl ||
      a.grossPnl - b.grossPnl ||
      a.fees - b.fees ||
      a.funding - b.funding ||
      a.risk - b.risk ||
      a.qty - b.qty ||
      a.entryPrice - b.entryPrice ||
      a.exitPrice - b.exitPrice ||
      cmpStr(a.session, b.session) ||
      cmpStr(a.signal, b.signal) ||
      cmpStr(a.exitReason, b.exitReason) ||
      Number(a.liquidated) - Number(b.liquidated),
  );
}

const nullIfNaN = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** Trade statistics of `trades` (already in canonical order for order-independent sums). */
function tradeStats(trades: readonly ClosedTrade[]): TradeStats {
  const count = trades.length;
  const pnls = trades.map((t) => t.pnl);
  const wins = pnls.filter((p) => p > 0).length;
  const losses = pnls.filter((p) => p < 0).length;
  const grossProfit = sum(pnls.filter((p) => p > 0));
  const grossLoss = -sum(pnls.filter((p) => p < 0));
  const profitFactor = grossLoss > 0 ? grossProfit / grossLoss : grossProfit > 0 ? Infinity : null;
  const rs = trades.filter((t) => t.risk > 0 && Number.isFinite(t.risk)).map((t) => t.pnl / t.risk);
  const ci = count > 0 ? wilsonInterval(wins, count, WIN_RATE_Z) : null;
  return {
    count,
    wins,
    losses,
    winRate: count > 0 ? wins / count : null,
    winRateCI: ci ? { lower: ci.lower, upper: ci.upper } : null,
    netPnl: sum(pnls) + 0, // + 0 turns -0 into 0
    grossProfit: grossProfit + 0,
    grossLoss: grossLoss + 0,
    profitFactor,
    expectancy: count > 0 ? nullIfNaN(mean(pnls)) : null,
    avgR: rs.length > 0 ? nullIfNaN(mean(rs)) : null,
    rCount: rs.length,
    fees: sum(trades.map((t) => t.fees)) + 0,
    funding: sum(trades.map((t) => t.funding)) + 0,
    liquidations: trades.filter((t) => t.liquidated).length,
  };
}

function breakdown(trades: readonly ClosedTrade[], key: (t: ClosedTrade) => string): Record<string, TradeStats> {
  const groups = new Map<string, ClosedTrade[]>();
  for (const t of trades) {
    const k = key(t);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(t);
  }
  const out: Record<string, TradeStats> = {};
  for (const k of [...groups.keys()].sort(cmpStr)) out[k] = tradeStats(groups.get(k)!);
  return out;
}

/**
 * Drawdown at each point of an equity curve (for the report chart). Points are used in the given
 * order (sort by ts first). The running peak starts at `initialEquity` when given, else at the
 * first point.
 */
export function drawdownSeries(equity: readonly EquityPoint[], initialEquity?: number): DrawdownPoint[] {
  let peak = initialEquity ?? -Infinity;
  return equity.map((p) => {
    if (p.equity > peak) peak = p.equity;
    const drawdownQuote = peak - p.equity;
    const drawdown = p.equity <= 0 && drawdownQuote > 0 ? 1 : peak > 0 ? Math.min(1, drawdownQuote / peak) : 0;
    return { ts: p.ts, equity: p.equity, peak, drawdown, drawdownQuote };
  });
}

function maxDrawdownOf(curve: readonly EquityPoint[]): MaxDrawdown {
  let best: MaxDrawdown = { fraction: 0, quote: 0, peakTs: null, troughTs: null, recoveryTs: null };
  let peak = -Infinity;
  let peakTs = 0;
  let bestIdx = -1;
  let bestPeak = 0;
  curve.forEach((p, i) => {
    if (p.equity >= peak) {
      peak = p.equity;
      peakTs = p.ts;
      return;
    }
    const quote = peak - p.equity;
    const fraction = p.equity <= 0 ? 1 : Math.min(1, quote / peak);
    if (fraction > best.fraction) {
      best = { fraction, quote, peakTs, troughTs: p.ts, recoveryTs: null };
      bestIdx = i;
      bestPeak = peak;
    }
  });
  if (bestIdx >= 0) {
    for (let i = bestIdx + 1; i < curve.length; i++) {
      if (curve[i].equity >= bestPeak) {
        best = { ...best, recoveryTs: curve[i].ts };
        break;
      }
    }
  }
  return best;
}

function checkOptions(opts: MetricsOptions): void {
  const { initialEquity, fromMs, toMs } = opts;
  if (!(initialEquity > 0) || !Number.isFinite(initialEquity)) throw new RangeError(`initialEquity must be finite and > 0, got ${initialEquity}`);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || !(toMs > fromMs)) throw new RangeError(`need finite fromMs < toMs, got ${fromMs}, ${toMs}`);
  const rf = opts.riskFreeRate ?? 0;
  if (!Number.isFinite(rf) || rf <= -1) throw new RangeError(`riskFreeRate must be finite and > -1, got ${rf}`);
}

/**
 * The equity curve the metrics use: an implicit first point (fromMs, initialEquity), then the
 * points of `equity` with fromMs <= ts <= toMs in ts order (stable: equal ts keep input order).
 * When `equity` is empty, the realized curve from trades: (exitTs, initialEquity + cumulative pnl)
 * for trades exiting in [fromMs, toMs], in canonical trade order.
 */
export function equityCurve(trades: readonly ClosedTrade[], equity: readonly EquityPoint[], opts: MetricsOptions, notes: string[] = []): EquityPoint[] {
  checkOptions(opts);
  const { initialEquity, fromMs, toMs } = opts;
  const curve: EquityPoint[] = [{ ts: fromMs, equity: initialEquity }];
  if (equity.length === 0) {
    let cum = 0;
    for (const t of canonical(trades)) {
      if (t.exitTs < fromMs || t.exitTs > toMs) continue;
      cum += t.pnl;
      curve.push({ ts: t.exitTs, equity: initialEquity + cum });
    }
    if (trades.length > 0) notes.push('equity curve empty: using the realized curve initialEquity + cumulative trade pnl at exit times');
    return curve;
  }
  let outside = 0;
  const inside: EquityPoint[] = [];
  for (const p of equity) {
    if (!Number.isFinite(p.ts) || !Number.isFinite(p.equity)) throw new RangeError(`equity point must be finite, got ts=${p.ts} equity=${p.equity}`);
    if (p.ts < fromMs || p.ts > toMs) outside++;
    else inside.push(p);
  }
  if (outside > 0) notes.push(`${outside} equity point(s) outside [fromMs, toMs] ignored`);
  inside.sort((a, b) => a.ts - b.ts); // Array.prototype.sort is stable
  for (const p of inside) curve.push({ ts: p.ts, equity: p.equity });
  return curve;
}

/**
 * End-of-UTC-day equity for every UTC day that [fromMs, toMs) touches, from a curve as built by
 * {@link equityCurve} (ts ascending, first point at fromMs). A day with no point carries the last
 * equity over. The last day closes at the last curve point (ts <= toMs), so the product of
 * (1 + ret) equals finalEquity / initialEquity.
 */
export function dailyCloses(curve: readonly EquityPoint[], opts: MetricsOptions): DailyClose[] {
  checkOptions(opts);
  const firstDay = Math.floor(opts.fromMs / DAY_MS);
  const lastDay = Math.floor((opts.toMs - 1) / DAY_MS);
  const out: DailyClose[] = [];
  let i = 0;
  let eq = opts.initialEquity;
  let prev = opts.initialEquity;
  for (let d = firstDay; d <= lastDay; d++) {
    const end = (d + 1) * DAY_MS;
    while (i < curve.length && (d === lastDay || curve[i].ts < end)) eq = curve[i++].equity;
    out.push({ dayMs: d * DAY_MS, equity: eq, ret: prev > 0 ? eq / prev - 1 : null });
    prev = eq;
  }
  return out;
}

/** All backtest metrics; see {@link BacktestMetrics} and docs/METRICS.md. */
export function computeMetrics(trades: readonly ClosedTrade[], equity: readonly EquityPoint[], opts: MetricsOptions): BacktestMetrics {
  checkOptions(opts);
  const notes: string[] = [];
  const { initialEquity, fromMs, toMs } = opts;
  const rf = opts.riskFreeRate ?? 0;
  const sorted = canonical(trades);
  for (const t of sorted) {
    if (![t.entryTs, t.exitTs, t.pnl, t.grossPnl, t.fees, t.funding].every(Number.isFinite)) throw new RangeError(`trade ${t.id}: entryTs, exitTs, pnl, grossPnl, fees and funding must be finite`);
  }

  // Equity, return, CAGR, drawdown.
  const curve = equityCurve(sorted, equity, opts, notes);
  const finalEquity = curve[curve.length - 1].equity;
  const netReturn = finalEquity / initialEquity - 1;
  const spanDays = (toMs - fromMs) / DAY_MS;
  let cagr: number | null = null;
  if (spanDays < 1) notes.push('cagr: null, span shorter than 1 day');
  else if (finalEquity <= 0) cagr = -1;
  else {
    const c = Math.pow(finalEquity / initialEquity, DAYS_PER_YEAR / spanDays) - 1;
    if (Number.isFinite(c)) cagr = c;
    else notes.push('cagr: null, overflows');
  }
  const maxDrawdown = maxDrawdownOf(curve);

  // Daily Sharpe and Sortino.
  const days = dailyCloses(curve, opts);
  const rets = days.map((d) => d.ret);
  let sharpe: number | null = null;
  let sortino: number | null = null;
  if (rets.some((r) => r === null)) notes.push('sharpe, sortino: null, equity reached 0 or below');
  else if (rets.length < 2) notes.push('sharpe, sortino: null, fewer than 2 daily returns');
  else {
    const rfDaily = Math.pow(1 + rf, 1 / DAYS_PER_YEAR) - 1;
    const excess = (rets as number[]).map((r) => r - rfDaily);
    const m = mean(excess);
    const sd = sampleStdev(excess);
    if (sd > 0) sharpe = (m / sd) * Math.sqrt(DAYS_PER_YEAR);
    else notes.push('sharpe: null, zero volatility of daily returns');
    const dd = Math.sqrt(mean(excess.map((x) => (x < 0 ? x * x : 0))));
    if (dd > 0) sortino = (m / dd) * Math.sqrt(DAYS_PER_YEAR);
    else notes.push('sortino: null, no daily return below the risk-free rate');
  }

  // Exposure: union of [entryTs, exitTs) clipped to [fromMs, toMs).
  const intervals = sorted
    .map((t): [number, number] => [Math.max(fromMs, t.entryTs), Math.min(toMs, t.exitTs)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let covered = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [a, b] of intervals) {
    if (a > curEnd) {
      if (curEnd > curStart) covered += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else if (b > curEnd) curEnd = b;
  }
  if (curEnd > curStart) covered += curEnd - curStart;
  const exposure = Math.min(1, covered / (toMs - fromMs));

  // Trade statistics and data checks.
  const all = tradeStats(sorted);
  const { count: _count, fees: _fees, funding: _funding, ...rest } = all;
  if (all.count > 0 && all.avgR === null) notes.push('avgR: null, no trade has risk > 0');
  else if (all.rCount < all.count) notes.push(`avgR: ${all.count - all.rCount} trade(s) without risk > 0 left out`);
  const inconsistent = sorted.filter((t) => Math.abs(t.pnl - (t.grossPnl - t.fees - t.funding)) > 1e-9 * Math.max(1, Math.abs(t.grossPnl), Math.abs(t.fees), Math.abs(t.funding))).length;
  if (inconsistent > 0) notes.push(`${inconsistent} trade(s) with pnl != grossPnl - fees - funding`);
  const badTimes = sorted.filter((t) => t.exitTs < t.entryTs).length;
  if (badTimes > 0) notes.push(`${badTimes} trade(s) with exitTs < entryTs (no exposure counted)`);

  return {
    fromMs,
    toMs,
    spanDays,
    initialEquity,
    finalEquity,
    netReturn,
    cagr,
    maxDrawdown,
    dailyReturnCount: rets.length,
    sharpe,
    sortino,
    exposure,
    feesPaid: all.fees,
    fundingPaid: all.funding,
    tradeCount: all.count,
    ...rest,
    bySession: breakdown(sorted, (t) => t.session),
    byVenue: breakdown(sorted, (t) => t.venue),
    bySignal: breakdown(sorted, (t) => t.signal),
    notes,
  };
}

/** JSON.stringify replacer: ±Infinity as the strings "Infinity" / "-Infinity", NaN as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return null;
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
  }
  return value;
}

/** JSON text of metrics (see {@link jsonReplacer}). */
export function metricsToJson(m: BacktestMetrics, space?: number): string {
  return JSON.stringify(m, jsonReplacer, space);
}

/** Parse {@link metricsToJson} output, turning "Infinity" back into Infinity in `profitFactor` fields only. */
export function parseMetricsJson(text: string): BacktestMetrics {
  return JSON.parse(text, (key, value: unknown) => (key === 'profitFactor' && (value === 'Infinity' || value === '-Infinity') ? (value === 'Infinity' ? Infinity : -Infinity) : value)) as BacktestMetrics;
}
