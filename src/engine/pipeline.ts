/**
 * The feature pipeline: every order-flow operator of docs/FEATURES.md wired to one replay (see
 * replay.ts), so a single pass over a market's events yields all their outputs. `orderflow
 * analyze` drives it over the store; the backtester reads the same outputs as signals, and
 * builds only the operators its strategy's features need (`outputs`, docs/ENGINE.md).
 *
 * Zones are rolling and causal: at each replay timer the realized liquidation
 * clusters and, with open interest, the predicted levels are snapshotted from the events before
 * the timer, and become the absorption zones from then on (AbsorptionOperator.setZones).
 * The same snapshots score the predicted levels against the liquidations that follow them
 * (PredictedCheck), so nobody has to take the model on faith.
 */
import type { LiquidationColumns, OpenInterestColumns, TradeColumns } from '../core/columns.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { AbsorptionOperator, zoneKey, zonesFromClusters, zonesFromPredicted, type AbsorptionEvent, type AbsorptionZone } from '../features/absorption.ts';
import { CvdRunning, type CvdBar } from '../features/cvd.ts';
import { DivergenceOperator, type DivergenceEvent } from '../features/divergence.ts';
import { FootprintOperator, type FootprintCandle } from '../features/footprint.ts';
import { LiquidationMapOperator, type LiquidationBins, type LiquidationMapOptions, type LiquidationSnapshot } from '../features/liquidations.ts';
import type { TradeOperator } from '../features/operator.ts';
import { PredictedLiquidationOperator, type PredictedLiquidationSnapshot } from '../features/predicted-liquidations.ts';
import { SessionStatsOperator, type SessionStats } from '../features/sessions.ts';
import { SizeFlowOperator, type SizeBar } from '../features/sizes.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../features/timeframe.ts';
import { CrossVenueOperator, type CrossVenueWindow } from '../features/venues.ts';
import type { ReplayRun } from './replay.ts';

export interface PipelineOptions {
  /** Bins of the liquidation clusters and predicted levels. Default 10 bps. */
  readonly bins?: LiquidationBins;
  /** The cluster rule (half-life, multiples, window); LiquidationMapOptions' defaults when omitted. */
  readonly clusters?: Omit<LiquidationMapOptions, 'bins'>;
  /** Footprint candles; omitted = no footprint (it needs the instrument's tick). */
  readonly footprint?: { readonly timeframeMs: number; readonly tick: number; readonly levelTicks: number };
  /** Past 1 m windows in absorption's typical-volume median (also its warm-up). Default 60. */
  readonly absorptionLookback?: number;
  /** Absorption thresholds (AbsorptionOptions): attack >= volumeMultiple x typical (default 2), progress <= maxProgressBps (default 5). */
  readonly absorption?: { readonly volumeMultiple?: number; readonly maxProgressBps?: number };
  /** A predicted level is a zone when its notional >= this share of its side's total. Default 0.05. */
  readonly predictedMinShare?: number;
  /** Tiers and max leverage for the predicted levels. */
  readonly instruments?: InstrumentRegistry;
  /** Whether open interest will be pushed (predicted levels are built only then). */
  readonly withOpenInterest: boolean;
  /** Session statistics (default true; the backtester reads none, so it turns them off). */
  readonly sessions?: boolean;
  /**
   * The outputs wanted (default all). Only the operators they need are built: the divergence
   * operator for `divergence` or any `cvd_*`; the liquidation map and predicted liquidations for
   * `zones` or `absorption`; `sessions` and `footprint` also need their options above. An output
   * not wanted is never emitted.
   */
  readonly outputs?: readonly (keyof PipelineOutputs)[];
}

/** Every output the pipeline emits, by name. */
export interface PipelineOutputs {
  cvd_15m: CvdBar;
  cvd_1h: CvdBar;
  cvd_1d: CvdBar;
  footprint: FootprintCandle;
  sizes_1h: SizeBar;
  sessions: SessionStats;
  divergence: DivergenceEvent;
  venues_5m: CrossVenueWindow;
  absorption: AbsorptionEvent;
  zones: ZoneSet;
}

/** The zones in force from `ts` (until the next set); emitted only when they change. */
export interface ZoneSet {
  readonly ts: number;
  readonly realized: number;
  readonly predicted: number;
  readonly zones: readonly AbsorptionZone[];
}

export const PIPELINE_OUTPUTS: readonly (keyof PipelineOutputs)[] = ['cvd_15m', 'cvd_1h', 'cvd_1d', 'footprint', 'sizes_1h', 'sessions', 'divergence', 'venues_5m', 'absorption', 'zones'];

export type PipelineEmit = <K extends keyof PipelineOutputs>(name: K, out: PipelineOutputs[K]) => void;

/**
 * How well the predicted zones in force foretold the liquidations that came next. For each
 * liquidation after the first snapshot: a hit when a predicted zone of its side (longs below,
 * shorts above) held its price. `chance` is what random zones of the same total width would
 * score: the mean share of the ±`CHANCE_BAND` band around each liquidation's price that the
 * same-side zones cover. Predictions beat chance only when hit_share clearly exceeds it.
 */
export interface PredictedCheck {
  readonly liquidations: number;
  readonly notional: number;
  readonly hits: number;
  readonly hit_notional: number;
  /** hit_notional / notional; NaN without liquidations. */
  readonly hit_share: number;
  /** Notional-weighted mean coverage of the ±CHANCE_BAND band by the same-side zones. */
  readonly chance: number;
}

export const CHANCE_BAND = 0.05;

/** The CVD timeframes and their outputs, in emission order (also the divergence timeframes). */
const CVD_TIMEFRAMES: readonly number[] = [15 * MINUTE_MS, HOUR_MS, DAY_MS];
const CVD_OUTPUTS = ['cvd_15m', 'cvd_1h', 'cvd_1d'] as const;

export class FeaturePipeline {
  // The trade operators as fields, each called at its own site (one class per site, so calls
  // inline); the optional ones follow in `extraOps`. Emission order is this order.
  // An operator no wanted output needs is not built (undefined).
  private readonly sizes: SizeFlowOperator | undefined;
  /** Also the CVD bars: it sums buy and sell volume per bar of the CVD timeframes (one pass, not four). */
  private readonly divergence: DivergenceOperator | undefined;
  /** The running cvd of each of CVD_TIMEFRAMES. */
  private readonly cvd = CVD_TIMEFRAMES.map(() => new CvdRunning());
  /** Divergence events held back so they are emitted after the size bars, as when CVD was its own pass. */
  private readonly divergenceHeld: DivergenceEvent[] = [];
  private readonly venues: CrossVenueOperator | undefined;
  private readonly extraOps: TradeOperator[] = [];
  private readonly liqMap: LiquidationMapOperator | undefined;
  private readonly predicted: PredictedLiquidationOperator | undefined;
  private readonly absorption: AbsorptionOperator | undefined;
  private readonly emitZones: boolean;
  private readonly bins: LiquidationBins;
  private readonly minShare: number;
  private predictedZones: readonly AbsorptionZone[] = [];
  private check = { liquidations: 0, notional: 0, hits: 0, hitNotional: 0, chanceWeighted: 0, armed: false };
  private lastTs = -Infinity;
  private zonesKey = '';

  constructor(
    opts: PipelineOptions,
    private readonly emit: PipelineEmit,
  ) {
    this.bins = opts.bins ?? { bps: 10 };
    this.minShare = opts.predictedMinShare ?? 0.05;
    if (!(this.minShare >= 0 && this.minShare <= 1)) throw new RangeError(`pipeline: predictedMinShare must be in [0, 1], got ${this.minShare}`);
    const wanted = new Set(opts.outputs ?? PIPELINE_OUTPUTS);
    for (const name of wanted) if (!PIPELINE_OUTPUTS.includes(name)) throw new RangeError(`pipeline: unknown output '${String(name)}' (known: ${PIPELINE_OUTPUTS.join(', ')})`);
    if (wanted.has('sizes_1h')) this.sizes = new SizeFlowOperator({ timeframeMs: HOUR_MS }, (x) => emit('sizes_1h', x));
    const cvdWanted = CVD_OUTPUTS.map((name) => wanted.has(name));
    if (wanted.has('divergence') || cvdWanted.includes(true)) {
      this.divergence = new DivergenceOperator(
        { timeframesMs: CVD_TIMEFRAMES },
        wanted.has('divergence') ? (x) => this.divergenceHeld.push(x) : () => {},
        cvdWanted.includes(true) ? (k, open, buy, sell) => cvdWanted[k] && emit(CVD_OUTPUTS[k], this.cvd[k].close(open, buy, sell)) : undefined,
      );
    }
    if (wanted.has('venues_5m')) this.venues = new CrossVenueOperator({}, (x) => emit('venues_5m', x));
    if ((opts.sessions ?? true) && wanted.has('sessions')) this.extraOps.push(new SessionStatsOperator({}, (x) => emit('sessions', x)));
    if (opts.footprint && wanted.has('footprint')) this.extraOps.push(new FootprintOperator(opts.footprint, (x) => emit('footprint', x)));
    this.emitZones = wanted.has('zones');
    if (this.emitZones || wanted.has('absorption')) {
      this.liqMap = new LiquidationMapOperator({ ...opts.clusters, bins: this.bins });
      this.predicted = opts.withOpenInterest ? new PredictedLiquidationOperator({ bins: this.bins, instruments: opts.instruments }) : undefined;
    }
    if (wanted.has('absorption')) {
      const lookback = opts.absorptionLookback ?? 60;
      this.absorption = new AbsorptionOperator(
        { zones: [], lookbackWindows: lookback, warmupWindows: lookback, volumeMultiple: opts.absorption?.volumeMultiple, maxProgressBps: opts.absorption?.maxProgressBps },
        (x) => emit('absorption', x),
      );
    }
  }

  /** The operators built, by name (what `outputs` asked for and what those need). */
  get operators(): string[] {
    const ops: string[] = [];
    if (this.divergence) ops.push('divergence');
    if (this.sizes) ops.push('sizes');
    if (this.venues) ops.push('venues');
    for (const op of this.extraOps) ops.push(op instanceof SessionStatsOperator ? 'sessions' : 'footprint');
    if (this.liqMap) ops.push('liquidation-map');
    if (this.predicted) ops.push('predicted-liquidations');
    if (this.absorption) ops.push('absorption');
    return ops;
  }

  /** Feed one replay run (timers included: they refresh the zones). */
  push(run: ReplayRun): void {
    switch (run.kind) {
      case 'timer':
        this.refreshZones(run.ts);
        return;
      case 'trades':
        this.pushTrades(run.cols, run.from, run.to);
        return;
      case 'liquidations':
        this.pushLiquidations(run.cols, run.from, run.to);
        return;
      case 'open_interest':
        this.pushOpenInterest(run.cols, run.from, run.to);
        return;
    }
  }

  pushOpenInterest(c: OpenInterestColumns, from: number, to: number): void {
    this.predicted?.pushOpenInterest(c, from, to);
    this.lastTs = c.ts[to - 1];
  }

  pushTrades(c: TradeColumns, from: number, to: number): void {
    // Emission order: CVD bars, size bars, divergence events, then the rest (the engine breaks
    // ties between outputs of one time by it).
    this.divergence?.push(c, from, to);
    this.sizes?.push(c, from, to);
    if (this.divergenceHeld.length > 0) this.releaseDivergence();
    this.venues?.push(c, from, to);
    for (let k = 0; k < this.extraOps.length; k++) this.extraOps[k].push(c, from, to);
    this.liqMap?.pushTrades(c, from, to);
    this.predicted?.pushTrades(c, from, to);
    this.absorption?.pushTrades(c, from, to);
    this.lastTs = c.ts[to - 1];
  }

  pushLiquidations(c: LiquidationColumns, from: number, to: number): void {
    this.liqMap?.pushLiquidations(c, from, to);
    this.absorption?.pushLiquidations(c, from, to);
    if (this.check.armed) for (let i = from; i < to; i++) this.score(c, i);
    this.lastTs = c.ts[to - 1];
  }

  /** Snapshots from the events before `ts` become the zones from `ts` on. */
  refreshZones(ts: number): void {
    if (!this.liqMap) return;
    const realized = zonesFromClusters(this.liqMap.at(ts).clusters, { fromTs: ts, bins: this.bins });
    let predicted: AbsorptionZone[] = [];
    if (this.predicted) {
      const snap = this.predicted.at(ts);
      predicted = predictedZones(snap, this.minShare, this.bins);
      this.predictedZones = predicted;
      this.check.armed = true;
    }
    const zones = [...realized, ...predicted];
    // Quiet stretches re-snapshot the same zones every timer: only a change is news.
    const key = zones.map(zoneKey).join('|');
    if (key === this.zonesKey) return;
    this.zonesKey = key;
    this.absorption?.setZones(ts, zones);
    if (this.emitZones) this.emit('zones', { ts, realized: realized.length, predicted: predicted.length, zones });
  }

  /** Ends the stream: open bars are emitted. */
  flush(): void {
    this.divergence?.flush();
    for (const x of this.cvd) x.reset();
    this.sizes?.flush();
    this.releaseDivergence();
    this.venues?.flush();
    for (const op of this.extraOps) op.flush();
    this.absorption?.flush();
  }

  private releaseDivergence(): void {
    const held = this.divergenceHeld;
    for (let k = 0; k < held.length; k++) this.emit('divergence', held[k]);
    held.length = 0;
  }

  /** Realized clusters as of the last event (or `t`, not before it). */
  liquidationSnapshot(t = this.lastTs): LiquidationSnapshot {
    if (!this.liqMap) throw new Error('pipeline: the liquidation map was not built (neither zones nor absorption among the outputs)');
    return this.liqMap.at(Math.max(t, this.lastTs));
  }

  predictedSnapshot(t = this.lastTs): PredictedLiquidationSnapshot | undefined {
    return this.predicted?.at(Math.max(t, this.lastTs));
  }

  predictedCheck(): PredictedCheck {
    const c = this.check;
    return {
      liquidations: c.liquidations,
      notional: c.notional,
      hits: c.hits,
      hit_notional: c.hitNotional,
      hit_share: c.notional > 0 ? c.hitNotional / c.notional : NaN,
      chance: c.notional > 0 ? c.chanceWeighted / c.notional : NaN,
    };
  }

  /** Liquidation `row` of `l` against the predicted zones in force (the row crosses the call, not its numbers: those would be boxed). */
  private score(l: LiquidationColumns, row: number): void {
    const price = l.price[row];
    const side = l.side[row] < 0 ? 'long' : 'short';
    const c = this.check;
    const notional = price * l.qty[row];
    const zones = this.predictedZones;
    c.liquidations++;
    c.notional += notional;
    let hit = false;
    for (let k = 0; k < zones.length && !hit; k++) hit = zones[k].side === side && price >= zones[k].low && price <= zones[k].high;
    if (hit) {
      c.hits++;
      c.hitNotional += notional;
    }
    c.chanceWeighted += notional * coverage(zones, price * (1 - CHANCE_BAND), price * (1 + CHANCE_BAND), side);
  }
}

/** Predicted levels with notional >= minShare x their side's total, as zones (runs of adjacent bins). */
function predictedZones(s: PredictedLiquidationSnapshot, minShare: number, bins: LiquidationBins): AbsorptionZone[] {
  const out: AbsorptionZone[] = [];
  for (const side of ['long', 'short'] as const) {
    const total = side === 'long' ? s.long_notional : s.short_notional;
    if (!(total > 0)) continue;
    const levels = side === 'long' ? s.longs : s.shorts;
    const one = { ...s, longs: side === 'long' ? levels : [], shorts: side === 'short' ? levels : [] };
    // zonesFromPredicted takes one threshold for both sides; feed it one side at a time.
    out.push(...zonesFromPredicted(one, { minNotional: Math.max(minShare * total, Number.MIN_VALUE), bins }));
  }
  return out;
}

/** Scratch for coverage: the clipped parts, sorted by start (one liquidation at a time, no allocation). */
let partA = new Float64Array(16);
let partB = new Float64Array(16);

/** Share of [lo, hi] covered by the union of the zones (only those of `side` when given). */
export function coverage(zones: readonly AbsorptionZone[], lo: number, hi: number, side?: AbsorptionZone['side']): number {
  if (zones.length > partA.length) {
    partA = new Float64Array(zones.length * 2);
    partB = new Float64Array(zones.length * 2);
  }
  // The parts that overlap [lo, hi], insertion-sorted by start; equal starts keep zone order.
  let n = 0;
  for (const z of zones) {
    if (side !== undefined && z.side !== side) continue;
    const a = Math.max(lo, z.low);
    const b = Math.min(hi, z.high);
    if (!(b > a)) continue;
    let k = n++;
    while (k > 0 && partA[k - 1] > a) {
      partA[k] = partA[k - 1];
      partB[k] = partB[k - 1];
      k--;
    }
    partA[k] = a;
    partB[k] = b;
  }
  let covered = 0;
  let end = lo;
  for (let k = 0; k < n; k++) {
    const b = partB[k];
    if (b <= end) continue;
    covered += b - Math.max(partA[k], end);
    end = b;
  }
  return covered / (hi - lo);
}
