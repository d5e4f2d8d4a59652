/**
 * What the evaluation compares with the simulator's labels: one Detection per finding of a
 * repository detector, in the labels' terms (kind, side, time span, price range, venues), and
 * the mapping from each operator's output to it (docs/FEATURES.md "Detectors against the
 * simulator"). The operators are not changed or re-parameterized here: their outputs are only
 * translated.
 */
import type { Side, Venue } from '../../core/events.ts';
import type { AbsorptionEvent } from '../../features/absorption.ts';
import type { WallEvent } from '../../features/book.ts';
import type { DivergenceEvent } from '../../features/divergence.ts';
import type { LiquidationCluster } from '../../features/liquidations.ts';
import type { SessionStats } from '../../features/sessions.ts';
import type { CrossVenueWindow } from '../../features/venues.ts';
import type { LabelKind } from '../types.ts';

/** The detectors evaluated, in report order, and the label kinds each can find. */
export const DETECTORS = {
  /** Realized liquidation clusters (liquidations.ts): a long cluster finds a long-cascade (forced sells), a short one a short-squeeze (forced buys). */
  'liquidation-clusters': ['long-cascade', 'short-squeeze'],
  /** Absorption at the rolling cluster/predicted zones (absorption.ts, both kinds cascade-stop and revisit). */
  absorption: ['absorption'],
  /** Delta divergence (divergence.ts, every timeframe it runs). */
  divergence: ['divergence'],
  /** Walls whose outcome is `bait` (book.ts), per venue. */
  'book-bait': ['bait'],
  /** Cross-venue windows flagged `disagree` (venues.ts). */
  'venue-disagreement': ['disagree'],
  /** Every session occurrence (sessions.ts), by the side of its net aggressive notional. */
  sessions: ['session'],
} as const satisfies Record<string, readonly LabelKind[]>;

export type DetectorName = keyof typeof DETECTORS;
export const DETECTOR_NAMES = Object.keys(DETECTORS) as DetectorName[];

/** One finding of one detector. */
export interface Detection {
  readonly detector: DetectorName;
  readonly kind: LabelKind;
  /**
   * In the label's sense of `side` (src/sim/types.ts LABEL_KINDS). null: the side is per venue
   * (`venue_sides`), as for a disagreement, where venues go opposite ways.
   */
  readonly side: Side | null;
  /** Each material venue's side (disagreement only). */
  readonly venue_sides?: Readonly<Partial<Record<Venue, Side>>>;
  /** When the detector could first have known it: its emit time, bar close or snapshot time (never earlier), epoch ms. */
  readonly ts: number;
  /** The stretch of market it describes, epoch ms. */
  readonly start_ms: number;
  readonly end_ms: number;
  /** The price range it describes; NaN when the output names no price (cross-venue windows). */
  readonly price_low: number;
  readonly price_high: number;
  /** Venues it rests on; empty = the merged market (every venue). */
  readonly venues: readonly Venue[];
}

const sideOf = (sign: number): Side => (sign > 0 ? 'buy' : 'sell');

/** A cluster new at the snapshot at `ts`: longs liquidated (forced sells) = long-cascade, shorts = short-squeeze. */
export function clusterDetection(c: LiquidationCluster, ts: number): Detection {
  const long = c.side === 'long';
  return {
    detector: 'liquidation-clusters',
    kind: long ? 'long-cascade' : 'short-squeeze',
    side: long ? 'sell' : 'buy',
    ts,
    start_ms: c.first_ts,
    end_ms: c.last_ts,
    price_low: c.low,
    price_high: c.high,
    venues: c.venues,
  };
}

/** The absorbed side is the attack's aggressor side; the price range spans the zone and the furthest trade of the visit. */
export function absorptionDetection(e: AbsorptionEvent): Detection {
  return {
    detector: 'absorption',
    kind: 'absorption',
    side: e.attack_side,
    ts: e.ts,
    start_ms: Math.min(e.visit_start_ms, e.window_start_ms),
    end_ms: e.window_end_ms,
    price_low: Math.min(e.zone.low, e.extreme_price),
    price_high: Math.max(e.zone.high, e.extreme_price),
    venues: [],
  };
}

/** The persistent flow's side; the only price an event names is its window's close. */
export function divergenceDetection(e: DivergenceEvent): Detection {
  return {
    detector: 'divergence',
    kind: 'divergence',
    side: e.direction === 'buy_flow_no_rise' ? 'buy' : 'sell',
    ts: e.ts,
    start_ms: e.window_start_ms,
    end_ms: e.window_end_ms,
    price_low: e.close,
    price_high: e.close,
    venues: [],
  };
}

/** A bait wall of `venue`: a bid wall is side buy, an ask wall side sell. Other outcomes are no detection. */
export function baitDetection(w: WallEvent, venue: Venue): Detection | undefined {
  if (w.outcome !== 'bait') return undefined;
  return {
    detector: 'book-bait',
    kind: 'bait',
    side: w.side === 'bid' ? 'buy' : 'sell',
    ts: w.ts,
    start_ms: w.firstSeenTs,
    end_ms: w.endTs,
    price_low: w.price,
    price_high: w.price,
    venues: [venue],
  };
}

/** A window flagged `disagree`, with each material venue's side (venues with no direction have none). */
export function disagreementDetection(w: CrossVenueWindow): Detection | undefined {
  if (!w.disagree) return undefined;
  const venue_sides: Partial<Record<Venue, Side>> = {};
  const venues: Venue[] = [];
  for (const f of w.venues) {
    if (!f.material) continue;
    venues.push(f.venue);
    if (f.sign !== 0) venue_sides[f.venue] = sideOf(f.sign);
  }
  return { detector: 'venue-disagreement', kind: 'disagree', side: null, venue_sides, ts: w.ts, start_ms: w.window_start, end_ms: w.ts, price_low: NaN, price_high: NaN, venues };
}

/**
 * A session occurrence, by the side of its net aggressive notional (none when it nets to zero),
 * known at the occurrence's close (a cut-off occurrence is stamped at its close too: later than
 * it was known, never earlier).
 */
export function sessionDetection(s: SessionStats): Detection | undefined {
  if (s.delta_notional === 0 || !Number.isFinite(s.delta_notional)) return undefined;
  return {
    detector: 'sessions',
    kind: 'session',
    side: sideOf(s.delta_notional),
    ts: s.end_ms,
    start_ms: s.start_ms,
    end_ms: s.end_ms,
    price_low: s.low,
    price_high: s.high,
    venues: [],
  };
}
