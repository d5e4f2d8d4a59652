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

export interface Strategy {
  readonly name: string;
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
