/** The distributions the agents draw from, over the engine's seeded generator (no Math.random). */
import type { Rng } from '../engine/random.ts';

/** Uniform on (0, 1]: safe under a log. */
export function uniformOpen(rng: Rng): number {
  return 1 - rng.nextFloat();
}

export function exponential(rng: Rng, mean: number): number {
  return -Math.log(uniformOpen(rng)) * mean;
}

/** Standard normal (Box–Muller, one of the pair). */
export function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(uniformOpen(rng))) * Math.cos(2 * Math.PI * rng.nextFloat());
}

export function lognormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** Pareto with minimum 1 and tail index alpha: P(X > x) = x^-alpha. */
export function pareto(rng: Rng, alpha: number): number {
  return Math.pow(uniformOpen(rng), -1 / alpha);
}

export function between(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.nextFloat();
}

/** One of `values` with the given weights (same length). */
export function weighted<T>(rng: Rng, values: readonly T[], weights: readonly number[]): T {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.nextFloat() * total;
  for (let i = 0; i < values.length; i++) {
    u -= weights[i];
    if (u < 0) return values[i];
  }
  return values[values.length - 1];
}
