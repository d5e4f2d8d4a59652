/**
 * `disagree`: for 36 minutes of a 2 h run (from 42 min: the cross-venue windows are 5 min and
 * need no history), aggressive buying on the last venue only (a local program)
 * while the others' retail leans to selling and the arbitrageur is away, so the venues' flows
 * diverge (src/features/venues.ts). One `disagree` label (side `buy`, venues: the buying one).
 */
import type { Scenario } from '../scenario.ts';
import { netFlow, plantTime, pushProgram, tradedRange, venuesOf } from '../scenario.ts';

const DURATION_MS = 2 * 3_600_000;

export const disagree: Scenario = {
  name: 'disagree',
  summary: "one venue's takers buy while the other venues' sell (flows diverge across venues)",
  defaultDurationMs: DURATION_MS,
  setup(world) {
    const venues = world.market.venues;
    const from = plantTime(world, 42 * 60_000, DURATION_MS);
    const to = plantTime(world, 78 * 60_000, DURATION_MS);
    const lone = venues.length - 1;
    const weights = venues.map((_, i) => (i === lone ? 1 : 0));
    const program = pushProgram(world, 'lone-buyer', from, 'buy', 250, (to - from) / 60_000, weights);
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
