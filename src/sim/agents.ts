/**
 * The simulator's agents (docs/SIMULATOR.md "Agents"). Each is a discrete-event actor: it acts
 * when woken and says when it wakes next. All randomness comes from its own fork of the run's
 * seeded generator, so adding an agent changes no other agent's draws.
 */
import type { Side } from '../core/events.ts';
import type { Rng } from '../engine/random.ts';
import { ASK, BID, type BookSide } from './book.ts';
import { between, exponential, lognormal, normal, pareto, weighted } from './draws.ts';
import type { Agent, Market } from './market.ts';
import { FIXED_ACCOUNTS, type SimVenue } from './venue.ts';

// ---------------------------------------------------------------------------------------------
// Time of day.

/** Taker activity by session (multipliers of the base arrival rate). */
export interface ActivityProfile {
  readonly asia: number;
  readonly europe: number;
  readonly us: number;
  /** Outside every session (late US evening). */
  readonly off: number;
}

export const DEFAULT_ACTIVITY: ActivityProfile = { asia: 0.7, europe: 1, us: 1.3, off: 0.6 };

/**
 * The session multiplier at `ts`: the busiest open session (Asia 00:00-09:00, Europe
 * 08:00-16:30, US 14:30-21:00 UTC: the winter hours of src/features/timeframe.ts's sessions).
 */
export function activityAt(ts: number, p: ActivityProfile): number {
  const min = Math.floor((((ts % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
  let a = 0;
  if (min < 9 * 60) a = Math.max(a, p.asia);
  if (min >= 8 * 60 && min < 16 * 60 + 30) a = Math.max(a, p.europe);
  if (min >= 14 * 60 + 30 && min < 21 * 60) a = Math.max(a, p.us);
  return a > 0 ? a : p.off;
}

/**
 * The market's mood: a slowly varying multiplier of every venue's taker arrival rate, exp(x) with
 * x an Ornstein-Uhlenbeck process (mean -sigma^2/2, so the multiplier averages 1), held constant
 * over steps of `stepMs`. Busy and calm stretches that last minutes are what makes volatility
 * cluster at the 10 s scale and beyond (the slow decay of |return| autocorrelations in real
 * tapes); a Hawkes kernel of seconds alone leaves 10 s returns almost independent. The path is a
 * function of the step index only (drawn forward on demand from its own generator), so agents
 * may read it in any order.
 */
export class ActivityRegime {
  private readonly path: number[] = [];
  private x = 0;
  private readonly keep: number;
  private readonly shock: number;

  constructor(
    private readonly rng: Rng,
    readonly startMs: number,
    /** Standard deviation of x, and its mean-reversion time. */
    private readonly sigma: number,
    private readonly tauMs: number,
    readonly stepMs: number,
  ) {
    this.keep = Math.exp(-this.stepMs / this.tauMs);
    this.shock = this.sigma * Math.sqrt(1 - this.keep * this.keep);
  }

  /** The multiplier at `ts`. */
  at(ts: number): number {
    const i = Math.max(0, Math.floor((ts - this.startMs) / this.stepMs));
    while (this.path.length <= i) {
      this.x = this.x * this.keep + this.shock * normal(this.rng);
      this.path.push(Math.exp(this.x - (this.sigma * this.sigma) / 2));
    }
    return this.path[i];
  }

  /** The end of the step holding `ts` (where the multiplier may change). */
  stepEnd(ts: number): number {
    return this.startMs + (Math.floor((ts - this.startMs) / this.stepMs) + 1) * this.stepMs;
  }
}

/** A constant mood (multiplier 1): for agents built without a regime. */
const STEADY: Pick<ActivityRegime, 'at' | 'stepEnd'> = { at: () => 1, stepEnd: () => Infinity };

// ---------------------------------------------------------------------------------------------
// Market makers.

export interface MakerParams {
  /** Ticks per side from the touch that the dense band covers (touch levels, then every `denseStep` ticks). */
  readonly denseLevels: number;
  /** Median size of a dense level, base units. */
  readonly denseSize: number;
  /** Ticks between the dense band's levels beyond the touch levels (aligned on multiples of it, as the sparse ones on `stride`). */
  readonly denseStep: number;
  /**
   * The first `touchLevels` dense levels hold `touchMultiple` times more (real books queue most
   * near the touch, so a large taker order prints big at the touch rather than in many small
   * prints down the ladder).
   */
  readonly touchLevels: number;
  readonly touchMultiple: number;
  /** Sparse levels beyond, every `stride` ticks (aligned on multiples of it). */
  readonly sparseLevels: number;
  readonly stride: number;
  readonly sparseSize: number;
  /** Fair value shift per unit of inventory, ticks per base unit (against the inventory). */
  readonly skewTicks: number;
  /** Pull: each `toxicUnit` base units of one-sided recent taker flow widens that side by one tick and thins it. */
  readonly toxicUnit: number;
  readonly maxPull: number;
  /** How far fair value leans to the other venues' mids each wake (0..1). */
  readonly anchor: number;
  /** Inventory (base units) that halves the size quoted on the side that would add to it. */
  readonly inventoryUnit: number;
  /** Permanent price impact: fair value moves this many ticks per base unit of net taker flow (Kyle's lambda). */
  readonly impactTicks: number;
  /** Background walls: mean minutes between walls, size as a multiple of denseSize. */
  readonly wallEveryMin: number;
  readonly wallMultiple: number;
}

export const DEFAULT_MAKER: MakerParams = {
  denseLevels: 24,
  denseSize: 0.25,
  denseStep: 1,
  touchLevels: 2,
  touchMultiple: 5,
  sparseLevels: 24,
  stride: 40,
  sparseSize: 1.5,
  skewTicks: 0.1,
  toxicUnit: 6,
  maxPull: 30,
  anchor: 0.1,
  inventoryUnit: 20,
  impactTicks: 90,
  wallEveryMin: 12,
  wallMultiple: 25,
};

/** A wall's kind: consumed/left walls are the market makers' own; bait walls only scenarios plant. */
type WallKind = 'real' | 'bait';

export interface BaitPull {
  readonly venue: number;
  readonly side: Side;
  readonly placedTs: number;
  readonly pulledTs: number;
  readonly price: number;
  readonly qty: number;
}

export class MarketMaker implements Agent {
  private readonly own: [Int32Array, Int32Array];
  private readonly prevTop: [number, number] = [NaN, NaN];
  /** Per side: whether the last quote left a ladder level unfilled, and the book's matchedOut it saw. */
  private readonly refused: [boolean, boolean] = [true, true];
  private readonly seenOut: [number, number] = [-1, -1];
  /** The venue's book origin (absolute tick index of level 0) as an int32. */
  private readonly origin: number;
  private wallId = -1;
  private wallSide: BookSide = BID;
  private wallLevel = 0;
  private wallKind: WallKind = 'real';
  private wallBorn = 0;
  private wallPullTicks = 0;
  private nextWall: number;
  private fair = NaN;
  private seenFlow = 0;
  /** Extra ticks a scenario pulls one side by (e.g. makers stepping back before a squeeze). */
  readonly extraPull: [number, number] = [0, 0];
  readonly baitPulls: BaitPull[] = [];

  constructor(
    private readonly m: Market,
    private readonly v: SimVenue,
    readonly account: number,
    private readonly rng: Rng,
    private readonly p: MakerParams,
  ) {
    // Order id per level, 0 or -1 for none (the book never hands out id 0): no fill of 2 × 2^18 entries per run.
    this.own = [new Int32Array(v.book.size), new Int32Array(v.book.size)];
    this.origin = v.origin | 0;
    this.nextWall = m.startMs + exponential(rng, p.wallEveryMin * 60_000);
  }

  /** A bait wall on `side`, `distanceBps` from the mid, pulled when the touch comes within `pullTicks`. */
  plantBait(side: Side, distanceBps: number, pullTicks: number): void {
    this.cancelWall();
    const s: BookSide = side === 'buy' ? BID : ASK;
    const mid = this.v.mid();
    const away = Math.round((mid * distanceBps) / 1e4 / this.v.tick);
    const level = this.v.levelOf(mid) + (s === BID ? -away : away);
    this.placeWall(s, level, 'bait', pullTicks);
  }

  wake(now: number): number {
    const v = this.v;
    const book = v.book;
    this.m.decayFlow(v);
    let mid = v.mid();
    if (!(mid > 0)) mid = v.lastPrice;
    const midLevel = mid / v.tick - v.origin;
    if (Number.isNaN(this.fair)) this.fair = midLevel;
    void midLevel;
    // Informed by the flow (permanent impact), following where others trade, leaning to the index.
    this.fair += this.p.impactTicks * (v.flowCum - this.seenFlow);
    this.seenFlow = v.flowCum;
    // Lean toward the other venues (their mids; not the index, which holds this venue's own quotes).
    let others = 0;
    let count = 0;
    for (const o of this.m.venues) {
      if (o === v) continue;
      const om = o.mid();
      if (om > 0) {
        others += om;
        count++;
      }
    }
    if (count > 0) this.fair += this.p.anchor * ((others / count) / v.tick - v.origin - this.fair);
    const inventory = v.qtyOf(v.pos[this.account]);
    const fair = this.fair - this.p.skewTicks * inventory;
    const flow = v.flow;
    const pullBid = Math.min(this.p.maxPull, Math.max(0, Math.floor(-flow / this.p.toxicUnit)) + this.extraPull[BID]);
    const pullAsk = Math.min(this.p.maxPull, Math.max(0, Math.floor(flow / this.p.toxicUnit)) + this.extraPull[ASK]);
    const bidTop = Math.floor(fair) - pullBid;
    let askTop = Math.ceil(fair) + pullAsk;
    if (askTop <= bidTop) askTop = bidTop + 1;
    // Thinner on the side the flow is hitting and on the side that would add to the inventory.
    const inv = this.p.inventoryUnit;
    const thinBid = 1 / (1 + Math.max(0, -flow) / this.p.toxicUnit + Math.max(0, inventory) / inv);
    const thinAsk = 1 / (1 + Math.max(0, flow) / this.p.toxicUnit + Math.max(0, -inventory) / inv);
    // Move the side that is in the way first (asks before bids when fair value rose), so neither
    // side is held back by the other's stale quotes: the same update whichever way price moved.
    if (bidTop >= book.bestAsk) {
      this.quote(ASK, Math.max(askTop, book.bestBid + 1), thinAsk);
      this.quote(BID, Math.min(bidTop, book.bestAsk - 1), thinBid);
    } else {
      this.quote(BID, Math.min(bidTop, book.bestAsk - 1), thinBid);
      this.quote(ASK, Math.max(askTop, book.bestBid + 1), thinAsk);
    }
    this.tendWall(now, mid);
    return now + between(this.rng, 200, 450);
  }

  /**
   * Keeps the ladder of one side: the touch levels one tick apart from `top`, the dense band on
   * the grid of `denseStep` ticks, the sparse levels on the grid of `stride` ticks. Cancels what
   * left the ladder (what the touch moved into, touch levels left behind off the grid, grid
   * levels past either band's far end) and refills what is missing. The hot loop of the run: a
   * maker re-quotes every 200-450 ms, both sides, and its fair value moves ~10 ticks a wake on
   * BTC's 0.1 tick; on grids fixed in price a move changes only the touch levels and the grid
   * levels at the two ends of each band (with `denseStep` 1, the default, every level the move
   * covered, on both sides).
   */
  private quote(side: BookSide, top: number, thin: number): void {
    const p = this.p;
    const touch = p.touchLevels;
    const dense = p.denseLevels;
    const step = p.denseStep;
    const stride = p.stride;
    const sparse = p.sparseLevels;
    const dir = side === BID ? -1 : 1;
    // Levels are whole tick indexes inside the book's window: as int32 the loops below index the
    // typed arrays without float-to-int checks.
    top = top | 0;
    const first = this.gridFrom(top + dir * dense, dir, stride);
    const last = first + dir * (sparse - 1) * stride;
    const prev = this.prevTop[side];
    const book = this.v.book;
    // Same touch, every level the last call placed still resting: the ladder is what it would place.
    if (prev === top && !this.refused[side] && book.matchedOut[side] === this.seenOut[side]) return;
    // With one-tick dense levels the touch and dense bands are one run of `dense` levels from the
    // touch, and a shift of `s` ticks away from the other side (s < 0: toward it) changes only its
    // ends: the first s levels of the last run (now in front of the touch) leave, the last -s
    // levels leave on a shift toward the other side, and the levels entering are at the opposite
    // end. Visiting only those calls the same cancels and adds in the same order (unlessWanted and
    // fill are no-ops on the levels between: wanted, and still resting while matching removed
    // none of this side's orders and the last call placed every level).
    const run = step === 1 && touch <= dense;
    const s = dir * (top - prev);
    if (!Number.isNaN(prev) && prev !== top) {
      // What the last call left: its touch levels, its dense grid levels, its sparse ladder (a
      // shift by less than a stride changes the sparse levels only at the ladder's two ends).
      if (run) {
        const frontEnd = s < dense ? s : dense;
        for (let j = 0; j < frontEnd; j++) this.unlessWanted(side, prev + dir * j, top, last);
        for (let j = Math.max(0, frontEnd, dense + s); j < dense; j++) this.unlessWanted(side, prev + dir * j, top, last);
      } else {
        for (let j = 0; j < touch; j++) this.unlessWanted(side, prev + dir * j, top, last);
        for (let level = this.gridFrom(prev + dir * touch, dir, step); dir * (level - prev) < dense; level += dir * step) this.unlessWanted(side, level, top, last);
      }
      const near = Math.abs(top - prev) < stride;
      const prevFirst = this.gridFrom(prev + dir * dense, dir, stride);
      for (let j = 0; j < sparse; j++) {
        if (near && j === 2) j = sparse - 2;
        this.unlessWanted(side, prevFirst + dir * j * stride, top, last);
      }
    }
    // The last call left every level of its ladder filled (no add refused) and matching removed
    // none of them since: a sparse ladder shifted by less than a stride can lack levels only at its ends.
    const intact = !this.refused[side] && book.matchedOut[side] === this.seenOut[side];
    const whole = !(Math.abs(top - prev) < stride) || !intact;
    this.refused[side] = false;
    const denseSize = p.denseSize * thin;
    if (run && intact && !Number.isNaN(prev)) {
      // The run's levels still resting: those at depth max(0, -s) .. dense - s - 1 below the new touch.
      const keptFrom = s < 0 ? (-s < dense ? -s : dense) : 0;
      const keptTo = s > 0 ? (dense - s > keptFrom ? dense - s : keptFrom) : dense;
      for (let j = 0; j < keptFrom; j++) this.fill(side, top + dir * j, j < touch ? denseSize * p.touchMultiple : denseSize);
      for (let j = keptTo; j < dense; j++) this.fill(side, top + dir * j, j < touch ? denseSize * p.touchMultiple : denseSize);
    } else {
      for (let j = 0; j < touch; j++) this.fill(side, top + dir * j, denseSize * p.touchMultiple);
      // A grid level holds what `step` one-tick levels would.
      for (let level = this.gridFrom(top + dir * touch, dir, step); dir * (level - top) < dense; level += dir * step) this.fill(side, level, denseSize * step);
    }
    for (let j = 0; j < sparse; j++) {
      if (!whole && j === 2) j = sparse - 2;
      this.fill(side, first + dir * j * stride, p.sparseSize * (1 + (dense + j) / (dense + sparse)));
    }
    this.prevTop[side] = top;
    this.seenOut[side] = book.matchedOut[side];
  }

  /** Cancels the ladder order at `level` (if any) unless the ladder whose touch is `top` keeps it. */
  private unlessWanted(side: BookSide, level: number, top: number, last: number): void {
    const own = this.own[side];
    if (level < 0 || level >= own.length) return;
    const id = own[level];
    if (id <= 0) return;
    const p = this.p;
    const dir = side === BID ? -1 : 1;
    const d = dir * (level - top);
    if (d >= 0) {
      if (d < p.touchLevels) return;
      // Int32 remainders (the absolute tick index is positive and below 2^31): a double `%` is a libm call.
      const abs = (this.origin + level) | 0;
      if (d < p.denseLevels && abs % p.denseStep === 0) return;
      if (dir * (level - last) <= 0 && abs % p.stride === 0) return;
    }
    const book = this.v.book;
    if (book.owns(id, this.account, side, level)) book.cancel(id);
    own[level] = -1;
  }

  /** A ladder order of about `median` base units at `level` unless one rests there. */
  private fill(side: BookSide, level: number, median: number): void {
    const book = this.v.book;
    if (level < 0 || level >= book.size) {
      this.refused[side] = true;
      return;
    }
    const own = this.own[side];
    if (book.owns(own[level], this.account, side, level)) return;
    const id = book.add(side, level, this.v.lotsOf(lognormal(this.rng, median, 0.6)), this.account);
    own[level] = id;
    if (id < 0) this.refused[side] = true;
  }

  /** The first level at or beyond `level` (in direction `dir`) on the grid of multiples of `g` ticks. */
  private gridFrom(level: number, dir: number, g: number): number {
    const m = (((this.origin + level) | 0) % g + g) % g;
    return (dir < 0 ? level - m : level + ((g - m) % g)) | 0;
  }

  private tendWall(now: number, mid: number): void {
    const v = this.v;
    const book = v.book;
    if (this.wallId >= 0 && !book.owns(this.wallId, this.account, this.wallSide, this.wallLevel)) this.wallId = -1; // consumed
    if (this.wallId >= 0) {
      const touch = this.wallSide === BID ? book.bestBid : book.bestAsk;
      const gap = Math.abs(touch - this.wallLevel);
      if (this.wallKind === 'bait' && gap <= this.wallPullTicks) {
        this.baitPulls.push({ venue: v.index, side: this.wallSide === BID ? 'buy' : 'sell', placedTs: this.wallBorn, pulledTs: Math.floor(now), price: v.priceOf(this.wallLevel), qty: v.qtyOf(book.orderLots[this.wallId]) });
        this.cancelWall();
      } else if (this.wallKind === 'real' && (gap * v.tick > mid * 0.004 || now - this.wallBorn > 15 * 60_000)) this.cancelWall();
      return;
    }
    if (now < this.nextWall) return;
    this.nextWall = now + exponential(this.rng, this.p.wallEveryMin * 60_000);
    const side: BookSide = this.rng.nextFloat() < 0.5 ? BID : ASK;
    const away = Math.round((mid * between(this.rng, 4, 15)) / 1e4 / v.tick);
    const level = v.levelOf(mid) + (side === BID ? -away : away);
    this.placeWall(side, level, 'real', 0);
  }

  private placeWall(side: BookSide, level: number, kind: WallKind, pullTicks: number): void {
    const lots = this.v.lotsOf(this.p.denseSize * this.p.wallMultiple * between(this.rng, 0.8, 1.6));
    this.wallId = this.v.book.add(side, level, lots, this.account);
    this.wallSide = side;
    this.wallLevel = level;
    this.wallKind = kind;
    this.wallBorn = Math.floor(this.m.now);
    this.wallPullTicks = pullTicks;
  }

  private cancelWall(): void {
    if (this.wallId >= 0 && this.v.book.owns(this.wallId, this.account, this.wallSide, this.wallLevel)) this.v.book.cancel(this.wallId);
    this.wallId = -1;
  }
}

// ---------------------------------------------------------------------------------------------
// Retail takers: leveraged holders opening and closing.

export interface RetailParams {
  /** Base arrivals per second (before the session multiplier and self-excitation). */
  readonly mu: number;
  /** Self-excitation: each arrival adds `alpha` /s to the rate, decaying with time constant tauMs (branching ratio alpha × tau). */
  readonly alpha: number;
  readonly tauMs: number;
  /** A second, slower kernel (traders drawn in over a minute or two); the two branching ratios sum to < 1. */
  readonly slowAlpha: number;
  readonly slowTauMs: number;
  /** Order size: lognormal body (median, sigma) and, with probability tailProb, a Pareto multiple. */
  readonly sizeMedian: number;
  readonly sizeSigma: number;
  readonly tailProb: number;
  readonly tailAlpha: number;
  /** Pareto multiples are of this many body medians. */
  readonly tailScale: number;
  /** Sizes scale with the market's mood (ActivityRegime) to this power: busy stretches trade bigger. */
  readonly moodSize: number;
  /** Share of orders that close an open holder (the rest open a new one). */
  readonly closeProb: number;
  /** Trend chasing: buy probability leans by trendWeight × tanh(trend / trendScale). */
  readonly trendWeight: number;
  readonly trendScale: number;
  readonly leverages: readonly number[];
  readonly leverageWeights: readonly number[];
}

export const DEFAULT_RETAIL: RetailParams = {
  mu: 1.4,
  alpha: 0.22,
  tauMs: 2500,
  slowAlpha: 0.0025,
  slowTauMs: 90_000,
  sizeMedian: 0.008,
  sizeSigma: 1.4,
  tailProb: 0.08,
  tailAlpha: 1.2,
  tailScale: 6,
  moodSize: 0.5,
  closeProb: 0.45,
  trendWeight: 0.12,
  trendScale: 0.0004,
  leverages: [5, 10, 20, 25, 50, 75, 100],
  leverageWeights: [20, 30, 25, 12, 8, 3, 2],
};

export class RetailFlow implements Agent {
  private excitation = 0;
  private slowExcitation = 0;
  private excitedAt: number;
  /** Scenario lean of the buy probability (+0.1: more buying), and rate multiplier. */
  bias = 0;
  rateMultiplier = 1;
  activity: ActivityProfile = DEFAULT_ACTIVITY;
  private activityMinute = NaN;
  private activityOf: ActivityProfile | undefined;
  private activityNow = 1;
  private mood = NaN;
  private moodPow = 1;

  constructor(
    private readonly m: Market,
    private readonly v: SimVenue,
    private readonly rng: Rng,
    private readonly p: RetailParams,
    private readonly regime: Pick<ActivityRegime, 'at' | 'stepEnd'> = STEADY,
  ) {
    this.excitedAt = m.startMs;
  }

  /** Adds to the self-exciting rate (big prints and liquidations draw traders in), fast and slow kernels. */
  excite(perSecond: number, slowPerSecond = 0): void {
    this.decay(this.m.now);
    this.excitation += perSecond;
    this.slowExcitation += slowPerSecond;
  }

  private decay(now: number): void {
    const dt = now - this.excitedAt;
    if (dt > 0) {
      this.excitation *= Math.exp(-dt / this.p.tauMs);
      this.slowExcitation *= Math.exp(-dt / this.p.slowTauMs);
      this.excitedAt = now;
    }
  }

  private base(now: number): number {
    // The session multiplier is constant within a minute: looked up once per minute (and profile).
    const minute = Math.floor(now / 60_000);
    if (minute !== this.activityMinute || this.activity !== this.activityOf) {
      this.activityMinute = minute;
      this.activityOf = this.activity;
      this.activityNow = activityAt(now, this.activity);
    }
    return this.p.mu * this.rateMultiplier * this.activityNow * this.regime.at(now);
  }

  wake(now: number): number {
    this.act();
    this.excite(this.p.alpha, this.p.slowAlpha);
    // Next arrival by thinning: between the regime's steps the rate only decays, so its value at
    // the start bounds it; a candidate past the step's end restarts there (memoryless).
    let t = now;
    for (let i = 0; i < 10_000; i++) {
      this.decay(t);
      const bound = this.base(t) * 1.0001 + this.excitation + this.slowExcitation + 1e-6;
      const edge = this.regime.stepEnd(t);
      const next = t + exponential(this.rng, 1000 / bound);
      if (next >= edge) {
        t = edge;
        continue;
      }
      t = next;
      this.decay(t);
      if (this.rng.nextFloat() * bound <= this.base(t) + this.excitation + this.slowExcitation) return t;
    }
    return t;
  }

  private act(): void {
    const v = this.v;
    const p = this.p;
    let buyP = 0.5 + this.bias + p.trendWeight * Math.tanh(v.trend / p.trendScale);
    buyP = Math.min(0.9, Math.max(0.1, buyP));
    const side: Side = this.rng.nextFloat() < buyP ? 'buy' : 'sell';
    // Selling closes a long, buying closes a short.
    const closing = side === 'sell' ? 0 : 1;
    if (this.rng.nextFloat() < p.closeProb && v.activeCount[closing] > 0) {
      const slot = v.active[closing][this.rng.nextInt(v.activeCount[closing])];
      const account = slot + FIXED_ACCOUNTS;
      const lots = Math.abs(v.pos[account]);
      if (lots > 0) this.m.take(v, side, lots, account);
      if (v.pos[account] === 0) v.closeHolder(account);
      return;
    }
    let qty = lognormal(this.rng, p.sizeMedian, p.sizeSigma);
    if (this.rng.nextFloat() < p.tailProb) qty *= pareto(this.rng, p.tailAlpha) * p.tailScale;
    if (p.moodSize !== 0) {
      // The mood changes once per regime step: its power is taken once per value.
      const mood = this.regime.at(this.m.now);
      if (mood !== this.mood) {
        this.mood = mood;
        this.moodPow = Math.pow(mood, p.moodSize);
      }
      qty *= this.moodPow;
    }
    // Within every venue's last risk-limit tier (Bybit caps a position at $6M).
    if (qty > 40) qty = 40;
    openPosition(this.m, v, side, v.lotsOf(qty), weighted(this.rng, p.leverages, p.leverageWeights));
  }
}

/**
 * A new leveraged holder buys (or sells) `lots` at market and holds the fill as an isolated
 * position: its deposit is the initial margin at its leverage (capped by the venue's tier) plus
 * the fee, so its cash and position are exactly what the venue would show. Returns the account, or
 * -1 when nothing filled.
 */
export function openPosition(m: Market, v: SimVenue, side: Side, lots: number, leverage: number): number {
  const account = v.allocateHolder();
  const filled = m.take(v, side, lots, account);
  if (filled === 0) {
    v.closeHolder(account);
    return -1;
  }
  const avg = m.lastAvg;
  const lev = Math.min(leverage, v.maxLeverage(filled, avg));
  const sign = side === 'buy' ? 1 : -1;
  const margin = (filled * avg) / lev;
  const deposit = margin - (v.cash[account] + sign * filled * avg);
  v.cash[account] += deposit;
  v.deposits += deposit;
  v.openHolder(account, side === 'buy' ? 'long' : 'short', filled, avg, lev);
  return account;
}

// ---------------------------------------------------------------------------------------------
// Institutional takers and scenario programs: parent orders worked as child market orders.

export interface ParentOrder {
  readonly side: Side;
  /** Base units in total, over the venues by weight. */
  readonly qty: number;
  readonly venueWeights: readonly number[];
  /** Median child size, base units, and mean ms between children. */
  readonly childSize: number;
  readonly childEveryMs: number;
  /** Patient: pause while price has moved against the parent by more than this many bps since it began (Infinity: never). */
  readonly patienceBps: number;
  /** Stop at this time even if not done. */
  readonly untilMs: number;
}

export class ParentOrderAgent implements Agent {
  private parent: ParentOrder | undefined;
  /** A parent to start at the first wake (scenario programs are scheduled at their start time). */
  pending: ParentOrder | undefined;
  private left = 0;
  private startPx = NaN;
  /** Accounts on each venue. */
  readonly accounts: number[];
  /** What it printed: first and last child time, lowest and highest fill, qty filled. */
  firstTs = NaN;
  lastTs = NaN;
  minPx = Infinity;
  maxPx = -Infinity;
  filled = 0;

  constructor(
    private readonly m: Market,
    private readonly rng: Rng,
    accounts: number[],
    /** Spontaneous parents: mean minutes between them (Infinity: only what start() is given). */
    private readonly everyMin: number,
  ) {
    this.accounts = accounts;
  }

  start(p: ParentOrder): void {
    this.parent = p;
    this.left = p.qty;
    this.startPx = this.m.venues[0].mid();
  }

  wake(now: number): number {
    if (!this.parent && this.pending) {
      this.start(this.pending);
      this.pending = undefined;
    }
    const p = this.parent;
    if (!p) {
      if (!Number.isFinite(this.everyMin)) return Infinity;
      // A new parent: a fund rebalancing, 5-30 base units over tens of minutes.
      this.start({
        side: this.rng.nextFloat() < 0.5 ? 'buy' : 'sell',
        qty: between(this.rng, 5, 30),
        venueWeights: this.m.venues.map((_, i) => (i === 0 ? 2 : 1)),
        childSize: between(this.rng, 0.3, 1.5),
        childEveryMs: between(this.rng, 3000, 12_000),
        patienceBps: 25,
        untilMs: now + 60 * 60_000,
      });
      return now + exponential(this.rng, 20_000);
    }
    if (now >= p.untilMs || this.left <= 0) {
      this.parent = undefined;
      return Number.isFinite(this.everyMin) ? now + exponential(this.rng, this.everyMin * 60_000) : Infinity;
    }
    const ref = this.m.venues[0].mid();
    const adverse = ((p.side === 'buy' ? ref - this.startPx : this.startPx - ref) / this.startPx) * 1e4;
    if (adverse > p.patienceBps) return now + exponential(this.rng, p.childEveryMs * 3);
    const vi = weighted(this.rng, this.m.venues.map((_, i) => i), p.venueWeights);
    const v = this.m.venues[vi];
    const qty = Math.min(this.left, lognormal(this.rng, p.childSize, 0.5));
    const got = this.m.take(v, p.side, v.lotsOf(qty), this.accounts[vi]);
    if (got > 0) {
      this.left -= got;
      this.filled += got;
      if (Number.isNaN(this.firstTs)) this.firstTs = Math.floor(now);
      this.lastTs = Math.floor(now);
      if (this.m.lastMin < this.minPx) this.minPx = this.m.lastMin;
      if (this.m.lastMax > this.maxPx) this.maxPx = this.m.lastMax;
    }
    return now + exponential(this.rng, p.childEveryMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitrageurs: the lagging venues follow the leader (the first venue) after a reaction delay.

export class Arbitrageur implements Agent {
  /** Scenario switch: while false the arbitrageur does nothing. */
  enabled = true;

  constructor(
    private readonly m: Market,
    private readonly rng: Rng,
    private readonly accounts: number[],
    private readonly thresholdBps: number,
    private readonly qtyPerBps: number,
  ) {}

  wake(now: number): number {
    const venues = this.m.venues;
    if (this.enabled && venues.length > 1) {
      const lead = venues[0];
      const ref = lead.mid();
      for (let i = 1; i < venues.length; i++) {
        const v = venues[i];
        const bps = ((v.mid() - ref) / ref) * 1e4;
        if (!(Math.abs(bps) > this.thresholdBps)) continue;
        const qty = Math.min(3, this.qtyPerBps * (Math.abs(bps) - this.thresholdBps));
        const side: Side = bps < 0 ? 'buy' : 'sell';
        const got = this.m.take(v, side, v.lotsOf(qty), this.accounts[i]);
        // Hedge half on the leader: the laggard mostly follows, the leader barely moves.
        if (got > 0) this.m.take(lead, side === 'buy' ? 'sell' : 'buy', lead.lotsOf(got / 2), this.accounts[0]);
      }
    }
    return now + between(this.rng, 60, 260);
  }
}

// ---------------------------------------------------------------------------------------------
// A passive iceberg: a buyer (or seller) that keeps `shown` resting at the levels of a zone and
// refills what is taken, until `capacity` is used or `untilMs`.

export class PassiveIceberg implements Agent {
  private ids: Int32Array;
  absorbed = 0;
  firstFillTs = NaN;
  lastFillTs = NaN;
  active = false;
  private lastPos = 0;
  /** When it found it had been filled (its wake times), for the labels. */
  private readonly fillTimes: number[] = [];

  constructor(
    private readonly v: SimVenue,
    private readonly rng: Rng,
    readonly account: number,
    readonly side: Side,
    /** Zone levels (book level indexes), top first (nearest the market). */
    private readonly levels: readonly number[],
    private readonly shown: number,
    public capacity: number,
    public untilMs: number,
  ) {
    this.ids = new Int32Array(levels.length).fill(-1);
  }

  /** The first time it was found filled at or after `from` (NaN: never). */
  firstFillFrom(from: number): number {
    for (const t of this.fillTimes) if (t >= from) return t;
    return NaN;
  }

  /** The lowest and highest price it rests at. */
  zone(): [number, number] {
    return [this.v.priceOf(Math.min(...this.levels)), this.v.priceOf(Math.max(...this.levels))];
  }

  wake(now: number): number {
    const v = this.v;
    const book = v.book;
    const s: BookSide = this.side === 'buy' ? BID : ASK;
    const pos = v.qtyOf(Math.abs(v.pos[this.account]));
    if (pos > this.lastPos) {
      if (Number.isNaN(this.firstFillTs)) this.firstFillTs = Math.floor(now);
      this.lastFillTs = Math.floor(now);
      this.fillTimes.push(this.lastFillTs);
      this.absorbed += pos - this.lastPos;
    }
    this.lastPos = pos;
    const done = !this.active || now >= this.untilMs || this.absorbed >= this.capacity;
    for (let i = 0; i < this.levels.length; i++) {
      const level = this.levels[i];
      const live = book.owns(this.ids[i], this.account, s, level);
      if (done) {
        if (live) book.cancel(this.ids[i]);
        this.ids[i] = -1;
      } else if (!live) this.ids[i] = book.add(s, level, v.lotsOf(this.shown * between(this.rng, 0.8, 1.2)), this.account);
    }
    return now + between(this.rng, 40, 120);
  }
}
