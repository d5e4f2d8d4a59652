/**
 * `long-cascade` and `short-squeeze`: a band of leveraged holders whose liquidation prices sit
 * 0.4-2 % from the price as the push begins, and a program that pushes price into it. Each forced order moves price
 * further and liquidates more (the cascade); the label is read back from the forced orders.
 * The push comes 48 min into a 2 h run: the liquidation clusters need no more history than the
 * cascade's own forced orders, and the hour after it shows the market settling.
 */
import type { Scenario, SimWorld } from '../scenario.ts';
import { cascadeLabel, plantTime, pushProgram, seedBand } from '../scenario.ts';
import { BID, ASK } from '../book.ts';

/** Plants a cascade of `side` forced orders ('sell' = longs liquidated) starting near `at`. */
export function plantCascade(world: SimWorld, side: 'sell' | 'buy', at: number, bandFrom = 0.004, bandTo = 0.02, pushQty = 150): void {
  const holders = side === 'sell' ? 'long' : 'short';
  // The band is where the crowd's liquidations sit as the push begins (they opened over the
  // previous hours: seeded then, relative to the price of that moment).
  world.at(at - 1, () => {
    for (const v of world.market.venues) {
      const p0 = v.mid();
      const n = Math.round(1500 * (v.index === 0 ? 1 : 0.6));
      const lo = side === 'sell' ? p0 * (1 - bandTo) : p0 * (1 + bandFrom);
      const hi = side === 'sell' ? p0 * (1 - bandFrom) : p0 * (1 + bandTo);
      seedBand(v, world.rng.fork(`band:${v.venue}:${at}`), holders, n, lo, hi, 0.06);
    }
  });
  pushProgram(world, `push-${side}-${at}`, at, side, pushQty, 3);
  // Makers step back from the side being hit while the push lasts.
  const s = side === 'sell' ? BID : ASK;
  world.at(at, () => world.makers.forEach((m) => (m.extraPull[s] = 4)));
  world.at(at + 8 * 60_000, () => world.makers.forEach((m) => (m.extraPull[s] = 0)));
}

const DURATION_MS = 2 * 3_600_000;
const PUSH_AT_MS = 48 * 60_000;

export const longCascade: Scenario = {
  name: 'long-cascade',
  summary: 'a sell program pushes price into a band of leveraged longs: forced sells cascade',
  defaultDurationMs: DURATION_MS,
  setup(world) {
    const at = plantTime(world, PUSH_AT_MS, DURATION_MS);
    plantCascade(world, 'sell', at);
    return () => {
      const l = cascadeLabel(world, 'long-cascade', 'sell', at);
      return l ? [l] : [];
    };
  },
};

export const shortSqueeze: Scenario = {
  name: 'short-squeeze',
  summary: 'a buy program pushes price into a band of leveraged shorts: forced buys cascade',
  defaultDurationMs: DURATION_MS,
  setup(world) {
    const at = plantTime(world, PUSH_AT_MS, DURATION_MS);
    plantCascade(world, 'buy', at);
    return () => {
      const l = cascadeLabel(world, 'short-squeeze', 'buy', at);
      return l ? [l] : [];
    };
  },
};
