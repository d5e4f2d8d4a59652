/**
 * Liquidation stories for cluster and absorption tests: even cascades over adjacent 10-bp bins,
 * one-bin spikes, and background noise, as rows [ts, price, qty, forced-order side].
 */
import { createRng } from '../../src/engine/random.ts';
import { binner } from '../../src/features/liquidations.ts';

export type LiqRow = [ts: number, price: number, qty: number, side: 1 | -1];

/** The default cluster bins: 10-bp log-price bins. */
export const BINS = { bps: 10 } as const;
export const BIN = binner(BINS);

export interface CascadeSpec {
  /** Time of the first forced order; they are spread evenly over durationMs. */
  readonly t0: number;
  readonly durationMs: number;
  /** Bin index where the cascade starts; it walks `bins` bins down (longs) or up (shorts). */
  readonly fromIndex: number;
  readonly bins: number;
  readonly n: number;
  /** -1: forced sells (longs liquidated, price falling); +1: forced buys (shorts, price rising). */
  readonly side: 1 | -1;
  /** Mean qty; each order is 0.6x..1.4x of it. */
  readonly qty: number;
}

/** n forced orders spread evenly over the bins, each priced inside its bin (within 3 bps of its centre). */
export function cascade(c: CascadeSpec): LiqRow[] {
  const out: LiqRow[] = [];
  for (let k = 0; k < c.n; k++) {
    const index = c.fromIndex + c.side * Math.floor((k * c.bins) / c.n);
    const jitter = ((((k * 37) % 7) - 3) * 1e-4);
    out.push([Math.round(c.t0 + (k * c.durationMs) / c.n), BIN.price(index) * (1 + jitter), c.qty * (0.6 + ((k * 13) % 9) * 0.1), c.side]);
  }
  return out;
}

/** n liquidations at random times in [t0, t0 + durationMs), random bins within `spread` bins of `center`, random sides, qty 0.5x..2x of `qty`. */
export function noise(seed: number, t0: number, durationMs: number, n: number, center: number, spread: number, qty: number): LiqRow[] {
  const r = createRng(seed);
  const out: LiqRow[] = [];
  for (let k = 0; k < n; k++) {
    const index = center - spread + r.nextInt(2 * spread + 1);
    const price = BIN.price(index) * (1 + (r.nextFloat() - 0.5) * 6e-4);
    out.push([t0 + Math.floor(r.nextFloat() * durationMs), price, qty * (0.5 + 1.5 * r.nextFloat()), r.nextFloat() < 0.5 ? -1 : 1]);
  }
  return merged(out);
}

/** Rows merged in time order (stable: equal times keep their input order). */
export function merged(...parts: LiqRow[][]): LiqRow[] {
  return parts.flat().sort((a, b) => a[0] - b[0]);
}
