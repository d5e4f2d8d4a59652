/**
 * The market simulator's contract (docs/SIMULATOR.md): what a simulation is asked for, what it
 * yields (normalized events, time-ordered across venues) and the ground truth it planted.
 * Every consumer (the capture writer, the loopback servers of `sim --serve`, the detector
 * evaluation, the demo) depends on this file only, never on the simulator's insides.
 */
import type { MarketEvent, Side, Venue } from '../core/events.ts';

/** The scenarios `orderflow sim --list` offers. */
export const SCENARIOS = ['long-cascade', 'short-squeeze', 'absorption', 'divergence', 'bait', 'disagree', 'sessions', 'quiet'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * What a label marks. `side` means, per kind:
 * - `long-cascade` / `short-squeeze`: the side of the FORCED orders (`sell` = longs liquidated);
 * - `absorption`: the side of the aggressive flow that is absorbed (`sell` = sellers hit a passive buyer);
 * - `divergence`: the side of the persistent aggressive flow while price is held;
 * - `bait`: the side of the resting wall (`buy` = a bid wall), pulled as price nears;
 * - `disagree`: the side of the flow on the venues listed (the others do not follow);
 * - `session`: the side of the session's net aggressive flow.
 */
export const LABEL_KINDS = ['long-cascade', 'short-squeeze', 'absorption', 'divergence', 'bait', 'disagree', 'session'] as const;
export type LabelKind = (typeof LABEL_KINDS)[number];

/** One planted event: its kind, when it happened, the price range it covers, on which venues. */
export interface SimLabel {
  readonly kind: LabelKind;
  readonly side: Side;
  /** Epoch ms, exchange time: the first event that belongs to it. */
  readonly start_ms: number;
  /** Epoch ms, exchange time: the last event that belongs to it. */
  readonly end_ms: number;
  readonly price_low: number;
  readonly price_high: number;
  readonly venues: readonly Venue[];
}

/** `DIR/labels.json`, key order as written. */
export interface SimLabels {
  readonly scenario: ScenarioName;
  readonly seed: number;
  /** The base asset simulated (`BTC`); each venue's native symbol is in `SimRun.symbols`. */
  readonly symbol: string;
  readonly labels: readonly SimLabel[];
}

export interface SimConfig {
  readonly scenario: ScenarioName;
  readonly seed: number;
  /** Epoch ms of the first event. */
  readonly startMs: number;
  readonly durationMs: number;
  /** Base asset, e.g. `BTC`: each venue trades its own perpetual of it. */
  readonly symbol: string;
  readonly venues: readonly Venue[];
}

export interface SimRun {
  readonly config: SimConfig;
  /** Each simulated venue's native symbol (`BTCUSDT`, `BTC-USDT-SWAP`). */
  readonly symbols: Readonly<Partial<Record<Venue, string>>>;
  /**
   * Every venue's events, ts non-decreasing across venues, as each venue would print them (its
   * sampling, units, book depth). Iterate once: the market is simulated as it is read.
   */
  events(): Iterable<MarketEvent>;
  /** The planted ground truth; complete once `events()` is exhausted. */
  labels(): SimLabels;
}
