/**
 * `divergence`: persistent aggressive buying (a patient program of small market buys on every
 * venue) while a passive seller (an iceberg offer just above the price) holds price; when the
 * seller leaves, price breaks out (the buyers who waited for the level join in). One
 * `divergence` label (side `buy`) over the held phase, its price range the trades' range then.
 * The phase lasts 40 % of the run: detectors work on bars of minutes (src/features/divergence.ts),
 * so it spans 48 one-minute bars of a 2 h run.
 */
import { PassiveIceberg } from '../agents.ts';
import type { Scenario } from '../scenario.ts';
import { pushProgram, tradedRange, venuesOf } from '../scenario.ts';

export const divergence: Scenario = {
  name: 'divergence',
  summary: 'persistent aggressive buying while a passive seller holds price, then a breakout',
  setup(world) {
    const { startMs, durationMs } = world.config;
    const from = startMs + Math.round(durationMs * 0.3);
    const to = from + Math.round(durationMs * 0.4);
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
    const buyer = pushProgram(world, 'persistent-buyer', from, 'buy', 400, (to - from) / 60_000);
    // Once the seller is gone, the buyers who waited for the level to break join in.
    pushProgram(world, 'breakout', to, 'buy', 60, 3);
    return () => {
      if (!(buyer.filled > 0) || icebergs.every((i) => i.absorbed === 0)) return [];
      const end = Math.min(to, buyer.lastTs);
      const all = world.market.venues.map((v) => v.index);
      const [low, high] = tradedRange(world, buyer.firstTs, end, all);
      return [{ kind: 'divergence', side: 'buy', start_ms: buyer.firstTs, end_ms: end, price_low: low, price_high: high, venues: venuesOf(world, icebergs.flatMap((ice, i) => (ice.absorbed > 0 ? [i] : []))) }];
    };
  },
};
