/**
 * `disagree`: for a third of the run, aggressive buying on the last venue only (a local program)
 * while the others' retail leans to selling and the arbitrageur is away, so the venues' flows
 * diverge (src/features/venues.ts). One `disagree` label (side `buy`, venues: the buying one).
 */
import type { Scenario } from '../scenario.ts';
import { netFlow, pushProgram, tradedRange, venuesOf } from '../scenario.ts';

export const disagree: Scenario = {
  name: 'disagree',
  summary: "one venue's takers buy while the other venues' sell (flows diverge across venues)",
  setup(world) {
    const { startMs, durationMs } = world.config;
    const venues = world.market.venues;
    const from = startMs + Math.round(durationMs * 0.35);
    const to = from + Math.round(durationMs * 0.3);
    const lone = venues.length - 1;
    const weights = venues.map((_, i) => (i === lone ? 1 : 0));
    const program = pushProgram(world, 'lone-buyer', from, 'buy', 60, (to - from) / 60_000, weights);
    world.at(from, () => {
      world.arbitrageur.enabled = false;
      world.retail.forEach((r, i) => (r.bias = i === lone ? 0 : -0.08));
    });
    world.at(to, () => {
      world.arbitrageur.enabled = true;
      world.retail.forEach((r) => (r.bias = 0));
    });
    return () => {
      if (venues.length < 2 || !(program.filled > 0)) return [];
      const end = Math.min(to, program.lastTs);
      if (!(netFlow(world, program.firstTs, end, [lone]) > 0)) return [];
      const [low, high] = tradedRange(world, program.firstTs, end, [lone]);
      return [{ kind: 'disagree', side: 'buy', start_ms: program.firstTs, end_ms: end, price_low: low, price_high: high, venues: venuesOf(world, [lone]) }];
    };
  },
};
