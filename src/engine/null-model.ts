/**
 * The null model's pure parts: where null signals may fall (the execution venue's traded time),
 * the null signals themselves, and the verdict from the real and null trades.
 *
 * Honest against gaps and clustering:
 * - A null signal is drawn only inside time the execution venue traded (1-minute buckets with a
 *   trade), so a store whose other streams span months, or whose trades have gaps, cannot put null
 *   signals where nothing can fill (they would trade nothing and make any real result look good).
 * - Only the signals the strategy acted on are shuffled: the null run attempts as many entries as
 *   the real run made, instead of spreading the real run's vetoed clusters over the range.
 * - The statistic is per trade (mean R = pnl / risk at entry, scale free), not the total return,
 *   so a null run that trades more (or less) is not better (or worse) for it.
 * - The bootstrap resamples null runs as wholes (clusters), never their trades as independent.
 */
import type { InjectedSignal } from './engine.ts';
import type { Rng } from './random.ts';
import type { NullModelResult, RunSignal } from './run-types.ts';
import { bootstrapClusteredMeanDiffCI, empiricalPValue, mean, percentileRank } from './stats.ts';

/** An edge is never claimed from fewer real trades than this, whatever the p-value: a bootstrap of a handful of trades says nothing. */
export const MIN_TRADES_FOR_EDGE = 10;
/** The p-value at or below which (with the rest of the rule) an edge is claimed. */
export const EDGE_ALPHA = 0.05;
/** Granularity of traded time: a minute with at least one execution-venue trade is traded. */
export const TRADED_BUCKET_MS = 60_000;

/** Disjoint, sorted [start, end) intervals of time in which the execution venue traded. */
export interface TradedTime {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  /** Total length, ms. */
  readonly totalMs: number;
}

/**
 * Traded time from the sorted start times of the buckets that hold a trade, clipped to
 * [fromMs, toMs); adjacent buckets merge.
 */
export function tradedTime(bucketStarts: readonly number[], fromMs: number, toMs: number, bucketMs = TRADED_BUCKET_MS): TradedTime {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const b of bucketStarts) {
    const s = Math.max(b, fromMs);
    const e = Math.min(b + bucketMs, toMs);
    if (!(e > s)) continue;
    if (ends.length > 0 && s <= ends[ends.length - 1]) ends[ends.length - 1] = Math.max(ends[ends.length - 1], e);
    else {
      starts.push(s);
      ends.push(e);
    }
  }
  let total = 0;
  for (let i = 0; i < starts.length; i++) total += ends[i] - starts[i];
  return { starts: Float64Array.from(starts), ends: Float64Array.from(ends), totalMs: total };
}

/** The part of `t` inside [fromMs, toMs). */
export function clipTradedTime(t: TradedTime, fromMs: number, toMs: number): TradedTime {
  const out = { s: [] as number[], e: [] as number[] };
  for (let i = 0; i < t.starts.length; i++) {
    const s = Math.max(t.starts[i], fromMs);
    const e = Math.min(t.ends[i], toMs);
    if (e > s) {
      out.s.push(s);
      out.e.push(e);
    }
  }
  let total = 0;
  for (let i = 0; i < out.s.length; i++) total += out.e[i] - out.s[i];
  return { starts: Float64Array.from(out.s), ends: Float64Array.from(out.e), totalMs: total };
}

/** A time uniform over traded time (each traded millisecond equally likely). */
export function drawTradedTime(t: TradedTime, rng: Rng): number {
  if (!(t.totalMs > 0)) throw new RangeError('null model: no traded time to draw from');
  let x = rng.nextFloat() * t.totalMs;
  for (let i = 0; i < t.starts.length; i++) {
    const len = t.ends[i] - t.starts[i];
    if (x < len) return t.starts[i] + x;
    x -= len;
  }
  return t.ends[t.ends.length - 1] - 1e-6;
}

/**
 * Null signals from the real ones. `shuffled_times`: each real signal (same type, direction and
 * evidence) at a uniform random time of the execution venue's traded time, its level and zone
 * moved with the price (kept at the same distance from it). `random_levels`: the real times, the
 * level and zone shifted by a random factor within ±2%. Sorted by time.
 */
export function nullSignals(signals: readonly RunSignal[], kind: 'shuffled_times' | 'random_levels', rng: Rng, traded: TradedTime): InjectedSignal[] {
  const out: InjectedSignal[] = signals.map((s) => {
    const ref = Number(s.evidence.close);
    const ts = kind === 'shuffled_times' ? drawTradedTime(traded, rng) : s.ts;
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

/** R multiples (pnl / risk at entry) of trades; a trade without risk (never the engine's) is left out. */
export function rMultiples(trades: readonly { readonly pnl: number; readonly risk: number }[]): number[] {
  const out: number[] = [];
  for (const t of trades) if (t.risk > 0) out.push(t.pnl / t.risk);
  return out;
}

/** One null run (a seed, over every window it ran in): its trades' R multiples and net return. */
export interface NullRunOutcome {
  readonly r: readonly number[];
  readonly netReturn: number;
}

/**
 * The comparison and the verdict. The statistic is the mean R per trade; a null run without a
 * trade has none and is left out of the p-value (it is counted in `nullTrades`).
 */
export function nullVerdict(o: {
  readonly kind: 'shuffled_times' | 'random_levels';
  readonly seed: number;
  readonly realR: readonly number[];
  readonly realNetReturn: number;
  readonly runs: readonly NullRunOutcome[];
  readonly walkForward: boolean;
}): NullModelResult {
  const seeds = o.runs.length;
  const realMeanR = o.realR.length > 0 ? mean(o.realR) : null;
  const nullMeanR = o.runs.map((r) => (r.r.length > 0 ? mean(r.r) : null));
  const withTrades = nullMeanR.filter((x): x is number => x !== null);
  const percentile = realMeanR === null || withTrades.length === 0 ? null : percentileRank(realMeanR, withTrades);
  const pValue = realMeanR === null ? 1 : empiricalPValue(realMeanR, withTrades, 'greater');
  const clusters = o.runs.map((r) => r.r);
  const diffCI = o.realR.length > 1 && withTrades.length > 1 ? bootstrapClusteredMeanDiffCI(o.realR, clusters, { seed: o.seed }) : null;
  const n = o.realR.length;
  const enough = n >= MIN_TRADES_FOR_EDGE;
  const edge = enough && pValue <= EDGE_ALPHA && diffCI !== null && diffCI.lower > 0;
  const kind = o.kind.replace('_', ' ');
  const against = `against ${seeds} null runs (${kind}${o.walkForward ? ', through the same walk-forward folds' : ''}, ${withTrades.length} of them with trades)`;
  const where = percentile === null ? 'cannot be ranked' : `sits at the ${ordinal(Math.round(100 * percentile))} percentile`;
  const realText = realMeanR === null ? 'the real run made no trade' : `the real mean of ${realMeanR.toFixed(3)} R per trade ${where}`;
  const verdict = !enough
    ? `Too few trades to tell: ${n} real trade${n === 1 ? '' : 's'} (an edge is claimed only from ${MIN_TRADES_FOR_EDGE}). ${cap(against)} ${realText} (p = ${pValue.toFixed(3)}); treat it as NOT distinguishable from chance.`
    : edge
      ? `The real signals beat ${seeds} null runs (${kind}${o.walkForward ? ', through the same walk-forward folds' : ''}): ${realText} (p = ${pValue.toFixed(3)}), and the per-trade edge over the null runs is positive (95% CI ${diffCI!.lower.toFixed(3)} to ${diffCI!.upper.toFixed(3)} R).`
      : `The edge is NOT distinguishable from chance: ${against} ${realText} (p = ${pValue.toFixed(3)})${diffCI ? `, and the 95% CI of the per-trade difference (${diffCI.lower.toFixed(3)} to ${diffCI.upper.toFixed(3)} R) ${diffCI.lower > 0 ? 'is above 0 but the p-value is not small enough' : 'includes 0 or is below it'}` : ', too few trades for a per-trade comparison'}.`;
  return {
    kind: o.kind,
    seeds,
    walkForward: o.walkForward,
    realTrades: n,
    realMeanR,
    nullTrades: o.runs.map((r) => r.r.length),
    nullMeanR,
    realNetReturn: o.realNetReturn,
    nullNetReturns: o.runs.map((r) => r.netReturn),
    percentile,
    pValue,
    diffCI,
    edge,
    verdict,
  };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 83rd. */
export function ordinal(n: number): string {
  const m100 = n % 100;
  return `${n}${m100 >= 11 && m100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}
