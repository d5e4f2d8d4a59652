/** A longer synthetic market for the evaluation's causality and bait checks. */
import type { BookLevel, MarketEvent, Venue } from '../../src/core/events.ts';
import { createRng } from '../../src/engine/random.ts';
import { BIN, cascade, type LiqRow } from '../features/cascades.ts';
import { book, liquidations, mergeEvents, openInterest, trades } from './runs.ts';

const S = 1000;
const MIN = 60_000;
const H = 3_600_000;

/**
 * Three hours on three venues: a seeded random walk traded every second, a Binance book (ten
 * levels a side, diffs each second) with a bid wall pulled as price falls toward it, open interest
 * every 30 s, a long cascade at 0:20, a short squeeze at 2:00 and liquidation noise.
 */
export interface RichStory {
  readonly events: MarketEvent[];
  /** The pulled bid wall on Binance: when it stood and its price. */
  readonly wall: { readonly fromMs: number; readonly toMs: number; readonly price: number };
}

export function richStory(t0: number): RichStory {
  const rng = createRng('sim-eval-rich');
  const tick = 0.1;
  const on = (x: number) => Math.round(x * 10) / 10;
  const secs = 3 * 3600;
  const mid: number[] = [];
  let m = 60_000;
  const wallFrom = 40 * 60;
  const wallTo = wallFrom + 40;
  for (let s = 0; s < secs; s++) {
    if (s >= wallFrom + 20 && s < wallTo) m -= 0.05;
    else m += (rng.nextFloat() - 0.5) * 4;
    mid.push(Math.round(m * 10) / 10);
  }
  const wallPrice = Math.round((mid[wallFrom] - 1.2) * 10) / 10;
  const out: MarketEvent[] = [];
  const venues: Venue[] = ['binance', 'okx', 'bybit'];
  let prev = new Map<string, number>();
  for (let s = 0; s < secs; s++) {
    const t = t0 + s * S;
    const x = mid[s];
    // Binance book: ten levels a side around the mid, the wall while it stands, deletions of what moved.
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    const now = new Map<string, number>();
    for (let k = 1; k <= 10; k++) {
      const bp = Math.round((x - k * tick) * 10) / 10;
      const ap = Math.round((x + k * tick) * 10) / 10;
      const wall = s >= wallFrom && s < wallTo && bp === wallPrice;
      if (!wall) now.set(`b${bp}`, 1 + (k % 3) * 0.5);
      now.set(`a${ap}`, 1 + ((k + 1) % 3) * 0.5);
    }
    if (s >= wallFrom && s < wallTo) now.set(`b${wallPrice}`, 40);
    for (const [key, q] of now) (key[0] === 'b' ? bids : asks).push([Number(key.slice(1)), q]);
    for (const key of prev.keys()) if (!now.has(key)) (key[0] === 'b' ? bids : asks).push([Number(key.slice(1)), 0]);
    out.push(book(t + 100, s === 0, bids, asks));
    prev = now;
    for (const [i, v] of venues.entries()) {
      const side = rng.nextFloat() < 0.5 ? 1 : -1;
      const px = side > 0 ? x + tick : x - tick;
      out.push(...trades([[t + 200 + i * 50, on(px), 0.2 + rng.nextFloat(), side]], v));
    }
    if (s % 30 === 0) for (const v of venues) out.push(openInterest(t + 300, 1000 + s / 10 + rng.nextFloat(), x, v));
  }
  const liq: LiqRow[] = [
    ...cascade({ t0: t0 + 20 * MIN, durationMs: 90_000, fromIndex: BIN.index(mid[20 * 60]), bins: 5, n: 50, side: -1, qty: 0.3 }),
    ...cascade({ t0: t0 + 2 * H, durationMs: 60_000, fromIndex: BIN.index(mid[2 * 3600]), bins: 3, n: 30, side: 1, qty: 0.3 }),
  ];
  for (let k = 0; k < 200; k++) {
    const s = rng.nextInt(secs);
    liq.push([t0 + s * S + 700, mid[s] * (1 + (rng.nextFloat() - 0.5) * 0.004), 0.05 + rng.nextFloat() * 0.1, rng.nextFloat() < 0.5 ? -1 : 1]);
  }
  liq.sort((a, b) => a[0] - b[0]);
  return {
    events: mergeEvents(out, liquidations(liq, 'binance'), liquidations(liq.filter((_, k) => k % 3 === 0), 'bybit')),
    wall: { fromMs: t0 + wallFrom * S, toMs: t0 + wallTo * S, price: wallPrice },
  };
}
