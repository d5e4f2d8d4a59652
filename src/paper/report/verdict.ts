/**
 * The accuracy of a session's predictions against the random-levels null, and the plain sentence
 * that says what the numbers allow. "Distinguishable" only when the intervals say so: the real
 * hit rate's Wilson 95% interval lies wholly above (or below) the null's 95% band (the 2.5th to
 * 97.5th percentile of the null runs' hit rates over the same predictions). Anything else, however
 * far apart the point estimates, is "not distinguishable from chance yet".
 */
import { quantile, wilsonInterval } from '../../engine/stats.ts';
import { durationText } from '../alerts/alert.ts';

export interface AccuracyComparison {
  readonly type: string;
  readonly horizonMs: number;
  /** Resolved predictions and hits. */
  readonly n: number;
  readonly hits: number;
  readonly hitRate: number | null;
  readonly ci: { readonly lower: number; readonly upper: number } | null;
  /** The null runs: resolved predictions pooled, their hit rate, and the band of the runs' own rates (null without null runs). */
  readonly nullN: number;
  readonly nullHitRate: number | null;
  readonly nullBand: { readonly lower: number; readonly upper: number } | null;
  readonly outcome: 'better' | 'worse' | 'indistinct' | 'no-data';
  readonly verdict: string;
}

/** One null run's outcome over the predictions of a group at a horizon. */
export interface NullRunCount {
  readonly n: number;
  readonly hits: number;
}

const pct = (x: number): string => `${Math.round(100 * x)}%`;
const pctBare = (x: number): string => String(Math.round(100 * x));

export function compareAccuracy(type: string, horizonMs: number, real: NullRunCount, nullRuns: readonly NullRunCount[]): AccuracyComparison {
  const ci = real.n > 0 ? wilsonInterval(real.hits, real.n) : null;
  const rates = nullRuns.filter((r) => r.n > 0).map((r) => r.hits / r.n);
  const nullN = nullRuns.reduce((s, r) => s + r.n, 0);
  const nullHits = nullRuns.reduce((s, r) => s + r.hits, 0);
  const nullHitRate = nullN > 0 ? nullHits / nullN : null;
  const nullBand = rates.length > 0 ? { lower: quantile(rates, 0.025), upper: quantile(rates, 0.975) } : null;
  const what = `${type} predictions`;
  const at = `at ${durationText(horizonMs)}`;
  let outcome: AccuracyComparison['outcome'];
  let verdict: string;
  if (real.n === 0 || !ci) {
    outcome = 'no-data';
    verdict = `no ${what} resolved ${at} yet: nothing to judge`;
  } else {
    const head = `after ${real.n} prediction${real.n === 1 ? '' : 's'}, ${what} were right ${pct(real.hits / real.n)} (CI ${pctBare(ci.lower)}-${pctBare(ci.upper)}%) ${at}`;
    if (nullHitRate === null || !nullBand) {
      outcome = 'indistinct';
      verdict = `${head}, with no random-levels run to compare against: not distinguishable from chance yet`;
    } else {
      const against = ` against ${pct(nullHitRate)} for random levels (runs ${pctBare(nullBand.lower)}-${pctBare(nullBand.upper)}%)`;
      outcome = ci.lower > nullBand.upper ? 'better' : ci.upper < nullBand.lower ? 'worse' : 'indistinct';
      const tail = outcome === 'better' ? 'better than chance' : outcome === 'worse' ? 'worse than chance' : 'not distinguishable from chance yet';
      verdict = `${head}${against}: ${tail}`;
    }
  }
  return { type, horizonMs, n: real.n, hits: real.hits, hitRate: real.n > 0 ? real.hits / real.n : null, ci: ci ? { lower: ci.lower, upper: ci.upper } : null, nullN, nullHitRate, nullBand, outcome, verdict };
}
