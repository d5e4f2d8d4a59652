/**
 * Small, deterministic statistics for backtest reports: moments, quantiles, Wilson intervals for
 * hit rates, percentile ranks, percentile-bootstrap intervals and empirical (permutation) p-values.
 * Definitions and references: docs/METRICS.md.
 *
 * Conventions: inputs are plain arrays of finite numbers; an undefined result (mean of nothing,
 * stdev of one value) is NaN here. Callers that serialise results (metrics.ts) turn NaN into null.
 * Randomness comes only from random.ts, so every result is reproducible from its seed.
 */
import { createRng, type Rng, type Seed } from './random.ts';

/** Sum with Neumaier compensation (accurate to about one rounding for well-scaled data). */
export function sum(xs: readonly number[]): number {
  let s = 0;
  let c = 0;
  for (const x of xs) {
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}

/** Arithmetic mean; NaN for an empty sample. */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : sum(xs) / xs.length;
}

/** Sample standard deviation (divisor n - 1, two-pass); NaN when n < 2. */
export function sampleStdev(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (n - 1));
}

/**
 * Quantile of an ascending-sorted sample, Hyndman & Fan type 7 (R's default, NumPy's 'linear'):
 * h = (n - 1) p, Q(p) = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]) with 0-based x.
 * NaN for an empty sample; p must be in [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const f = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  return f === 0 ? a : a + f * (b - a);
}

/** Type-7 quantile (see {@link quantileSorted}) of an unsorted sample; does not modify `xs`. */
export function quantile(xs: readonly number[], p: number): number {
  return quantileSorted(Float64Array.from(xs).sort(), p);
}

/** A proportion with a two-sided confidence interval. */
export interface ProportionInterval {
  /** successes / n; NaN when n = 0. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927):
 * centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
 * z defaults to 1.96 (95%). For n = 0 the interval is [0, 1] and the estimate NaN.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): ProportionInterval {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`wilsonInterval: n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) throw new RangeError(`wilsonInterval: successes must be an integer in [0, n], got ${successes}`);
  if (!(z >= 0) || !Number.isFinite(z)) throw new RangeError(`wilsonInterval: z must be finite and >= 0, got ${z}`);
  if (n === 0) return { estimate: NaN, lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamp rounding noise; at p = 0 (resp. 1) the exact lower (upper) bound is 0 (1).
  const lower = successes === 0 ? 0 : Math.max(0, centre - half);
  const upper = successes === n ? 1 : Math.min(1, centre + half);
  return { estimate: p, lower, upper };
}

/**
 * Percentile rank of `value` in `sample`, ties counted half: (#{x < v} + #{x = v} / 2) / n, in [0, 1].
 * NaN for an empty sample.
 */
export function percentileRank(value: number, sample: readonly number[]): number {
  if (Number.isNaN(value)) throw new RangeError('percentileRank: value is NaN');
  const n = sample.length;
  if (n === 0) return NaN;
  let below = 0;
  let equal = 0;
  for (const x of sample) {
    if (x < value) below++;
    else if (x === value) equal++;
  }
  return (below + equal / 2) / n;
}

/** Options of the bootstrap helpers. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples; default 2000. */
  readonly resamples?: number;
  /** Two-sided confidence level in (0, 1); default 0.95. */
  readonly confidence?: number;
  /** Seed of the resampling stream (`createRng(seed).fork('bootstrap')`); default 0. Ignored when `rng` is given. */
  readonly seed?: Seed;
  /** Generator to draw from (advanced by the call). Takes precedence over `seed`. */
  readonly rng?: Rng;
}

/** A percentile-bootstrap confidence interval. */
export interface BootstrapInterval {
  /** The statistic on the original sample(s). */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
  readonly resamples: number;
  /** Resamples whose statistic was NaN; they are left out of the quantiles. */
  readonly nanResamples: number;
}

function bootOptions(opts: BootstrapOptions): { resamples: number; confidence: number; rng: Rng } {
  const resamples = opts.resamples ?? 2000;
  const confidence = opts.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap: resamples must be an integer >= 1, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  const rng = opts.rng ?? createRng(opts.seed ?? 0).fork('bootstrap');
  return { resamples, confidence, rng };
}

function percentileInterval(estimate: number, boot: number[], confidence: number, resamples: number): BootstrapInterval {
  const finite = boot.filter((x) => !Number.isNaN(x));
  const sorted = Float64Array.from(finite).sort();
  const alpha = 1 - confidence;
  return {
    estimate,
    lower: quantileSorted(sorted, alpha / 2),
    upper: quantileSorted(sorted, 1 - alpha / 2),
    confidence,
    resamples,
    nanResamples: boot.length - finite.length,
  };
}

function resampleInto(rng: Rng, from: readonly number[], into: number[]): void {
  const n = from.length;
  for (let i = 0; i < n; i++) into[i] = from[rng.nextInt(n)];
}

/**
 * Percentile bootstrap (Efron 1979; Efron & Tibshirani 1993, ch. 13) for `statistic` of one sample:
 * draw `resamples` samples of size n with replacement, take the statistic of each, and report the
 * type-7 quantiles (1 - c)/2 and (1 + c)/2 of those values. Empty sample: all NaN.
 */
export function bootstrapCI(sample: readonly number[], statistic: (xs: readonly number[]) => number, opts: BootstrapOptions = {}): BootstrapInterval {
  const { resamples, confidence, rng } = bootOptions(opts);
  const n = sample.length;
  if (n === 0) return { estimate: NaN, lower: NaN, upper: NaN, confidence, resamples, nanResamples: 0 };
  const buf = new Array<number>(n);
  const boot = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(rng, sample, buf);
    boot[r] = statistic(buf);
  }
  return percentileInterval(statistic(sample), boot, confidence, resamples);
}

/**
 * Percentile bootstrap of mean(a) - mean(b) for two independent samples: each resample draws
 * |a| values from a and |b| values from b with replacement (a first, then b, from one stream).
 * Either sample empty: all NaN.
 */
export function bootstrapMeanDiffCI(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): BootstrapInterval {
  const { resamples, confidence, rng } = bootOptions(opts);
  if (a.length === 0 || b.length === 0) return { estimate: NaN, lower: NaN, upper: NaN, confidence, resamples, nanResamples: 0 };
  const ba = new Array<number>(a.length);
  const bb = new Array<number>(b.length);
  const boot = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(rng, a, ba);
    resampleInto(rng, b, bb);
    boot[r] = mean(ba) - mean(bb);
  }
  return percentileInterval(mean(a) - mean(b), boot, confidence, resamples);
}

/**
 * Percentile bootstrap of mean(a) - mean(pooled b) where b comes in independent clusters (the
 * trades of one null run share its draws and are not independent of each other): each resample
 * draws |a| values from a, and as many clusters as there are from the clusters, all with
 * replacement (a first, then the clusters, from one stream), and takes the mean of every value of
 * the drawn clusters (a ratio estimator: clusters weigh by their size). A resample whose clusters
 * hold no value is NaN (left out of the quantiles, counted). a or every cluster empty: all NaN.
 */
export function bootstrapClusteredMeanDiffCI(a: readonly number[], clusters: readonly (readonly number[])[], opts: BootstrapOptions = {}): BootstrapInterval {
  const { resamples, confidence, rng } = bootOptions(opts);
  const k = clusters.length;
  const sums = clusters.map(sum);
  const counts = clusters.map((c) => c.length);
  const pooledN = counts.reduce((s, c) => s + c, 0);
  if (a.length === 0 || pooledN === 0) return { estimate: NaN, lower: NaN, upper: NaN, confidence, resamples, nanResamples: 0 };
  const ba = new Array<number>(a.length);
  const boot = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(rng, a, ba);
    let s = 0;
    let n = 0;
    for (let i = 0; i < k; i++) {
      const j = rng.nextInt(k);
      s += sums[j];
      n += counts[j];
    }
    boot[r] = n === 0 ? NaN : mean(ba) - s / n;
  }
  return percentileInterval(mean(a) - sums.reduce((x, y) => x + y, 0) / pooledN, boot, confidence, resamples);
}

/** Direction of the alternative hypothesis of {@link empiricalPValue}. */
export type Alternative = 'greater' | 'less' | 'two-sided';

/**
 * Empirical p-value of `real` against `nullSamples` (results of the same procedure under the null
 * model, e.g. shuffled signal times), with the +1 correction of Davison & Hinkley (1997) and
 * Phipson & Smyth (2010), which never returns 0 and keeps the Monte Carlo test valid (P(p <= a) <= a under the null):
 * - 'greater': (#{null >= real} + 1) / (n + 1)
 * - 'less':    (#{null <= real} + 1) / (n + 1)
 * - 'two-sided': min(1, 2 min(p_greater, p_less)).
 * With no null samples the p-value is 1 (no evidence).
 */
export function empiricalPValue(real: number, nullSamples: readonly number[], alternative: Alternative = 'greater'): number {
  if (Number.isNaN(real)) throw new RangeError('empiricalPValue: real is NaN');
  let ge = 0;
  let le = 0;
  for (const x of nullSamples) {
    if (Number.isNaN(x)) throw new RangeError('empiricalPValue: a null sample is NaN');
    if (x >= real) ge++;
    if (x <= real) le++;
  }
  const n = nullSamples.length;
  const pg = (ge + 1) / (n + 1);
  const pl = (le + 1) / (n + 1);
  switch (alternative) {
    case 'greater':
      return pg;
    case 'less':
      return pl;
    case 'two-sided':
      return Math.min(1, 2 * Math.min(pg, pl));
  }
}
