/**
 * The accuracy of a session's predictions against a null (null-accuracy.ts), and the plain sentence
 * that says what the numbers allow. "Distinguishable" only when the intervals say so: the real
 * rate's Wilson 95% interval lies wholly above (or below) the null's (the Wilson 95% interval of
 * the null runs' outcomes pooled). Anything else, however far apart the point estimates, is "not
 * distinguishable from chance yet".
 */
import { wilsonInterval } from '../../engine/stats.ts';
import { durationText } from '../alerts/alert.ts';

/**
 * What is judged. `held`: of the resolved predictions whose level was touched, the share rejected
 * (the level held), against random levels. `direction`: of the resolved predictions, the share with
 * a return in the predicted direction (the journal's hit), against random times.
 */
export type Measure = 'held' | 'direction';

export interface AccuracyComparison {
  readonly measure: Measure;
  readonly type: string;
  readonly horizonMs: number;
  /** Predictions counted (resolved; for `held` also touched) and those right. */
  readonly n: number;
  readonly hits: number;
  readonly hitRate: number | null;
  readonly ci: { readonly lower: number; readonly upper: number } | null;
  /** The null runs' outcomes pooled: count, rate and its Wilson 95% interval (null without any). */
  readonly nullN: number;
  readonly nullHitRate: number | null;
  readonly nullCi: { readonly lower: number; readonly upper: number } | null;
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
/** hits of n in percent, rounded from the exact ratio (29 of 200 is 15%: 100 x 0.145 is 14.4999...). */
const pctOf = (hits: number, n: number): string => `${Math.round((100 * hits) / n)}%`;

export function compareAccuracy(measure: Measure, type: string, horizonMs: number, real: NullRunCount, nullRuns: readonly NullRunCount[]): AccuracyComparison {
  const ci = real.n > 0 ? wilsonInterval(real.hits, real.n) : null;
  const nullN = nullRuns.reduce((s, r) => s + r.n, 0);
  const nullHits = nullRuns.reduce((s, r) => s + r.hits, 0);
  const nullHitRate = nullN > 0 ? nullHits / nullN : null;
  const nw = nullN > 0 ? wilsonInterval(nullHits, nullN) : null;
  const nullCi = nw ? { lower: nw.lower, upper: nw.upper } : null;
  const at = `at ${durationText(horizonMs)}`;
  const nullName = measure === 'held' ? 'for random levels' : 'at random times';
  let outcome: AccuracyComparison['outcome'];
  let verdict: string;
  if (real.n === 0 || !ci) {
    outcome = 'no-data';
    verdict = measure === 'held' ? `no ${type} level touched and resolved ${at} yet: nothing to judge` : `no ${type} prediction resolved ${at} yet: nothing to judge`;
  } else {
    const rate = `${pctOf(real.hits, real.n)} (CI ${pctBare(ci.lower)}-${pctBare(ci.upper)}%) ${at}`;
    const head =
      measure === 'held'
        ? `after ${real.n} touched level${real.n === 1 ? '' : 's'}, ${type} levels held ${rate}`
        : `after ${real.n} prediction${real.n === 1 ? '' : 's'}, ${type} directions were right ${rate}`;
    if (nullHitRate === null || !nullCi) {
      outcome = 'indistinct';
      verdict = `${head}, with no null run to compare against (${nullName}): not distinguishable from chance yet`;
    } else {
      const against = ` against ${pct(nullHitRate)} ${nullName} (CI ${pctBare(nullCi.lower)}-${pctBare(nullCi.upper)}%)`;
      outcome = ci.lower > nullCi.upper ? 'better' : ci.upper < nullCi.lower ? 'worse' : 'indistinct';
      const tail = outcome === 'better' ? 'better than chance' : outcome === 'worse' ? 'worse than chance' : 'not distinguishable from chance yet';
      verdict = `${head}${against}: ${tail}`;
    }
  }
  return { measure, type, horizonMs, n: real.n, hits: real.hits, hitRate: real.n > 0 ? real.hits / real.n : null, ci: ci ? { lower: ci.lower, upper: ci.upper } : null, nullN, nullHitRate, nullCi, outcome, verdict };
}
