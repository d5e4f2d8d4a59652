/**
 * `orderflow journal report`: what a paper session's journal says, from the journal alone plus
 * the stored trades for the null model. Accuracy by signal type, venue and market session per
 * horizon with Wilson 95% intervals (the backtest journal's hit-rate table), P&L, drawdown, fees
 * and funding (the backtest's metrics over the closed round trips and the equity samples), and
 * the null model over the same period (random levels, random times) with a verdict per signal
 * type (verdict.ts).
 */
import { hitRateTable } from '../../engine/journal.ts';
import { computeMetrics, type BacktestMetrics } from '../../engine/metrics.ts';
import type { HitRateRow, PredictionRecord } from '../../engine/run-types.ts';
import type { Store } from '../../store/store.ts';
import { nullPredictions } from './null-accuracy.ts';
import { reportSessions, sessionRows, type SessionInfo } from './rows.ts';
import { compareAccuracy, type AccuracyComparison, type Measure, type NullRunCount } from './verdict.ts';

export const DEFAULT_NULL_SEEDS = 20;

export interface ReportOptions {
  readonly session?: string;
  /** Only the last `sinceMs` of each session's journal time (up to its last commit). */
  readonly sinceMs?: number;
  /** Random-levels runs; 0 = no null model. */
  readonly nullSeeds?: number;
}

export interface SessionReport {
  readonly session: string;
  readonly symbol: string;
  readonly venues: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly counts: { readonly signals: number; readonly predictions: number; readonly orders: number; readonly fills: number; readonly trades: number };
  readonly horizonsMs: readonly number[];
  /** Hit rates: all, then by type, session, venue (the backtest journal's rows). */
  readonly accuracy: readonly HitRateRow[];
  /** Levels held against random levels, directions against random times; per type (and all), per horizon. */
  readonly nullModel: { readonly seeds: number; readonly comparisons: readonly AccuracyComparison[] };
  /** Per measure, one sentence per signal type at the headline horizon (the shortest: the most predictions resolved). */
  readonly verdicts: readonly string[];
  readonly metrics: BacktestMetrics;
  readonly fundingPayments: number;
}

export interface PaperReport {
  readonly since: number | null;
  readonly sessions: readonly SessionReport[];
}

export async function journalReport(store: Store, opts: ReportOptions = {}): Promise<PaperReport> {
  const sessions = await reportSessions(store, opts.session);
  const out: SessionReport[] = [];
  for (const s of sessions) out.push(await sessionReport(store, s, opts));
  return { since: opts.sinceMs ?? null, sessions: out };
}

async function sessionReport(store: Store, s: SessionInfo, opts: ReportOptions): Promise<SessionReport> {
  const since = opts.sinceMs === undefined ? -Infinity : s.kernelTs - opts.sinceMs;
  const r = await sessionRows(store, s, since);
  const horizons = r.predictions[0]?.outcomes.map((o) => o.horizonMs) ?? s.horizonsMs;
  const seeds = opts.nullSeeds ?? DEFAULT_NULL_SEEDS;
  const window = { seeds, fromMs: r.fromMs, toMs: Math.max(r.toMs, s.processedTs) };
  const byKind = await nullPredictions(store, s, r.predictions, { ...window, kinds: ['random_levels', 'shuffled_times'] });
  const nulls: Record<Measure, (readonly PredictionRecord[])[]> = { held: byKind.random_levels, direction: byKind.shuffled_times };
  const types = ['all', ...[...new Set(r.predictions.map((p) => p.type))].sort()];
  const comparisons: AccuracyComparison[] = [];
  for (const measure of ['held', 'direction'] as const) {
    for (const type of types) {
      const pick = (ps: readonly PredictionRecord[]) => (type === 'all' ? ps : ps.filter((p) => p.type === type));
      horizons.forEach((h, j) => comparisons.push(compareAccuracy(measure, type, h, count(measure, pick(r.predictions), j), nulls[measure].map((ps) => count(measure, pick(ps), j)))));
    }
  }
  const headline = horizons[0];
  // 'all' repeats the one type when there is one.
  const verdicts = comparisons.filter((c) => c.horizonMs === headline && (c.type !== 'all' || types.length > 2)).map((c) => c.verdict);
  const metrics = computeMetrics(r.trades, r.equity, { initialEquity: r.initialEquity, fromMs: r.fromMs, toMs: Math.max(r.toMs, r.fromMs + 1) });
  return {
    session: s.name,
    symbol: s.symbol,
    venues: s.pairs.map((p) => p[0]),
    fromMs: r.fromMs,
    toMs: r.toMs,
    counts: { signals: r.signals.length, predictions: r.predictions.length, orders: r.orders.length, fills: r.fills.length, trades: r.trades.length },
    horizonsMs: horizons,
    accuracy: hitRateTable(r.predictions, horizons),
    nullModel: { seeds, comparisons },
    verdicts,
    metrics,
    fundingPayments: r.funding.reduce((a, f) => a + f.payment, 0),
  };
}

/** At horizon index j: `held` counts resolved touched levels and their rejections, `direction` resolved predictions and their hits. */
export function count(measure: Measure, ps: readonly PredictionRecord[], j: number): NullRunCount {
  let n = 0;
  let hits = 0;
  for (const p of ps) {
    const o = p.outcomes[j];
    if (!o?.resolved) continue;
    if (measure === 'held' && !o.touched) continue;
    n++;
    if (measure === 'held' ? o.rejected : o.hit) hits++;
  }
  return { n, hits };
}
