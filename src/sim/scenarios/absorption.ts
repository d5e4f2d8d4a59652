/**
 * `absorption`: a long cascade runs into a zone where a passive buyer (an iceberg bid on every
 * venue) absorbs the selling: price stops, liquidations stop. Price is lifted away, and later a
 * second sell program revisits the zone: the buyer absorbs again, and no liquidation prints (the
 * longs there are gone). Two `absorption` labels (side `sell`: the absorbed flow) and the cascade.
 *
 * Timing (a 3 h run from a whole hour, as the default start): the cascade at 1h10 — after the
 * absorption detector's warm-up (60 one-minute windows) and its first hourly zone refresh — and
 * the revisit at 2h20, after the 2h00 refresh, which knows the cascade's liquidation cluster.
 */
import { PassiveIceberg } from '../agents.ts';
import type { Scenario, SimWorld } from '../scenario.ts';
import { cascadeLabel, plantTime, pushProgram, venuesOf } from '../scenario.ts';
import type { SimLabel } from '../types.ts';
import { plantCascade } from './cascade.ts';

const ZONE_BELOW = 0.012;
const DURATION_MS = 3 * 3_600_000;

export const absorption: Scenario = {
  name: 'absorption',
  summary: 'a long cascade into a zone where a passive buyer absorbs (liquidations stop), revisited later',
  defaultDurationMs: DURATION_MS,
  setup(world: SimWorld) {
    const at = plantTime(world, 70 * 60_000, DURATION_MS);
    const revisit = plantTime(world, 140 * 60_000, DURATION_MS);
    // Longs liquidate between 0.4 % and the zone; none below it.
    plantCascade(world, 'sell', at, 0.004, ZONE_BELOW - 0.001, 200);
    const icebergs: PassiveIceberg[] = [];
    world.at(at - 1, () => {
      const acct = world.account();
      for (const v of world.market.venues) {
        const top = v.levelOf(v.mid() * (1 - ZONE_BELOW));
        const levels = [0, 1, 2, 3, 4].map((i) => top - i * 5);
        const ice = new PassiveIceberg(v, world.rng.fork(`iceberg:${v.venue}`), acct, 'buy', levels, 12 * (v.index === 0 ? 1 : 0.6), Infinity, at + 20 * 60_000);
        ice.active = true;
        icebergs.push(ice);
        world.market.addAgent(ice, at);
      }
    });
    // Lift price away after the first visit, then bring it back.
    pushProgram(world, 'lift', at + 20 * 60_000, 'buy', 50, 6);
    world.at(revisit - 1, () => {
      for (const ice of icebergs) {
        ice.active = true;
        ice.untilMs = revisit + 15 * 60_000;
        world.market.addAgent(ice, revisit);
      }
    });
    pushProgram(world, 'revisit', revisit, 'sell', 300, 8);
    const phases: Phase[] = [];
    world.at(at + 20 * 60_000, () => phases.push(snapshot(icebergs, at)));
    world.at(revisit + 15 * 60_000, () => phases.push(snapshot(icebergs, revisit)));
    return () => {
      const labels: SimLabel[] = [];
      const cascade = cascadeLabel(world, 'long-cascade', 'sell', at);
      if (cascade) labels.push(cascade);
      let prev = icebergs.map(() => 0);
      for (const p of phases) {
        const on = p.absorbed.map((a, i) => (a - prev[i] > 0 ? i : -1)).filter((i) => i >= 0);
        prev = p.absorbed;
        if (on.length === 0 || !(p.last > p.first)) continue;
        const zone = icebergs.filter((_, i) => on.includes(i)).map((ice) => ice.zone());
        labels.push({ kind: 'absorption', side: 'sell', start_ms: p.first, end_ms: p.last, price_low: Math.min(...zone.map((z) => z[0])), price_high: Math.max(...zone.map((z) => z[1])), venues: venuesOf(world, on) });
      }
      return labels;
    };
  },
};

/** One visit of the zone: what each venue's iceberg had absorbed by its end, and when it was filled. */
interface Phase {
  readonly absorbed: number[];
  readonly first: number;
  readonly last: number;
}

function snapshot(icebergs: readonly PassiveIceberg[], from: number): Phase {
  let first = Infinity;
  let last = -Infinity;
  for (const ice of icebergs) {
    if (ice.lastFillTs >= from) {
      first = Math.min(first, ice.firstFillFrom(from));
      last = Math.max(last, ice.lastFillTs);
    }
  }
  return { absorbed: icebergs.map((i) => i.absorbed), first, last };
}
