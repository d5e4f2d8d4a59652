/**
 * `divergence`: persistent aggressive buying (a patient program of small market buys on every
 * venue) while a passive seller (an iceberg offer just above the price) holds price; when the
 * seller leaves, price breaks out (the buyers who waited for the level join in). One
 * `divergence` label (side `buy`) over the held phase, its price range the trades' range then.
 *
 * Timing: the divergence detector's defaults (src/features/divergence.ts) are 15 min bars, 100
 * bars of history before any event (25 h) and 20-bar windows (5 h). So the default run is 32 h:
 * 26 h of background, the held phase for 5 h (a divergence a trader would see on 15 min bars),
 * the breakout, and an hour after it. The layout is anchored at the run's end: a shorter run
 * holds for 40 % of it (at most 5 h) and ends with 10 % (at most 1 h) after the breakout, so a
 * 2 h run holds for 48 min from the 60th minute (too short for the detector, long enough to test
 * the plant). The buyer's rate is the same whatever the length.
 */
import { PassiveIceberg } from '../agents.ts';
import type { Scenario } from '../scenario.ts';
import { pushProgram, tradedRange, venuesOf } from '../scenario.ts';

const HOUR_MS = 3_600_000;
/** The persistent buyer's rate, BTC an hour: about a quarter of the simulated market's taker flow. */
const BUYER_PER_HOUR = 1500;

export const divergence: Scenario = {
  name: 'divergence',
  summary: 'persistent aggressive buying while a passive seller holds price, then a breakout',
  defaultDurationMs: 32 * HOUR_MS,
  setup(world) {
    const { startMs, durationMs } = world.config;
    const held = Math.min(5 * HOUR_MS, Math.round(durationMs * 0.4));
    const after = Math.min(HOUR_MS, Math.round(durationMs * 0.1));
    const to = startMs + durationMs - after;
    const from = to - held;
    const icebergs: PassiveIceberg[] = [];
    world.at(from - 1, () => {
      const acct = world.account();
      for (const v of world.market.venues) {
        const bottom = v.book.bestAsk + 2;
        const ice = new PassiveIceberg(v, world.rng.fork(`seller:${v.venue}`), acct, 'sell', [bottom, bottom + 1, bottom + 2], 3 * (v.index === 0 ? 1 : 0.6), 1e9, to);
        ice.active = true;
        icebergs.push(ice);
        world.market.addAgent(ice, from);
      }
    });
    const buyer = pushProgram(world, 'persistent-buyer', from, 'buy', (BUYER_PER_HOUR * held) / HOUR_MS, held / 60_000);
    // Once the seller is gone, the buyers who waited for the level to break join in.
    pushProgram(world, 'breakout', to, 'buy', 200, 4);
    return () => {
      if (!(buyer.filled > 0) || icebergs.every((i) => i.absorbed === 0)) return [];
      const end = Math.min(to, buyer.lastTs);
      const all = world.market.venues.map((v) => v.index);
      const [low, high] = tradedRange(world, buyer.firstTs, end, all);
      return [{ kind: 'divergence', side: 'buy', start_ms: buyer.firstTs, end_ms: end, price_low: low, price_high: high, venues: venuesOf(world, icebergs.flatMap((ice, i) => (ice.absorbed > 0 ? [i] : []))) }];
    };
  },
};
