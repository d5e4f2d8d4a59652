/**
 * The strategy API: what a strategy sees (closed feature outputs, its position, equity, the
 * clock) and what it may do (enter with a bracket, exit, skip with a reason). Hooks are called by
 * the engine in time order; `ctx.now` is the time of the thing being delivered, and everything
 * visible through `ctx` is known at `now` (the engine guarantees it: see engine.ts).
 */
import type { WallEvent } from '../features/book.ts';
import type { CvdBar } from '../features/cvd.ts';
import type { SizeBar } from '../features/sizes.ts';
import type { CrossVenueWindow } from '../features/venues.ts';
import type { AbsorptionZone } from '../features/absorption.ts';
import type { BacktestConfig } from './config.ts';
import type { ReplayRun } from './replay.ts';
import type { RunBar, RunSignal } from './run-types.ts';

/** Closed feature outputs as of `ctx.now`. */
export interface FeatureState {
  /** Last closed CVD bar per timeframe label ('15m', '1h', '1d'). */
  readonly cvd: ReadonlyMap<string, CvdBar>;
  /** Last closed 1h size-weighted flow bar. */
  readonly sizes: SizeBar | undefined;
  /** Last closed 5m cross-venue window. */
  readonly venues: CrossVenueWindow | undefined;
  /** Zones in force (the last snapshot). */
  readonly zones: readonly AbsorptionZone[];
  /** Wall outcomes of the execution venue's book decided in the last 15 minutes (empty without a book). */
  readonly recentWalls: readonly WallEvent[];
  /** Whether a book message of the execution venue has arrived (so far: the kernel never looks ahead). */
  readonly hasBook: boolean;
}

/** A signal as delivered: the journal record plus what the strategy needs to act on it. */
export interface EngineSignal extends Omit<RunSignal, 'acted' | 'vetoReason'> {
  /** The zone it happened at (absorption), null otherwise. */
  readonly zone: AbsorptionZone | null;
  /** Divergence bar length, null otherwise. */
  readonly timeframeMs: number | null;
}

export interface EntryIntent {
  readonly side: 'long' | 'short';
  readonly stop: number;
  readonly target: number | null;
  readonly timeStopMs: number;
  /** Multiplies the configured risk per trade (session rules). */
  readonly riskMultiplier: number;
}

export interface OpenPosition {
  readonly side: 'long' | 'short';
  readonly qty: number;
  readonly entry: number;
  readonly stop: number;
  readonly target: number | null;
  readonly liquidationPrice: number;
  readonly openTs: number;
}

export interface StrategyContext {
  readonly now: number;
  readonly config: BacktestConfig;
  readonly features: FeatureState;
  /** Open position, or undefined when flat (an entry on its way counts as busy, see `busy`). */
  readonly position: OpenPosition | undefined;
  /** A position is open or an order is on its way. */
  readonly busy: boolean;
  readonly equity: number;
  /** Last trade price of the execution venue (NaN before its first trade). */
  readonly lastPrice: number;
  /** Session name at `now`. */
  readonly session: string;
  /** Size the entry from risk and send it; returns why not when the risk layer refuses. */
  enter(signal: EngineSignal, intent: EntryIntent): { readonly accepted: boolean; readonly reason: string | null };
  /** Close the position at market. */
  exit(reason: string): void;
}

/**
 * The feature outputs a strategy can read, by name (`Strategy.features`). A backtest builds only
 * the operators these need (as NautilusTrader computes only the indicators a strategy
 * registers); what is not built is never delivered:
 * - `absorption`: absorption signals (the absorption operator, and the zones it watches: those
 *   also make the run's zone bands and `features.zones`);
 * - `divergence`: delta-divergence signals (the divergence operator);
 * - `zones`: `features.zones` and the run's zone bands (liquidation map, predicted liquidations);
 * - `cvd`: `features.cvd` (the CVD bars of the divergence operator's bar pass);
 * - `sizes`: `features.sizes` (the 1h size-weighted flow);
 * - `venues`: `features.venues` (the 5m cross-venue window);
 * - `walls`: `features.recentWalls` (the execution venue's book walls and their outcomes).
 * A null-model run replaces the strategy's signals by shuffled ones, so it computes neither
 * signal nor, unless `zones` is declared, the zones (engine.ts pipelineOutputs).
 * The execution venue's book itself (fills, `hasBook`) is kept whenever the config asks for
 * book fills (`execution.useBook`), whatever the strategy reads.
 */
export const FEATURE_NAMES = ['absorption', 'divergence', 'zones', 'cvd', 'sizes', 'venues', 'walls'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export interface Strategy {
  readonly name: string;
  /**
   * The feature outputs it reads (FEATURE_NAMES): only these are computed. Omitted: all of them
   * (a strategy that declares nothing sees everything, as before this field existed).
   */
  readonly features?: readonly FeatureName[];
  /**
   * A signal (a prediction: it is journaled whatever the strategy does). Return null when acted
   * on, or the reason it was not (a veto, a refusal): it goes in the signals table.
   */
  onSignal?(signal: EngineSignal, ctx: StrategyContext): string | null;
  /** A closed 1m bar of the traded market (all venues merged). */
  onBar?(bar: RunBar, ctx: StrategyContext): void;
  /** Every replay run (for strategies that read raw events); costly, so only called when defined. */
  onEvent?(run: ReplayRun, ctx: StrategyContext): void;
}

/** What a strategy's declaration asks to compute: every feature when it declares none. */
export function featuresOf(strategy: Pick<Strategy, 'features'>): ReadonlySet<FeatureName> {
  const declared = strategy.features;
  if (declared === undefined) return new Set(FEATURE_NAMES);
  for (const f of declared) if (!(FEATURE_NAMES as readonly string[]).includes(f)) throw new RangeError(`strategy features: unknown feature '${String(f)}' (known: ${FEATURE_NAMES.join(', ')})`);
  return new Set<FeatureName>(declared);
}
