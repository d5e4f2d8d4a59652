import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRng } from '../../src/engine/random.ts';
import { bootstrapCI, bootstrapClusteredMeanDiffCI, bootstrapMeanDiffCI, empiricalPValue, mean, percentileRank, quantile, quantileSorted, sampleStdev, sum, wilsonInterval } from '../../src/engine/stats.ts';

const close = (a: number, b: number, tol = 1e-9, msg?: string): void => assert.ok(Math.abs(a - b) <= tol, msg ?? `${a} vs ${b}`);
const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

describe('stats: hand-computed', () => {
  it('sum, mean and sample stdev', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    // deviations^2: 2.25 + 0.25 + 0.25 + 2.25 = 5; 5 / (4 - 1) = 5/3; sqrt = 1.2909944487...
    close(sampleStdev([1, 2, 3, 4]), Math.sqrt(5 / 3), 1e-15);
    assert.ok(Number.isNaN(mean([])));
    assert.ok(Number.isNaN(sampleStdev([7])));
    assert.equal(sampleStdev([3, 3, 3]), 0);
    // Compensated: the naive left-to-right sum of [1e16, 1, -1e16] is 0.
    assert.equal(sum([1e16, 1, -1e16]), 1);
    assert.equal(sum([0.1, 0.2, 0.3]), 0.6);
  });

  it('quantile, type 7 (R default): h = (n - 1) p', () => {
    const xs = [4, 1, 3, 2];
    assert.equal(quantile(xs, 0), 1);
    assert.equal(quantile(xs, 0.25), 1.75); // h = 0.75: 1 + 0.75 (2 - 1)
    assert.equal(quantile(xs, 0.5), 2.5); // h = 1.5
    close(quantile(xs, 0.9), 3.7, 1e-12); // h = 2.7: 3 + 0.7 (4 - 3); R: quantile(1:4, 0.9) = 3.7
    assert.equal(quantile(xs, 1), 4);
    assert.deepEqual(xs, [4, 1, 3, 2], 'input not modified');
    assert.equal(quantile([5], 0.3), 5);
    assert.ok(Number.isNaN(quantile([], 0.5)));
    assert.throws(() => quantile(xs, 1.1), RangeError);
    assert.throws(() => quantileSorted([1], NaN), RangeError);
  });

  it('Wilson score interval', () => {
    // 8/10, z = 1.96: z^2 = 3.8416, denom = 1 + 0.38416 = 1.38416,
    // centre = (0.8 + 0.19208) / 1.38416 = 0.716738, half = 1.96 sqrt(0.016 + 0.009604) / 1.38416 = 0.226582
    // -> [0.490156, 0.943320], i.e. [0.4902, 0.9433] to 4 places.
    const w = wilsonInterval(8, 10);
    assert.equal(w.estimate, 0.8);
    close(w.lower, 0.490156, 1e-6);
    close(w.upper, 0.943320, 1e-6);
    // 0/10: lower 0, upper = z^2 / (n + z^2) = 3.8416 / 13.8416 = 0.277540
    const z0 = wilsonInterval(0, 10);
    assert.equal(z0.lower, 0);
    close(z0.upper, 3.8416 / 13.8416, 1e-12);
    // 10/10: lower = n / (n + z^2) = 10 / 13.8416 = 0.722460, upper 1
    const z1 = wilsonInterval(10, 10);
    close(z1.lower, 10 / 13.8416, 1e-12);
    assert.equal(z1.upper, 1);
    // z = 2.576 (99%) is wider than 95%.
    const w99 = wilsonInterval(8, 10, 2.576);
    assert.ok(w99.lower < w.lower && w99.upper > w.upper);
    const none = wilsonInterval(0, 0);
    assert.ok(Number.isNaN(none.estimate));
    assert.deepEqual([none.lower, none.upper], [0, 1]);
    assert.throws(() => wilsonInterval(11, 10), RangeError);
    assert.throws(() => wilsonInterval(1.5, 10), RangeError);
  });

  it('percentile rank with ties counted half', () => {
    // below 3: {1, 2} = 2; equal: 2 -> (2 + 1) / 5
    assert.equal(percentileRank(3, [1, 2, 3, 3, 5]), 0.6);
    assert.equal(percentileRank(0, [1, 2]), 0);
    assert.equal(percentileRank(9, [1, 2]), 1);
    assert.equal(percentileRank(1, [1, 1]), 0.5);
    assert.ok(Number.isNaN(percentileRank(1, [])));
  });

  it('empirical p-value with the +1 correction', () => {
    // null [1, 2, 5, 7], real 5: >= 5: {5, 7} -> (2 + 1) / 5; <= 5: {1, 2, 5} -> (3 + 1) / 5
    assert.equal(empiricalPValue(5, [1, 2, 5, 7], 'greater'), 0.6);
    assert.equal(empiricalPValue(5, [1, 2, 5, 7], 'less'), 0.8);
    assert.equal(empiricalPValue(5, [1, 2, 5, 7], 'two-sided'), 1);
    // real above all 9 null values: greater (0 + 1) / 10, less (9 + 1) / 10, two-sided 2 * 0.1
    const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    assert.equal(empiricalPValue(10, nine), 0.1);
    assert.equal(empiricalPValue(10, nine, 'less'), 1);
    assert.equal(empiricalPValue(10, nine, 'two-sided'), 0.2);
    assert.equal(empiricalPValue(0, nine, 'less'), 0.1);
    assert.equal(empiricalPValue(3, []), 1);
    assert.throws(() => empiricalPValue(NaN, nine), RangeError);
    assert.throws(() => empiricalPValue(1, [NaN]), RangeError);
  });
});

describe('stats: bootstrap', () => {
  it('is deterministic in its seed, and an rng argument takes precedence', () => {
    // Irrational values: with small integers, different seeds often hit the same grid quantiles.
    const xs = Array.from({ length: 11 }, (_, i) => Math.sqrt(i + 2));
    const a = bootstrapCI(xs, mean, { seed: 7 });
    assert.deepEqual(bootstrapCI(xs, mean, { seed: 7 }), a);
    assert.notDeepEqual(bootstrapCI(xs, mean, { seed: 8 }), a);
    assert.deepEqual(bootstrapCI(xs, mean, { seed: 99, rng: createRng(7).fork('bootstrap') }), a);
    assert.deepEqual(bootstrapCI(xs, mean), bootstrapCI(xs, mean, { seed: 0 }));
    assert.equal(a.resamples, 2000);
    assert.equal(a.confidence, 0.95);
    assert.equal(a.estimate, mean(xs));
    assert.equal(a.nanResamples, 0);
  });

  it('constant data gives a zero-width interval; empty data gives NaN', () => {
    assert.deepEqual(bootstrapCI([2, 2, 2], mean, { resamples: 50 }), { estimate: 2, lower: 2, upper: 2, confidence: 0.95, resamples: 50, nanResamples: 0 });
    const d = bootstrapMeanDiffCI([5, 5, 5], [2, 2], { resamples: 50 });
    assert.deepEqual([d.estimate, d.lower, d.upper], [3, 3, 3]);
    assert.ok(Number.isNaN(bootstrapCI([], mean).lower));
    assert.ok(Number.isNaN(bootstrapMeanDiffCI([1], []).estimate));
    assert.throws(() => bootstrapCI([1], mean, { resamples: 0 }), RangeError);
    assert.throws(() => bootstrapCI([1], mean, { confidence: 1 }), RangeError);
  });

  it('matches the normal approximation for a Bernoulli(0.5) sample of 100', () => {
    // mean 0.5, se = sqrt(0.25 / 100) = 0.05 -> about [0.402, 0.598]
    const xs = Array.from({ length: 100 }, (_, i) => i % 2);
    const ci = bootstrapCI(xs, mean, { seed: 'bern' });
    close(ci.lower, 0.402, 0.015);
    close(ci.upper, 0.598, 0.015);
  });

  it('mean difference: two samples offset by 1', () => {
    // a = b + 1, b = 0..99: estimate 1, se = sqrt(2 * var(b) / 100) = sqrt(2 * 841.67 / 100) = 4.10
    const b = Array.from({ length: 100 }, (_, i) => i);
    const a = b.map((x) => x + 1);
    const ci = bootstrapMeanDiffCI(a, b, { seed: 1 });
    assert.equal(ci.estimate, 1);
    assert.ok(ci.lower < 1 && ci.upper > 1);
    close(ci.upper - ci.lower, 2 * 1.96 * 4.1, 2);
  });

  it('clustered mean difference: null runs resampled as wholes, so runs that move together widen the interval', () => {
    // 20 null runs of 50 trades each; every trade of run i has R = (i - 9.5) / 10: the runs differ,
    // the trades of a run do not. The null mean's standard error is that of 20 run means,
    // sd(run means) / sqrt(20) = 0.5916 / 4.472 = 0.1323, not that of 1000 independent trades (0.0183).
    const clusters = Array.from({ length: 20 }, (_, i) => Array<number>(50).fill((i - 9.5) / 10));
    const a = Array.from({ length: 400 }, (_, i) => (i % 2 ? 0.001 : -0.001));
    const ci = bootstrapClusteredMeanDiffCI(a, clusters, { seed: 1 });
    close(ci.estimate, 0, 1e-12);
    close(ci.upper - ci.lower, 2 * 1.96 * 0.1323, 0.05);
    const pooled = bootstrapMeanDiffCI(a, clusters.flat(), { seed: 1 });
    assert.ok(pooled.upper - pooled.lower < 0.1, 'pooling the trades as independent is far too narrow');
    // Runs without trades weigh nothing; a resample of empty runs only is NaN, counted.
    const sparse = bootstrapClusteredMeanDiffCI([1, 2, 3], [[0.5], [], [], []], { seed: 2, resamples: 400 });
    assert.equal(sparse.estimate, 1.5);
    assert.ok(sparse.nanResamples > 50 && sparse.nanResamples < 200, String(sparse.nanResamples));
    assert.ok(Number.isNaN(bootstrapClusteredMeanDiffCI([1], [[], []]).estimate));
  });

  it('statistics that return NaN on some resamples are counted and left out', () => {
    // stdev of a resample that drew one distinct value twice is 0, never NaN; use a statistic that is NaN on purpose
    const ci = bootstrapCI([1, 2], (xs) => (xs[0] === xs[1] ? NaN : 1), { resamples: 400, seed: 3 });
    assert.ok(ci.nanResamples > 100 && ci.nanResamples < 300, String(ci.nanResamples));
    assert.deepEqual([ci.lower, ci.upper], [1, 1]);
  });

  it('property: for symmetric data the CI of the mean contains the point estimate', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 30 }), fc.integer(), (half, seed) => {
        const c = 17;
        const xs = [...half, ...half.map((x) => 2 * c - x)]; // symmetric about c
        const ci = bootstrapCI(xs, mean, { resamples: 200, seed });
        close(ci.estimate, c, 1e-9);
        return ci.lower <= ci.estimate && ci.estimate <= ci.upper;
      }),
      { numRuns: 50 },
    );
  });

  it('property: lower <= upper, and both within the range of the resampled statistic', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 20 }), fc.integer(), (xs, seed) => {
        const ci = bootstrapCI(xs, mean, { resamples: 100, seed });
        const lo = Math.min(...xs);
        const hi = Math.max(...xs);
        const eps = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
        return ci.lower <= ci.upper && ci.lower >= lo - eps && ci.upper <= hi + eps;
      }),
      { numRuns: 50 },
    );
  });
});

describe('stats: properties', () => {
  it('quantile is within [min, max] and monotone in p', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, p, q) => {
        const [a, b] = p <= q ? [p, q] : [q, p];
        const qa = quantile(xs, a);
        const qb = quantile(xs, b);
        return qa <= qb && qa >= Math.min(...xs) && qb <= Math.max(...xs);
      }),
    );
  });

  it('Wilson interval lies in [0, 1], contains the estimate, and mirrors k <-> n - k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.floor(f * n);
        const w = wilsonInterval(k, n);
        const m = wilsonInterval(n - k, n);
        assert.ok(w.lower >= 0 && w.upper <= 1 && w.lower <= w.estimate && w.estimate <= w.upper);
        close(w.lower, 1 - m.upper, 1e-12);
        close(w.upper, 1 - m.lower, 1e-12);
      }),
    );
  });

  it('percentile rank is in [0, 1] and monotone in the value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1 }), fc.integer({ min: -25, max: 25 }), fc.integer({ min: -25, max: 25 }), (xs, u, v) => {
        const [a, b] = u <= v ? [u, v] : [v, u];
        const ra = percentileRank(a, xs);
        const rb = percentileRank(b, xs);
        return ra >= 0 && rb <= 1 && ra <= rb;
      }),
    );
  });

  it('empirical p-values are in (0, 1] and p_greater + p_less > 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 10 }), fc.array(fc.integer({ min: -10, max: 10 })), (real, nul) => {
        const g = empiricalPValue(real, nul, 'greater');
        const l = empiricalPValue(real, nul, 'less');
        const t = empiricalPValue(real, nul, 'two-sided');
        return g > 0 && g <= 1 && l > 0 && l <= 1 && g + l > 1 && t >= Math.min(g, l) && t <= 1;
      }),
    );
  });
});
