/**
 * What a scenario module gets to work with (the built market and its agents) and the helpers they
 * share: seeding leveraged holders whose liquidation prices fall in a band, scheduling an action,
 * and reading a label back from what actually happened (the forced orders, the tape).
 */
import type { Side, Venue } from '../core/events.ts';
import { isolatedOpenInto } from '../core/margin.ts';
import type { Rng } from '../engine/random.ts';
import type { Arbitrageur, MarketMaker, ParentOrder, ParentOrderAgent, RetailFlow } from './agents.ts';
import { between, lognormal, normal } from './draws.ts';
import type { Market } from './market.ts';
import type { LabelKind, ScenarioName, SimConfig, SimLabel } from './types.ts';
import type { SimVenue } from './venue.ts';

export interface SimWorld {
  readonly config: SimConfig;
  readonly market: Market;
  readonly rng: Rng;
  readonly startPrice: number;
  readonly makers: readonly MarketMaker[];
  readonly retail: readonly RetailFlow[];
  readonly arbitrageur: Arbitrageur;
  /** A new parent-order agent with its own accounts (scenario programs); not yet scheduled. */
  program(name: string): ParentOrderAgent;
  /** A new fixed account id (the same on every venue). */
  account(): number;
  /** Runs `fn` once at `ts` (if inside the run). */
  at(ts: number, fn: (now: number) => void): void;
}

export interface Scenario {
  readonly name: ScenarioName;
  /** One line for `orderflow sim --list`. */
  readonly summary: string;
  /**
   * The run length the plants are laid out for (what `sim` and `eval-detectors` use without
   * --duration): the detectors' warm-up with their repository defaults, the plant, and time after
   * it. Offsets are fixed at this length; a shorter run scales them down (plantTime).
   */
  readonly defaultDurationMs: number;
  /** Plants the scenario in the world; returns how to read its labels once the run is over. */
  setup(world: SimWorld): () => SimLabel[];
}

/**
 * When a plant laid out `offsetMs` after the start of a `defaultDurationMs` run falls in this run:
 * at that fixed offset when the run is at least that long, proportionally earlier in a shorter one
 * (so a short run, e.g. a test's, still holds the plant, without the detectors' warm-up before it).
 */
export function plantTime(world: SimWorld, offsetMs: number, defaultDurationMs: number): number {
  const { startMs, durationMs } = world.config;
  return startMs + Math.round(offsetMs * Math.min(1, durationMs / defaultDurationMs));
}

/**
 * Seeds `count` pairs of isolated positions on `v` at the start: a holder on `side` whose
 * liquidation price falls in [lpLow, lpHigh] (leverage 20-50, entry solved back from the target),
 * and its counterparty on the other side at low leverage (3-5x), same size and entry. Positions
 * net to zero; each holder's cash is its margin minus its position's cost, as if it had traded.
 */
export function seedBand(v: SimVenue, rng: Rng, side: 'long' | 'short', count: number, lpLow: number, lpHigh: number, sizeMedian: number): void {
  for (let i = 0; i < count; i++) {
    const target = between(rng, lpLow, lpHigh);
    const lev = Math.round(between(rng, 20, 50));
    const mmr = v.inst.tiers[0]?.maintMarginRate ?? 0.005;
    const entry = side === 'long' ? target / (1 - 1 / lev + mmr) : target / (1 + 1 / lev - mmr);
    seedPair(v, side, v.lotsOf(lognormal(rng, sizeMedian, 0.8)), entry, lev, Math.round(between(rng, 3, 5)));
  }
}

/**
 * The market's open interest before the run: `count` pairs around the start price (entries
 * ±1.5 %, the holder's leverage from the retail mix, the counterparty's 2-5x).
 */
export function seedBackground(v: SimVenue, rng: Rng, startPrice: number, count: number, sizeMedian: number, leverages: readonly number[]): void {
  for (let i = 0; i < count; i++) {
    const side = rng.nextFloat() < 0.5 ? 'long' : 'short';
    const entry = startPrice * Math.exp(0.012 * normal(rng));
    const lev = leverages[rng.nextInt(leverages.length)];
    // A position already past its liquidation price would not be open: keep 0.5 % of room.
    const mmr = v.inst.tiers[0]?.maintMarginRate ?? 0.005;
    const lp = side === 'long' ? entry * (1 - 1 / lev + mmr) : entry * (1 + 1 / lev - mmr);
    if (side === 'long' ? lp > startPrice * 0.995 : lp < startPrice * 1.005) continue;
    seedPair(v, side, v.lotsOf(lognormal(rng, sizeMedian, 1)), entry, lev, Math.round(between(rng, 2, 5)));
  }
}

/** Scratch for seedPair's check (the solve itself is redone by openHolder). */
const SOLVED = new Float64Array(3);

function seedPair(v: SimVenue, side: 'long' | 'short', lots: number, entry: number, lev: number, otherLev: number): void {
  const qty = v.qtyOf(lots);
  const levA = Math.min(lev, v.maxLeverage(qty, entry));
  const sign = side === 'long' ? 1 : -1;
  // A position the venue would refuse (beyond its tiers) is not seeded.
  try {
    isolatedOpenInto(v.inst, sign, qty, entry, levA, SOLVED);
  } catch {
    return;
  }
  for (const [s, l] of [
    [sign, levA],
    [-sign, otherLev],
  ] as const) {
    const account = v.allocateHolder();
    const margin = (qty * entry) / l;
    v.setPos(account, s * lots);
    v.cash[account] = margin - s * qty * entry;
    v.deposits += margin;
    v.openHolder(account, s > 0 ? 'long' : 'short', qty, entry, l);
  }
}

/**
 * The cascade that the plant set off: among the runs of forced orders of `side` at or after
 * `fromMs` (a run goes on while the next comes within `gapMs`), the one with the most forced
 * quantity; undefined when it has fewer than `min` forced orders. Times and prices are the forced
 * orders' own; venues those that had one.
 */
export function cascadeLabel(world: SimWorld, kind: LabelKind, side: Side, fromMs: number, gapMs = 60_000, min = 5): SimLabel | undefined {
  let best: SimLabel | undefined;
  let bestQty = 0;
  let run: { start: number; end: number; low: number; high: number; n: number; qty: number; on: Set<number> } | undefined;
  const close = () => {
    if (run && run.n >= min && run.qty > bestQty) {
      bestQty = run.qty;
      best = { kind, side, start_ms: run.start, end_ms: run.end, price_low: run.low, price_high: run.high, venues: venuesOf(world, run.on) };
    }
  };
  for (const f of world.market.forced) {
    if (f.ts < fromMs || f.side !== side) continue;
    if (run && f.ts - run.end > gapMs) {
      close();
      run = undefined;
    }
    run ??= { start: f.ts, end: f.ts, low: Infinity, high: -Infinity, n: 0, qty: 0, on: new Set() };
    run.end = f.ts;
    run.low = Math.min(run.low, f.minPrice);
    run.high = Math.max(run.high, f.maxPrice);
    run.n++;
    run.qty += f.qty;
    run.on.add(f.venue);
  }
  close();
  return best;
}

export function venuesOf(world: SimWorld, indexes: Iterable<number>): Venue[] {
  const set = new Set(indexes);
  return world.market.venues.filter((v) => set.has(v.index)).map((v) => v.venue);
}

/** Lowest and highest traded price (per-second closes) over [fromMs, toMs] on the given venues. */
export function tradedRange(world: SimWorld, fromMs: number, toMs: number, venues: readonly number[]): [number, number] {
  const m = world.market;
  const n = m.venues.length;
  let low = Infinity;
  let high = -Infinity;
  for (let s = Math.max(0, m.second(fromMs)); s <= m.second(toMs); s++) {
    for (const vi of venues) {
      const px = m.closePx[s * n + vi];
      if (px < low) low = px;
      if (px > high) high = px;
    }
  }
  return [low, high];
}

/** Net taker flow (buy − sell, base units) over [fromMs, toMs) on the given venues. */
export function netFlow(world: SimWorld, fromMs: number, toMs: number, venues: readonly number[]): number {
  const m = world.market;
  const n = m.venues.length;
  let net = 0;
  for (let s = Math.max(0, m.second(fromMs)); s < m.second(toMs) && s * n < m.buyVol.length; s++) for (const vi of venues) net += m.buyVol[s * n + vi] - m.sellVol[s * n + vi];
  return net;
}

/** A one-shot program: `qty` base units on `side` over about `minutes`, weighted to the first venue. */
export function pushProgram(world: SimWorld, name: string, at: number, side: Side, qty: number, minutes: number, weights?: readonly number[]): ParentOrderAgent {
  const p = world.program(name);
  const childSize = 1.2;
  const spec: ParentOrder = {
    side,
    qty,
    venueWeights: weights ?? world.market.venues.map((_, i) => (i === 0 ? 2 : 1)),
    childSize,
    childEveryMs: (minutes * 60_000 * childSize) / qty,
    patienceBps: Infinity,
    untilMs: at + minutes * 60_000 * 3,
  };
  p.pending = spec;
  world.market.addAgent(p, at);
  return p;
}
