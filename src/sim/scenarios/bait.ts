/**
 * `bait`: a market maker rests a large wall near the touch; a program walks price toward it and
 * the wall is pulled when the touch comes within a few ticks (src/features/book.ts "bait"). Two
 * plants: a bid wall under a sell program, later an ask wall over a buy program. Each `bait`
 * label (side: the wall's) runs from the wall's placement to its pull, at the wall's price.
 * Plants at 36 and 78 min of a 2 h run: the wall detector needs only its 200 level-size samples
 * (seconds of book messages) before it sees walls.
 */
import type { Scenario } from '../scenario.ts';
import { plantTime, pushProgram, venuesOf } from '../scenario.ts';
import type { SimLabel } from '../types.ts';

const DURATION_MS = 2 * 3_600_000;

export const bait: Scenario = {
  name: 'bait',
  summary: 'a large wall near the touch, pulled as price approaches it (a bid wall, later an ask wall)',
  defaultDurationMs: DURATION_MS,
  setup(world) {
    const maker = world.makers[0];
    const plants = [
      { at: plantTime(world, 36 * 60_000, DURATION_MS), side: 'buy' as const },
      { at: plantTime(world, 78 * 60_000, DURATION_MS), side: 'sell' as const },
    ];
    for (const p of plants) {
      world.at(p.at, () => maker.plantBait(p.side, 6, 4));
      // The push walks price toward the wall: sellers toward a bid wall.
      pushProgram(world, `toward-${p.side}-wall`, p.at + 20_000, p.side === 'buy' ? 'sell' : 'buy', 40, 4, world.market.venues.map((_, i) => (i === 0 ? 1 : 0)));
    }
    return () =>
      maker.baitPulls.map(
        (b): SimLabel => ({ kind: 'bait', side: b.side, start_ms: b.placedTs, end_ms: b.pulledTs, price_low: b.price, price_high: b.price, venues: venuesOf(world, [b.venue]) }),
      );
  },
};
