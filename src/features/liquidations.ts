/**
 * Realized liquidation clusters and the liquidation heatmap (docs/FEATURES.md "Liquidation
 * clusters and heatmap"; strategy point 1 of DESIGN.md).
 *
 * Liquidations are binned by price (an integer bin index: tick multiples, or log-price bins of a
 * width in bps) and split by the side that was liquidated: a forced SELL closes a LONG, a forced
 * BUY closes a SHORT. Each bin and side keeps notional (price x qty), qty, count, the venues seen
 * (bit mask) and first/last time, and an exponentially decayed intensity kept as (level, time of
 * level), decayed lazily at read time: O(1) per liquidation. The market's typical liquidation
 * notional is a decayed mean over every liquidation (both sides, same half-life). A bin is hot
 * when its intensity stands out from the dense price windows beside it (empty bins count as
 * zero) by `binMultiple` typical liquidations; clusters are runs of hot bins with
 * one-bin gaps bridged, kept when they hold `clusterMultiple` typical liquidations (so one very
 * heavy bin is a cluster too). A cluster is `revisited` once a trade prints in one of its bins
 * after its last liquidation.
 *
 * Two paths with identical results (property-tested): LiquidationMapOperator (push liquidations
 * and trades in time order, ask for a snapshot at any time >= the last event) and
 * liquidationSnapshots (batch over whole columns at given times). Both share the per-liquidation
 * update (addLiquidation) and the snapshot step (finish), like footprint.ts.
 *
 * Liquidation feeds are sampled (docs/NORMALIZATION.md): counts and notionals are lower bounds.
 */
import type { LiquidationColumns, TradeColumns } from '../core/columns.ts';
import { VENUES, type Venue } from '../core/events.ts';
import { decimalsOf, levelIndex, levelPrice } from './footprint.ts';
import { OutOfOrderError, type Emit } from './operator.ts';

/**
 * Liquidations as columns, one entry per liquidation, in time order. Same shape as TradeColumns,
 * but `side` is the side of the FORCED ORDER: -1 sell = a LONG was liquidated, +1 buy = a SHORT.
 */
export type { LiquidationColumns };

/** The side whose positions were liquidated: `long` = forced sells, `short` = forced buys. */
export type LiquidatedSide = 'long' | 'short';

/**
 * Price bins. `{ tick, binTicks }`: bin = `Math.round(Math.round(price / tick) / binTicks)`
 * (integer tick index first, as the footprint), bin price = index x binTicks x tick.
 * `{ bps }`: log-price bins, bin = `Math.round(ln(price) / ln(1 + bps / 1e4))`, bin price =
 * `exp(index x ln(1 + bps / 1e4))`: fixed edges whatever the price does, each bin bps wide.
 */
export type LiquidationBins = { readonly tick: number; readonly binTicks?: number } | { readonly bps: number };

export interface LiquidationMapOptions {
  readonly bins: LiquidationBins;
  /** Half-life of the intensity decay, ms. Default 4 h. */
  readonly halfLifeMs?: number;
  /**
   * A bin side with no liquidation for longer than this is forgotten (left out of snapshots,
   * restarted by its next liquidation). Default 6 half-lives (intensity down to 1/64).
   * Infinity keeps every bin (state then grows with the price range seen).
   */
  readonly retainMs?: number;
  /**
   * A bin is hot when its intensity >= medianMultiple x its background + binMultiple x the
   * market's typical liquidation notional. Background: the larger median of the dense windows of
   * windowBins + 1 bins ending and starting at the bin, empty bins counting as zero. Default 2.
   */
  readonly medianMultiple?: number;
  /** Bins each side in those windows. Default 25 (2.5% at 10 bps bins). */
  readonly windowBins?: number;
  /** Default 3. */
  readonly binMultiple?: number;
  /** ... and >= this intensity (quote notional). Default 0. */
  readonly minIntensity?: number;
  /** A run of hot bins (one-bin gaps bridged) is a cluster when its intensity >= clusterMultiple x the typical notional. Default 6. */
  readonly clusterMultiple?: number;
}

export const DEFAULT_HALF_LIFE_MS = 4 * 3_600_000;

/** The cluster rule's defaults (docs/FEATURES.md "Liquidation clusters and heatmap"). */
export const CLUSTER_DEFAULTS = { halfLifeMs: DEFAULT_HALF_LIFE_MS, medianMultiple: 2, windowBins: 25, binMultiple: 3, clusterMultiple: 6, minIntensity: 0 } as const;

/** One bin of one side at a snapshot. */
export interface LiquidationBin {
  readonly index: number;
  readonly price: number;
  /** Sum of price x qty (quote), qty (base) and count since the bin side started (see retainMs). */
  readonly notional: number;
  readonly qty: number;
  readonly count: number;
  /** Bit i set = venue VENUES[i] seen (see venuesOf). */
  readonly venue_mask: number;
  readonly first_ts: number;
  readonly last_ts: number;
  /** Decayed notional at the snapshot time: sum of notional x 2^(-(t - ts) / halfLife). */
  readonly intensity: number;
  /** Median intensity of the dense window around the bin (empty bins as zero). */
  readonly background: number;
  /** Whether the bin reached every threshold (it may still sit in no cluster). */
  readonly hot: boolean;
}

export interface LiquidationCluster {
  readonly side: LiquidatedSide;
  readonly low_index: number;
  readonly high_index: number;
  /** Prices of the lowest and highest bin (a bin covers prices within half a bin of its price). */
  readonly low: number;
  readonly high: number;
  /** Price of the bin with the highest intensity (lowest on a tie). */
  readonly peak: number;
  /** Bins spanned (high_index - low_index + 1), and how many of them were hot (the rest are bridged gaps). */
  readonly bins: number;
  readonly hot_bins: number;
  readonly intensity: number;
  readonly notional: number;
  readonly qty: number;
  readonly count: number;
  readonly venue_mask: number;
  readonly venues: readonly Venue[];
  readonly first_ts: number;
  readonly last_ts: number;
  /** A trade printed in one of the cluster's bins after last_ts (strictly), up to the snapshot. */
  readonly revisited: boolean;
  /** Time of the latest such trade; NaN when not revisited. */
  readonly last_touch_ts: number;
}

export interface LiquidationSnapshot {
  readonly ts: number;
  /** The market's typical liquidation notional: decayed mean of price x qty over every liquidation so far (NaN before any). */
  readonly typical_notional: number;
  /** binMultiple x typical: what a bin needs above medianMultiple x its background to be hot (and at least minIntensity). */
  readonly floor: number;
  /** The intensity a run needed to be a cluster: clusterMultiple x typical. */
  readonly cluster_floor: number;
  /** Live bins, ascending by index. */
  readonly longs: readonly LiquidationBin[];
  readonly shorts: readonly LiquidationBin[];
  /** Long clusters ascending by price, then short clusters ascending by price. */
  readonly clusters: readonly LiquidationCluster[];
}

/** Price <-> integer bin index. */
export interface Binner {
  index(price: number): number;
  /**
   * index(prices[i]), the price read here: a price passed to a call that is not inlined is boxed,
   * one allocation per trade on the per-trade paths.
   */
  indexIn(prices: Float64Array, i: number): number;
  price(index: number): number;
}

export function binner(bins: LiquidationBins): Binner {
  if ('bps' in bins) {
    if (!(bins.bps > 0) || !Number.isFinite(bins.bps)) throw new RangeError(`liquidations: bins.bps must be > 0, got ${bins.bps}`);
    return new BpsBinner(Math.log1p(bins.bps / 1e4));
  }
  const { tick } = bins;
  const bt = bins.binTicks ?? 1;
  if (!(tick > 0) || !Number.isFinite(tick)) throw new RangeError(`liquidations: bins.tick must be > 0, got ${tick}`);
  if (!(Number.isInteger(bt) && bt >= 1)) throw new RangeError(`liquidations: bins.binTicks must be a whole number >= 1, got ${bt}`);
  const dec = decimalsOf(tick);
  return { index: (p) => levelIndex(p, tick, bt), indexIn: (a, i) => levelIndex(a[i], tick, bt), price: (i) => levelPrice(i, tick, bt, dec) };
}

/**
 * Bins of `step` in log price: index round(log(p) / step). Trade prices move by ticks, far less
 * than a bin, so most prices fall in the bin of the one before: a price strictly inside that bin,
 * by a relative margin of 1e-9 on each side (the rounding of log and exp is ~1e-16), gets its
 * index without a `log`. Every index is the formula's, bit for bit.
 */
class BpsBinner implements Binner {
  /**
   * The remembered bin; 0 before any (never read then: the safe range is empty). A whole number
   * from the start, so the field holds small integers, not a boxed double read back boxed.
   */
  private k = 0;
  private safeLo = Infinity;
  private safeHi = -Infinity;
  /**
   * The bin remembered before (k), kept too: a price going back and forth over a bin edge, as
   * trades do, finds both bins without a `log` and two `exp`s per crossing.
   */
  private k2 = 0;
  private safeLo2 = Infinity;
  private safeHi2 = -Infinity;

  constructor(private readonly step: number) {}

  index(p: number): number {
    if (p > this.safeLo && p < this.safeHi) return this.k;
    return this.miss(p);
  }

  indexIn(prices: Float64Array, i: number): number {
    const p = prices[i];
    if (p > this.safeLo && p < this.safeHi) return this.k;
    return this.miss(p);
  }

  private miss(p: number): number {
    if (p > this.safeLo2 && p < this.safeHi2) {
      const k = this.k2;
      const lo = this.safeLo2;
      const hi = this.safeHi2;
      this.k2 = this.k;
      this.safeLo2 = this.safeLo;
      this.safeHi2 = this.safeHi;
      this.k = k;
      this.safeLo = lo;
      this.safeHi = hi;
      return k;
    }
    const k = Math.round(Math.log(p) / this.step);
    const lo = Math.exp((k - 0.5) * this.step) * (1 + BIN_EDGE_MARGIN);
    const hi = Math.exp((k + 0.5) * this.step) * (1 - BIN_EDGE_MARGIN);
    // Only bins well inside the normal doubles (no subnormal or infinite edge) are remembered.
    if (lo > 1e-300 && hi < 1e300) {
      this.k2 = this.k;
      this.safeLo2 = this.safeLo;
      this.safeHi2 = this.safeHi;
      this.k = k;
      this.safeLo = lo;
      this.safeHi = hi;
    }
    return k;
  }

  price(i: number): number {
    return Math.exp(i * this.step);
  }
}

const BIN_EDGE_MARGIN = 1e-9;

/** Venue names of a venue mask, in VENUES order. */
export function venuesOf(mask: number): Venue[] {
  return VENUES.filter((_, i) => mask & (1 << i));
}

interface Params {
  readonly bin: Binner;
  readonly halfLife: number;
  readonly retain: number;
  readonly multiple: number;
  readonly window: number;
  readonly binMultiple: number;
  readonly clusterMultiple: number;
  readonly minIntensity: number;
}

function params(o: LiquidationMapOptions): Params {
  const d = CLUSTER_DEFAULTS;
  const p = {
    bin: binner(o.bins),
    halfLife: o.halfLifeMs ?? d.halfLifeMs,
    retain: o.retainMs ?? 6 * (o.halfLifeMs ?? d.halfLifeMs),
    multiple: o.medianMultiple ?? d.medianMultiple,
    window: o.windowBins ?? d.windowBins,
    binMultiple: o.binMultiple ?? d.binMultiple,
    clusterMultiple: o.clusterMultiple ?? d.clusterMultiple,
    minIntensity: o.minIntensity ?? d.minIntensity,
  };
  if (!(p.halfLife > 0) || !Number.isFinite(p.halfLife)) throw new RangeError(`liquidations: halfLifeMs must be > 0, got ${p.halfLife}`);
  if (!(p.retain > 0)) throw new RangeError(`liquidations: retainMs must be > 0, got ${p.retain}`);
  if (!(p.multiple >= 0) || !Number.isFinite(p.multiple)) throw new RangeError(`liquidations: medianMultiple must be >= 0, got ${p.multiple}`);
  if (!(Number.isInteger(p.window) && p.window >= 0 && p.window <= 10_000)) throw new RangeError(`liquidations: windowBins must be a whole number in 0..10000, got ${p.window}`);
  if (!(p.binMultiple >= 0) || !Number.isFinite(p.binMultiple)) throw new RangeError(`liquidations: binMultiple must be >= 0, got ${p.binMultiple}`);
  if (!(p.clusterMultiple >= 0) || !Number.isFinite(p.clusterMultiple)) throw new RangeError(`liquidations: clusterMultiple must be >= 0, got ${p.clusterMultiple}`);
  if (!(p.minIntensity >= 0) || !Number.isFinite(p.minIntensity)) throw new RangeError(`liquidations: minIntensity must be >= 0, got ${p.minIntensity}`);
  return p;
}

/** One side of one bin, mutated in place. */
interface SideAcc {
  notional: number;
  qty: number;
  count: number;
  mask: number;
  first: number;
  last: number;
  /** Intensity as of `last`. */
  level: number;
}

function emptySide(): SideAcc {
  return { notional: 0, qty: 0, count: 0, mask: 0, first: NaN, last: NaN, level: 0 };
}

/** The one per-liquidation update both paths use. */
function addLiquidation(s: SideAcc, ts: number, price: number, qty: number, bit: number, p: Params): void {
  const n = price * qty;
  if (s.count > 0 && ts - s.last > p.retain) Object.assign(s, emptySide());
  if (s.count === 0) {
    s.first = ts;
    s.level = n;
  } else {
    s.level = s.level * 2 ** (-(ts - s.last) / p.halfLife) + n;
  }
  s.notional += n;
  s.qty += qty;
  s.count++;
  s.mask |= bit;
  s.last = ts;
}

/**
 * The market's typical liquidation notional as a decayed mean: decayed notional over decayed
 * count, both as of `last`. Their ratio does not change between liquidations (both decay alike),
 * so it is read without decaying.
 */
interface TypicalAcc {
  sum: number;
  count: number;
  last: number;
}

function emptyTypical(): TypicalAcc {
  return { sum: 0, count: 0, last: NaN };
}

/** The one per-liquidation update of the typical notional both paths use, in row order. */
function addTypical(a: TypicalAcc, ts: number, notional: number, p: Params): void {
  const d = a.count > 0 ? 2 ** (-(ts - a.last) / p.halfLife) : 0;
  a.sum = a.sum * d + notional;
  a.count = a.count * d + 1;
  a.last = ts;
}

function alive(s: SideAcc, t: number, p: Params): boolean {
  return s.count > 0 && t - s.last <= p.retain;
}

function checkLiquidation(c: LiquidationColumns, i: number): void {
  const px = c.price[i];
  const q = c.qty[i];
  if (!(px > 0) || !Number.isFinite(px)) throw new RangeError(`liquidations: row ${i} has price ${px}; prices must be finite and > 0`);
  if (!(q >= 0) || !Number.isFinite(q)) throw new RangeError(`liquidations: row ${i} has qty ${q}; quantities must be finite and >= 0`);
  if (c.side[i] !== 1 && c.side[i] !== -1) throw new RangeError(`liquidations: row ${i} has side ${c.side[i]}; accepted: 1 (buy), -1 (sell)`);
}

/** Bit of each entry of a columns' `venues` in the VENUES mask. */
function venueBits(venues: readonly Venue[]): number[] {
  return venues.map((v) => {
    const i = VENUES.indexOf(v);
    if (i < 0) throw new RangeError(`liquidations: unknown venue ${JSON.stringify(v)}`);
    return 1 << i;
  });
}

/** A bin as the snapshot step reads it. */
interface BinRead {
  readonly index: number;
  readonly long: SideAcc;
  readonly short: SideAcc;
  /** Latest trade in the bin with ts <= the snapshot time; -Infinity when none is known. */
  readonly lastTrade: number;
}

/**
 * Median of a dense window of `size` bins whose non-empty entries are vals[lo..hi] (the other
 * bins are empty: zero). Sorts a scratch copy: by insertion for the usual few dozen values (the
 * typed-array sort and a closure per call, named by the loader, cost more than the sorting).
 */
function denseMedian(vals: readonly number[], lo: number, hi: number, size: number, scratch: Float64Array): number {
  const n = hi - lo + 1;
  const zeros = size - n;
  if (n <= 64) {
    for (let j = 0; j < n; j++) {
      const v = vals[lo + j];
      let i = j;
      for (; i > 0 && scratch[i - 1] > v; i--) scratch[i] = scratch[i - 1];
      scratch[i] = v;
    }
  } else {
    for (let j = 0; j < n; j++) scratch[j] = vals[lo + j];
    scratch.subarray(0, n).sort();
  }
  return size % 2 ? rankOf(scratch, zeros, (size - 1) >> 1) : (rankOf(scratch, zeros, size / 2 - 1) + rankOf(scratch, zeros, size / 2)) / 2;
}

/** Value of rank j of `zeros` zeros followed by sorted[0..]. */
function rankOf(sorted: Float64Array, zeros: number, j: number): number {
  return j < zeros ? 0 : sorted[j - zeros];
}

/** Bins, thresholds and clusters at time t from the bins (ascending by index): shared by both paths. */
function finish(p: Params, t: number, reads: readonly BinRead[], typ: TypicalAcc): LiquidationSnapshot {
  const typical = typ.count > 0 ? typ.sum / typ.count : NaN;
  const floor = typ.count > 0 ? p.binMultiple * typical : 0;
  const clusterFloor = typ.count > 0 ? p.clusterMultiple * typical : 0;
  const clusters: LiquidationCluster[] = [];
  const scratch = new Float64Array(p.window + 1);
  const sideOut = (side: LiquidatedSide): LiquidationBin[] => {
    const live: SideAcc[] = [];
    const index: number[] = [];
    const intensity: number[] = [];
    const trades: number[] = [];
    for (const r of reads) {
      const s = side === 'long' ? r.long : r.short;
      if (!alive(s, t, p)) continue;
      live.push(s);
      index.push(r.index);
      intensity.push(s.level * 2 ** (-(t - s.last) / p.halfLife));
      trades.push(r.lastTrade);
    }
    const bins: LiquidationBin[] = [];
    // Window pointers: live bins in [index - w, index] are lo..k, in [index, index + w] k..hi.
    let lo = 0;
    let hi = -1;
    for (let k = 0; k < live.length; k++) {
      while (index[lo] < index[k] - p.window) lo++;
      while (hi + 1 < live.length && index[hi + 1] <= index[k] + p.window) hi++;
      // The busier side of the bin: at the edge of a busy range the inner side is the background.
      const background = Math.max(denseMedian(intensity, lo, k, p.window + 1, scratch), denseMedian(intensity, k, hi, p.window + 1, scratch));
      const s = live[k];
      bins.push({
        index: index[k],
        price: p.bin.price(index[k]),
        notional: s.notional,
        qty: s.qty,
        count: s.count,
        venue_mask: s.mask,
        first_ts: s.first,
        last_ts: s.last,
        intensity: intensity[k],
        background,
        hot: intensity[k] > 0 && intensity[k] >= Math.max(p.minIntensity, p.multiple * background + floor),
      });
    }
    for (let k = 0; k < bins.length; ) {
      if (!bins[k].hot) {
        k++;
        continue;
      }
      // Extend through hot bins at most two indexes apart: a one-bin gap (empty or cold) is bridged.
      let e = k;
      let hotBins = 1;
      for (let j = k + 1; j < bins.length && bins[j].index <= bins[e].index + 2; j++) {
        if (bins[j].hot) {
          e = j;
          hotBins++;
        }
      }
      let sum = 0;
      let notional = 0;
      let qty = 0;
      let count = 0;
      let mask = 0;
      let first = Infinity;
      let last = -Infinity;
      let peak = k;
      let touch = -Infinity;
      for (let j = k; j <= e; j++) {
        const b = bins[j];
        sum += b.intensity;
        notional += b.notional;
        qty += b.qty;
        count += b.count;
        mask |= b.venue_mask;
        if (b.first_ts < first) first = b.first_ts;
        if (b.last_ts > last) last = b.last_ts;
        if (b.intensity > bins[peak].intensity) peak = j;
        if (trades[j] > touch) touch = trades[j];
      }
      if (sum >= clusterFloor) {
        const revisited = touch > last;
        clusters.push({
          side,
          low_index: bins[k].index,
          high_index: bins[e].index,
          low: bins[k].price,
          high: bins[e].price,
          peak: bins[peak].price,
          bins: bins[e].index - bins[k].index + 1,
          hot_bins: hotBins,
          intensity: sum,
          notional,
          qty,
          count,
          venue_mask: mask,
          venues: venuesOf(mask),
          first_ts: first,
          last_ts: last,
          revisited,
          last_touch_ts: revisited ? touch : NaN,
        });
      }
      k = e + 1;
    }
    return bins;
  };
  const longs = sideOut('long');
  const shorts = sideOut('short');
  return { ts: t, typical_notional: typical, floor, cluster_floor: clusterFloor, longs, shorts, clusters };
}

interface LiveBin {
  readonly index: number;
  readonly long: SideAcc;
  readonly short: SideAcc;
  lastTrade: number;
}

/**
 * Incremental liquidation map. Push liquidations and trades in time order (one clock for both:
 * an event earlier than the latest one pushed is refused); `at(t)` gives the snapshot at any
 * t >= the latest event pushed. State: one entry per bin touched within retainMs; expired bins
 * are dropped, which never changes an output.
 */
export class LiquidationMapOperator {
  private readonly p: Params;
  private readonly bins = new Map<number, LiveBin>();
  private readonly typical = emptyTypical();
  private clock = -Infinity;
  private sweepAt = 1024;
  /** The last trade price and its bin. */
  private lastPrice = NaN;
  private lastBin = NaN;
  /**
   * The live bin of lastBin (undefined: none), valid while `lastBinFound`: trades of a run stay
   * in one bin, so the map is read when the bin changes or the map does, not per trade.
   */
  private lastBinLive: LiveBin | undefined;
  private lastBinFound = false;

  constructor(opts: LiquidationMapOptions) {
    this.p = params(opts);
  }

  pushLiquidations(c: LiquidationColumns, from = 0, to = c.length): void {
    const bits = venueBits(c.venues);
    const p = this.p;
    for (let i = from; i < to; i++) {
      const x = c.ts[i];
      if (x < this.clock) throw new OutOfOrderError(x, this.clock);
      checkLiquidation(c, i);
      this.clock = x;
      const index = p.bin.index(c.price[i]);
      let b = this.bins.get(index);
      if (!b) {
        b = { index, long: emptySide(), short: emptySide(), lastTrade: -Infinity };
        this.bins.set(index, b);
        this.lastBinFound = false;
      }
      addLiquidation(c.side[i] < 0 ? b.long : b.short, x, c.price[i], c.qty[i], bits[c.venue[i]], p);
      addTypical(this.typical, x, c.price[i] * c.qty[i], p);
    }
    if (this.bins.size >= this.sweepAt) {
      this.sweep(this.clock);
      this.sweepAt = Math.max(1024, 2 * this.bins.size);
    }
  }

  /** Trades mark bins as touched (for `revisited`); trades in bins without liquidations are ignored. */
  pushTrades(tr: TradeColumns, from = 0, to = tr.length): void {
    const p = this.p;
    for (let i = from; i < to; i++) {
      const x = tr.ts[i];
      if (x < this.clock) throw new OutOfOrderError(x, this.clock);
      this.clock = x;
      // Runs of trades at one price are common: the bin (a log under bps bins) is taken once per run.
      const px = tr.price[i];
      if (px !== this.lastPrice) {
        this.lastPrice = px;
        const k = p.bin.indexIn(tr.price, i);
        if (k !== this.lastBin) {
          this.lastBin = k;
          this.lastBinFound = false;
        }
      }
      if (!this.lastBinFound) {
        this.lastBinLive = this.bins.get(this.lastBin);
        this.lastBinFound = true;
      }
      const b = this.lastBinLive;
      if (b) b.lastTrade = x;
    }
  }

  /** The snapshot at t; t must be >= every event pushed (an output never sees past its time). */
  at(t: number): LiquidationSnapshot {
    if (!(t >= this.clock)) throw new RangeError(`liquidations: snapshot at ${t} ms asked after events up to ${this.clock} ms were pushed`);
    this.sweep(t);
    const reads = [...this.bins.values()].sort((a, b) => a.index - b.index);
    return finish(this.p, t, reads, this.typical);
  }

  /** Drop bins where neither side is live at t: any later liquidation would restart them. */
  private sweep(t: number): void {
    for (const [k, b] of this.bins) if (!alive(b.long, t, this.p) && !alive(b.short, t, this.p)) this.bins.delete(k);
    this.lastBinFound = false;
  }
}

/**
 * Batch: the snapshots at each of `times` (non-decreasing) over whole columns, each seeing only
 * the liquidations and trades with ts <= its time. Same snapshots as LiquidationMapOperator fed
 * the same events (merged in time order, any chunking) and asked at the same times.
 */
export function liquidationSnapshots(liqs: LiquidationColumns, trades: TradeColumns | undefined, times: readonly number[], opts: LiquidationMapOptions): LiquidationSnapshot[] {
  const p = params(opts);
  const bits = venueBits(liqs.venues);
  // Group liquidation rows, then trade times, by bin (each group stays in time order).
  const groups = new Map<number, number[]>();
  for (let i = 0; i < liqs.length; i++) {
    if (i > 0 && liqs.ts[i] < liqs.ts[i - 1]) throw new OutOfOrderError(liqs.ts[i], liqs.ts[i - 1]);
    checkLiquidation(liqs, i);
    const k = p.bin.index(liqs.price[i]);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  const tradeTimes = new Map<number, number[]>();
  if (trades) {
    for (let i = 0; i < trades.length; i++) {
      if (i > 0 && trades.ts[i] < trades.ts[i - 1]) throw new OutOfOrderError(trades.ts[i], trades.ts[i - 1]);
      const k = p.bin.index(trades.price[i]);
      if (!groups.has(k)) continue;
      const g = tradeTimes.get(k);
      if (g) g.push(trades.ts[i]);
      else tradeTimes.set(k, [trades.ts[i]]);
    }
  }
  const cursors = [...groups.keys()]
    .sort((a, b) => a - b)
    .map((index) => ({ index, rows: groups.get(index)!, r: 0, trades: tradeTimes.get(index) ?? [], q: 0, long: emptySide(), short: emptySide(), lastTrade: -Infinity }));
  const out: LiquidationSnapshot[] = [];
  const typical = emptyTypical();
  let row = 0;
  let prev = -Infinity;
  for (const t of times) {
    if (!(t >= prev)) throw new RangeError(`liquidations: snapshot times must be non-decreasing, got ${t} after ${prev}`);
    prev = t;
    for (; row < liqs.length && liqs.ts[row] <= t; row++) addTypical(typical, liqs.ts[row], liqs.price[row] * liqs.qty[row], p);
    for (const c of cursors) {
      for (; c.r < c.rows.length && liqs.ts[c.rows[c.r]] <= t; c.r++) {
        const i = c.rows[c.r];
        addLiquidation(liqs.side[i] < 0 ? c.long : c.short, liqs.ts[i], liqs.price[i], liqs.qty[i], bits[liqs.venue[i]], p);
      }
      for (; c.q < c.trades.length && c.trades[c.q] <= t; c.q++) c.lastTrade = c.trades[c.q];
    }
    out.push(finish(p, t, cursors, typical));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Heatmap: time buckets x price bins of liquidated notional, per side.

export interface HeatmapOptions {
  readonly timeframeMs: number;
  readonly bins: LiquidationBins;
}

/** One time bucket of the heatmap, dense over its own bin range. */
export interface HeatmapRow {
  readonly open_time_ms: number;
  /** Bin index of entry 0. */
  readonly low_index: number;
  /** Liquidated notional (price x qty) of longs (forced sells) and shorts (forced buys) per bin. */
  readonly long: Float64Array;
  readonly short: Float64Array;
}

export interface HeatmapMatrixOptions {
  /** Time axis [fromMs, toMs): buckets from floor(fromMs / tf) x tf; default the data's first to last bucket. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Price axis: the bins of minPrice..maxPrice; default the data's lowest to highest bin. */
  readonly minPrice?: number;
  readonly maxPrice?: number;
  /** Refuse a matrix of more cells (buckets x bins) than this. Default 2^22. */
  readonly maxCells?: number;
}

/** A time x price grid of notional per side: the realized heatmap and the predicted one. */
export interface HeatmapGrid {
  readonly timeframe_ms: number;
  /** Bucket open times (row axis), ascending, every timeframe. */
  readonly bucket_starts: Float64Array;
  /** Bin indexes and prices (column axis), ascending, every bin. */
  readonly bin_indexes: Int32Array;
  readonly bin_prices: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Row-major [bucket][bin]: cell (r, c) at r x cols + c. Notional of longs / shorts. */
  readonly long: Float64Array;
  readonly short: Float64Array;
}

/** One non-empty cell of a heatmap: [row, column, side, notional]. */
export type HeatmapCell = [row: number, col: number, side: 'long' | 'short', notional: number];

/** Every non-empty cell, largest notional first (ties: earlier bucket, then lower bin). */
export function heatmapCells(g: HeatmapGrid): HeatmapCell[] {
  const cells: HeatmapCell[] = [];
  for (let r = 0; r < g.rows; r++) {
    for (let k = 0; k < g.cols; k++) {
      const i = r * g.cols + k;
      if (g.long[i] > 0) cells.push([r, k, 'long', g.long[i]]);
      if (g.short[i] > 0) cells.push([r, k, 'short', g.short[i]]);
    }
  }
  return cells.sort((a, b) => b[3] - a[3] || a[0] - b[0] || a[1] - b[1]);
}

/** Realized: liquidated notional per bucket and bin. */
export interface LiquidationHeatmap extends HeatmapGrid {
  /** Non-empty (bucket, bin, side) cells left out because they lie outside the axes. */
  readonly clipped_cells: number;
}

/** Heatmap rows wider than this many bins are refused (a bad print or far too small a bin). */
export const MAX_ROW_BINS = 1 << 22;

function checkTf(tf: number): void {
  if (!(tf > 0) || !Number.isFinite(tf)) throw new RangeError(`liquidations: timeframeMs must be > 0, got ${tf}`);
}

/**
 * Incremental heatmap: one row per time bucket with liquidations, emitted when a liquidation of a
 * later bucket arrives (or at flush), like footprint candles.
 */
export class LiquidationHeatmapOperator {
  private readonly bin: Binner;
  private readonly tf: number;
  private open = -Infinity;
  private end = -Infinity;
  private long = new Map<number, number>();
  private short = new Map<number, number>();

  constructor(
    opts: HeatmapOptions,
    private readonly emit: Emit<HeatmapRow>,
  ) {
    checkTf(opts.timeframeMs);
    this.tf = opts.timeframeMs;
    this.bin = binner(opts.bins);
  }

  push(c: LiquidationColumns, from = 0, to = c.length): void {
    for (let i = from; i < to; i++) {
      const x = c.ts[i];
      if (x >= this.end) {
        if (this.end !== -Infinity) this.close();
        this.open = Math.floor(x / this.tf) * this.tf;
        this.end = this.open + this.tf;
      } else if (x < this.open) {
        throw new OutOfOrderError(x, this.open);
      }
      checkLiquidation(c, i);
      const k = this.bin.index(c.price[i]);
      const m = c.side[i] < 0 ? this.long : this.short;
      m.set(k, (m.get(k) ?? 0) + c.price[i] * c.qty[i]);
    }
  }

  flush(): void {
    if (this.end !== -Infinity) this.close();
    this.open = -Infinity;
    this.end = -Infinity;
  }

  private close(): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of [this.long, this.short]) {
      for (const k of m.keys()) {
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
    }
    if (hi - lo + 1 > MAX_ROW_BINS) throw new RangeError(`liquidations: a heatmap bucket spans ${hi - lo + 1} bins (more than ${MAX_ROW_BINS}); use larger bins or check for bad prices`);
    const long = new Float64Array(hi - lo + 1);
    const short = new Float64Array(hi - lo + 1);
    for (const [k, v] of this.long) long[k - lo] = v;
    for (const [k, v] of this.short) short[k - lo] = v;
    this.long = new Map();
    this.short = new Map();
    this.emit({ open_time_ms: this.open, low_index: lo, long, short });
  }
}

interface Axes {
  readonly firstBucket: number;
  readonly rows: number;
  readonly loBin: number;
  readonly cols: number;
}

function axes(tf: number, bin: Binner, o: HeatmapMatrixOptions, data: { firstOpen: number; lastOpen: number; loBin: number; hiBin: number }): Axes {
  const firstBucket = o.fromMs !== undefined ? Math.floor(o.fromMs / tf) * tf : data.firstOpen;
  const endBucket = o.toMs !== undefined ? Math.ceil(o.toMs / tf) * tf : data.lastOpen + tf;
  const loBin = o.minPrice !== undefined ? bin.index(o.minPrice) : data.loBin;
  const hiBin = o.maxPrice !== undefined ? bin.index(o.maxPrice) : data.hiBin;
  const rows = Number.isFinite(firstBucket) && endBucket > firstBucket ? Math.round((endBucket - firstBucket) / tf) : 0;
  const cols = Number.isFinite(loBin) && hiBin >= loBin ? hiBin - loBin + 1 : 0;
  const maxCells = o.maxCells ?? 1 << 22;
  if (rows * cols > maxCells) throw new RangeError(`liquidations: heatmap of ${rows} buckets x ${cols} bins exceeds maxCells ${maxCells}; narrow the time or price range, or use larger bins or timeframe`);
  return { firstBucket, rows: rows * cols === 0 ? 0 : rows, loBin, cols: rows * cols === 0 ? 0 : cols };
}

function emptyMatrix(tf: number, bin: Binner, a: Axes, clipped: number, long: Float64Array, short: Float64Array): LiquidationHeatmap {
  const bucket_starts = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) bucket_starts[r] = a.firstBucket + r * tf;
  const bin_indexes = new Int32Array(a.cols);
  const bin_prices = new Float64Array(a.cols);
  for (let c = 0; c < a.cols; c++) {
    bin_indexes[c] = a.loBin + c;
    bin_prices[c] = bin.price(a.loBin + c);
  }
  return { timeframe_ms: tf, bucket_starts, bin_indexes, bin_prices, rows: a.rows, cols: a.cols, long, short, clipped_cells: clipped };
}

/** The dense matrix from heatmap rows (ascending by time), on the axes the options give. */
export function heatmapFromRows(rows: readonly HeatmapRow[], opts: HeatmapOptions & HeatmapMatrixOptions): LiquidationHeatmap {
  checkTf(opts.timeframeMs);
  const tf = opts.timeframeMs;
  const bin = binner(opts.bins);
  let loBin = Infinity;
  let hiBin = -Infinity;
  for (const r of rows) {
    loBin = Math.min(loBin, r.low_index);
    hiBin = Math.max(hiBin, r.low_index + r.long.length - 1);
  }
  const a = axes(tf, bin, opts, { firstOpen: rows.length ? rows[0].open_time_ms : NaN, lastOpen: rows.length ? rows[rows.length - 1].open_time_ms : NaN, loBin, hiBin });
  const long = new Float64Array(a.rows * a.cols);
  const short = new Float64Array(a.rows * a.cols);
  let clipped = 0;
  for (const r of rows) {
    const row = Math.round((r.open_time_ms - a.firstBucket) / tf);
    for (let k = 0; k < r.long.length; k++) {
      const col = r.low_index + k - a.loBin;
      const inside = row >= 0 && row < a.rows && col >= 0 && col < a.cols;
      if (r.long[k] !== 0) {
        if (inside) long[row * a.cols + col] = r.long[k];
        else clipped++;
      }
      if (r.short[k] !== 0) {
        if (inside) short[row * a.cols + col] = r.short[k];
        else clipped++;
      }
    }
  }
  return emptyMatrix(tf, bin, a, clipped, long, short);
}

/** Batch heatmap over whole columns: the same matrix as heatmapFromRows of the operator's rows. */
export function liquidationHeatmap(c: LiquidationColumns, opts: HeatmapOptions & HeatmapMatrixOptions): LiquidationHeatmap {
  checkTf(opts.timeframeMs);
  const tf = opts.timeframeMs;
  const bin = binner(opts.bins);
  const idx = new Float64Array(c.length);
  let loBin = Infinity;
  let hiBin = -Infinity;
  for (let i = 0; i < c.length; i++) {
    if (i > 0 && c.ts[i] < Math.floor(c.ts[i - 1] / tf) * tf) throw new OutOfOrderError(c.ts[i], Math.floor(c.ts[i - 1] / tf) * tf);
    checkLiquidation(c, i);
    idx[i] = bin.index(c.price[i]);
    if (idx[i] < loBin) loBin = idx[i];
    if (idx[i] > hiBin) hiBin = idx[i];
  }
  const open = (i: number) => Math.floor(c.ts[i] / tf) * tf;
  const a = axes(tf, bin, opts, { firstOpen: c.length ? open(0) : NaN, lastOpen: c.length ? open(c.length - 1) : NaN, loBin, hiBin });
  const long = new Float64Array(a.rows * a.cols);
  const short = new Float64Array(a.rows * a.cols);
  const outside = new Set<string>();
  for (let i = 0; i < c.length; i++) {
    const row = Math.round((open(i) - a.firstBucket) / tf);
    const col = idx[i] - a.loBin;
    const n = c.price[i] * c.qty[i];
    if (row >= 0 && row < a.rows && col >= 0 && col < a.cols) (c.side[i] < 0 ? long : short)[row * a.cols + col] += n;
    else if (n !== 0) outside.add(`${open(i)}:${idx[i]}:${c.side[i]}`);
  }
  return emptyMatrix(tf, bin, a, outside.size, long, short);
}
