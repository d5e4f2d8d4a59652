/**
 * Size-weighted flow and big prints (docs/FEATURES.md "Size-weighted flow and big prints").
 *
 * 1. Prints: consecutive trades of the same `ts`, venue and aggressor side are the fills of one
 *    aggressive order and are merged into one print (qty summed, notional = sum of price x qty,
 *    VWAP = notional / qty, count of fills). Streaming with O(1) state (PrintMerger) or over whole
 *    columns (mergePrints).
 * 2. Size buckets: each print is small / medium / large / whale by its notional against three
 *    thresholds, fixed or adaptive (rolling nearest-rank percentiles of print notional over the
 *    last `windowMs`, estimated from prints with a strictly earlier `ts` only: SizeClassifier).
 * 3. Per bar of any timeframe: buy, sell and delta notional and base qty per bucket, counts, and
 *    a size-weighted delta (SizeFlowOperator incremental, sizeFlowBatch over columns).
 *
 * Hot paths use typed arrays; no object is made per trade or per print (only per bar, and one
 * per big print listed).
 */
import { grown, type TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { OutOfOrderError, type Emit, type TradeOperator } from './operator.ts';
import { HOUR_MS } from './timeframe.ts';

export const SIZE_BUCKETS = ['small', 'medium', 'large', 'whale'] as const;
export type SizeBucket = (typeof SIZE_BUCKETS)[number];
/** Bucket index: 0 small, 1 medium, 2 large, 3 whale. */
export const SMALL = 0;
export const MEDIUM = 1;
export const LARGE = 2;
export const WHALE = 3;

// ---------------------------------------------------------------------------------------------
// Prints

/** Prints as columns, one entry per merged aggressive order, in time order. */
export interface PrintColumns {
  readonly length: number;
  readonly ts: Float64Array;
  /** Index into `venues`. */
  readonly venue: Uint8Array;
  /** Aggressor side: +1 buy, -1 sell. */
  readonly side: Int8Array;
  /** Sum of the fills' qty (base units). */
  readonly qty: Float64Array;
  /** Sum of the fills' price x qty (quote units), in fill order. */
  readonly notional: Float64Array;
  /** Number of fills (trades) merged. */
  readonly fills: Uint32Array;
  /** First, last, highest and lowest fill price. */
  readonly first: Float64Array;
  readonly last: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly venues: readonly Venue[];
}

/**
 * Streaming print merger. The open print is held in public fields; `onPrint` is called when it is
 * complete (a trade of another ts, venue or side arrives, or at flush), with the fields still
 * holding it and `nextTs` = the ts of the trade that proved it complete (Infinity at flush).
 * Throws OutOfOrderError when a trade's ts is below the previous trade's.
 */
export class PrintMerger {
  ts = NaN;
  venue = 0;
  side = 0;
  qty = 0;
  notional = 0;
  fills = 0;
  first = NaN;
  last = NaN;
  high = NaN;
  low = NaN;
  nextTs = NaN;

  constructor(private readonly onPrint: () => void) {}

  push(t: TradeColumns, from = 0, to = t.length): void {
    const { ts, price, qty, side, venue } = t;
    for (let i = from; i < to; i++) {
      const x = ts[i];
      const v = venue[i];
      const s = side[i];
      const px = price[i];
      const q = qty[i];
      if (this.fills > 0) {
        if (x === this.ts && v === this.venue && s === this.side) {
          this.qty += q;
          this.notional += px * q;
          this.fills++;
          this.last = px;
          if (px > this.high) this.high = px;
          if (px < this.low) this.low = px;
          continue;
        }
        if (x < this.ts) throw new OutOfOrderError(x, this.ts);
        this.nextTs = x;
        this.onPrint();
      }
      this.ts = x;
      this.venue = v;
      this.side = s;
      this.qty = q;
      this.notional = px * q;
      this.fills = 1;
      this.first = px;
      this.last = px;
      this.high = px;
      this.low = px;
    }
  }

  /** Completes the open print (nextTs = Infinity) and starts afresh. */
  flush(): void {
    if (this.fills > 0) {
      this.nextTs = Infinity;
      this.onPrint();
    }
    this.fills = 0;
    this.ts = NaN;
  }
}

/** The print columns size flow reads (no fill prices): 31 bytes a print. */
export type FlowPrints = Pick<PrintColumns, 'length' | 'ts' | 'venue' | 'side' | 'qty' | 'notional' | 'fills' | 'venues'>;

/** Whole columns -> prints (same prints as PrintMerger over any chunking). */
export function mergePrints(t: TradeColumns): PrintColumns {
  return mergeColumns(t, true) as PrintColumns;
}

/** mergePrints without the fill prices (first, last, high, low): what size flow folds, kept smaller. */
export function mergeFlowPrints(t: TradeColumns): FlowPrints {
  return mergeColumns(t, false);
}

function mergeColumns(t: TradeColumns, prices: boolean): FlowPrints & Partial<PrintColumns> {
  const { ts, price, qty, side, venue } = t;
  const n = t.length;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && ts[i] < ts[i - 1]) throw new OutOfOrderError(ts[i], ts[i - 1]);
    if (i === 0 || ts[i] !== ts[i - 1] || venue[i] !== venue[i - 1] || side[i] !== side[i - 1]) m++;
  }
  const p = {
    length: m,
    ts: new Float64Array(m),
    venue: new Uint8Array(m),
    side: new Int8Array(m),
    qty: new Float64Array(m),
    notional: new Float64Array(m),
    fills: new Uint32Array(m),
    venues: t.venues,
    ...(prices ? { first: new Float64Array(m), last: new Float64Array(m), high: new Float64Array(m), low: new Float64Array(m) } : {}),
  };
  let j = -1;
  for (let i = 0; i < n; i++) {
    const px = price[i];
    const q = qty[i];
    if (i === 0 || ts[i] !== ts[i - 1] || venue[i] !== venue[i - 1] || side[i] !== side[i - 1]) {
      j++;
      p.ts[j] = ts[i];
      p.venue[j] = venue[i];
      p.side[j] = side[i];
      p.qty[j] = q;
      p.notional[j] = px * q;
      p.fills[j] = 1;
      if (prices) {
        p.first![j] = px;
        p.high![j] = px;
        p.low![j] = px;
      }
    } else {
      p.qty[j] += q;
      p.notional[j] += px * q;
      p.fills[j]++;
      if (prices) {
        if (px > p.high![j]) p.high![j] = px;
        if (px < p.low![j]) p.low![j] = px;
      }
    }
    if (prices) p.last![j] = px;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Log-spaced notional histogram and thresholds

/** A value's place relative to a bin edge is trusted by the fast path only beyond this relative distance. */
const EDGE_MARGIN = 1e-9;
/** Scratch to read a double's bits; HIGH: the 32-bit word holding sign, exponent and top 20 mantissa bits. */
const BITS_F64 = new Float64Array(1);
const BITS_U32 = new Uint32Array(BITS_F64.buffer);
const HIGH = (() => {
  BITS_F64[0] = 1;
  return BITS_U32[1] === 0x3ff00000 ? 1 : 0;
})();

function highWord(x: number): number {
  BITS_F64[0] = x;
  return BITS_U32[HIGH];
}

/** The smallest double whose high word is w (low word 0). */
function fromHighWord(w: number): number {
  BITS_U32[HIGH] = w >>> 0;
  BITS_U32[1 - HIGH] = 0;
  return BITS_F64[0];
}

/**
 * Log-spaced bins over [lo, hi): bin b covers [lo x 10^(b/perDecade), lo x 10^((b+1)/perDecade)).
 * Values below lo (and <= 0) go to bin 0, values >= hi to the last bin.
 */
export class LogBins {
  readonly count: number;
  /** The value each bin stands for (`value(b)`), as a column. */
  readonly centres: Float64Array;
  /**
   * Fast path of `index` (a `log10` per print is most of its cost): a value's bin is looked up
   * from its float's exponent and top mantissa bits (`cand`, a slice of an octave narrower than
   * half a bin: the bin or the one above, picked by comparing with the bin's end), then accepted
   * only when the value lies inside that bin by a relative margin of 1e-9, far wider than the
   * rounding of `log10` (~1e-15 here); values near an edge take the `log10` formula. So the bin
   * is always the formula's, bit for bit.
   */
  private readonly cand: Int32Array;
  private readonly shift: number;
  private readonly key0: number;
  /** Bin b is certain for x in [safeLo[b], safeHi[b]). */
  private readonly safeLo: Float64Array;
  private readonly safeHi: Float64Array;
  /** edge[b]: where bin b ends (lo x 10^((b+1)/perDecade)), between its safe end and the next bin's safe start. */
  private readonly edge: Float64Array;
  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly perDecade: number,
  ) {
    if (!(lo > 0 && hi > lo && Number.isFinite(hi))) throw new RangeError(`sizes: need 0 < minNotional < maxNotional, got ${lo} and ${hi}`);
    if (!(Number.isInteger(perDecade) && perDecade >= 1 && perDecade <= 1000)) throw new RangeError(`sizes: binsPerDecade must be a whole number in 1..1000, got ${perDecade}`);
    this.count = Math.ceil(Math.log10(hi / lo) * perDecade);
    if (this.count > 100_000) throw new RangeError(`sizes: the histogram would have ${this.count} bins (at most 100000): narrow minNotional..maxNotional or lower binsPerDecade`);
    this.centres = new Float64Array(this.count);
    for (let b = 0; b < this.count; b++) this.centres[b] = lo * 10 ** ((b + 0.5) / perDecade);
    this.safeLo = new Float64Array(this.count + 1).fill(Infinity);
    this.safeHi = new Float64Array(this.count + 1).fill(-Infinity);
    this.edge = new Float64Array(this.count + 1).fill(Infinity);
    for (let b = 0; b < this.count; b++) {
      this.safeLo[b] = lo * 10 ** (b / perDecade) * (1 + EDGE_MARGIN);
      this.edge[b] = lo * 10 ** ((b + 1) / perDecade);
      this.safeHi[b] = this.edge[b] * (1 - EDGE_MARGIN);
    }
    // Mantissa bits m: an octave cut in 2^m slices, each under half a bin (log10(2) / 2^m x perDecade <= 0.5).
    let m = 4;
    while (m < 20 && 2 ** m < 2 * Math.LOG10E * Math.LN2 * perDecade) m++;
    this.shift = 20 - m;
    this.key0 = highWord(lo) >>> this.shift;
    this.cand = new Int32Array((highWord(hi) >>> this.shift) - this.key0 + 1);
    for (let k = 0; k < this.cand.length; k++) this.cand[k] = this.exactIndex(fromHighWord((this.key0 + k) << this.shift));
  }

  index(x: number): number {
    if (x >= this.lo && x < this.hi) {
      BITS_F64[0] = x;
      let b = this.cand[(BITS_U32[HIGH] >>> this.shift) - this.key0];
      // The bin or the one above, chosen without a branch (which one is a coin toss per print).
      b += Number(x >= this.edge[b]);
      if (x >= this.safeLo[b] && x < this.safeHi[b]) return b;
    }
    return this.exactIndex(x);
  }

  /** The bin by definition: floor(log10(x / lo) x perDecade), clamped. */
  private exactIndex(x: number): number {
    const b = Math.floor(Math.log10(x / this.lo) * this.perDecade);
    return b >= 0 ? (b < this.count ? b : this.count - 1) : 0;
  }

  /** The geometric centre of bin b: the value a bin stands for. */
  value(b: number): number {
    return this.centres[b];
  }
}

/** Nearest rank (1-based) of the p-quantile of `total` values: max(1, ceil(p x total)). */
export function nearestRank(p: number, total: number): number {
  return Math.max(1, Math.ceil(p * total));
}

/** The bin holding the value of nearest rank `rank` (cumulative count first >= rank). */
export function rankBin(counts: Uint32Array, rank: number): number {
  let cum = 0;
  for (let b = 0; b < counts.length; b++) {
    cum += counts[b];
    if (cum >= rank) return b;
  }
  return counts.length - 1;
}

export interface SizeThresholdOptions {
  /**
   * Fixed thresholds [medium, large, whale] in quote notional (ascending; whale may be Infinity).
   * When given, nothing adapts and the options below except `whale` are unused.
   */
  readonly fixed?: readonly [number, number, number];
  /** Percentiles of print notional whose values start medium, large, whale. Default [0.5, 0.95, 0.99]. */
  readonly percentiles?: readonly [number, number, number];
  /** false: no whale bucket (its threshold is Infinity, whale prints count as large). Default true. */
  readonly whale?: boolean;
  /** Rolling window, ms. Default 24h. */
  readonly windowMs?: number;
  /** Expiry granularity, ms: the window drops whole slots. Default 1h. */
  readonly slotMs?: number;
  /** Below this many prints in the window, thresholds come from `fallback`. Default 1000. */
  readonly minPrints?: number;
  /** Warm-up thresholds [medium, large, whale], quote notional. Default [1000, 10000, 100000]. */
  readonly fallback?: readonly [number, number, number];
  /** Histogram resolution. Default 20 bins per decade (relative error <= 5.9%). */
  readonly binsPerDecade?: number;
  /** Histogram range, quote notional; outside values are clamped into the end bins. Default 0.01 .. 1e10. */
  readonly minNotional?: number;
  readonly maxNotional?: number;
}

export const DEFAULT_PERCENTILES: readonly [number, number, number] = [0.5, 0.95, 0.99];
/** The adaptive thresholds' default rolling window and expiry slot (SizeThresholdOptions `windowMs`, `slotMs`). */
export const DEFAULT_WINDOW_MS = 24 * HOUR_MS;
export const DEFAULT_SLOT_MS = HOUR_MS;
export const DEFAULT_FALLBACK: readonly [number, number, number] = [1_000, 10_000, 100_000];

function checkThresholds(t: readonly number[], what: string): void {
  if (t.length !== 3 || !(t[0] > 0 && t[0] <= t[1] && t[1] <= t[2])) throw new RangeError(`sizes: ${what} must be 3 ascending notionals > 0, got ${JSON.stringify(t)}`);
}

/** The histogram bins the options describe (also used for session percentiles). */
export function logBinsOf(o: SizeThresholdOptions = {}): LogBins {
  return new LogBins(o.minNotional ?? 0.01, o.maxNotional ?? 1e10, o.binsPerDecade ?? 20);
}

/** `SizeClassifier.classify`'s arguments as a print. */
const ONE_PRINT = { notional: 0.5, ts: 0.5 };

/** Bucket of a notional against thresholds: < medium small, < large medium, < whale large, else whale. */
export function bucketOf(notional: number, medium: number, large: number, whale: number): number {
  return notional < medium ? SMALL : notional < large ? MEDIUM : notional < whale ? LARGE : WHALE;
}

/**
 * Size thresholds, fixed or adaptive. `classify(notional, ts)` returns a print's bucket and leaves
 * the thresholds it used in `medium`, `large`, `whale` (and `adaptive`: false = fixed or
 * warm-up fallback). Adaptive: a ring of `ceil(windowMs / slotMs)` histograms, one per slot of
 * time; the window at a print in slot k is slots k-S+1..k, so it spans between windowMs - slotMs
 * and windowMs of history. A print joins the histogram only when a later `ts` is classified, so
 * a print is measured against prints with a strictly earlier ts. Memory: S x bins counters.
 * Calls must come in non-decreasing ts.
 */
export class SizeClassifier {
  /**
   * Medium, large and whale thresholds. In a typed array, not in three fields: a number stored
   * into a field V8 keeps as a tagged value, or passed to a call it does not inline, is boxed, and
   * the thresholds are re-estimated at every new ts (an allocation per print, measured).
   */
  private readonly th = new Float64Array([NaN, NaN, NaN]);
  adaptive = false;
  private readonly isFixed: boolean;
  private readonly pct: readonly [number, number, number];
  private readonly fallback: readonly [number, number, number];
  private readonly noWhale: boolean;
  private readonly slotMs: number;
  private readonly nSlots: number;
  private readonly minPrints: number;
  readonly bins: LogBins;
  private readonly slots: Uint32Array;
  private readonly agg: Uint32Array;
  private readonly slotTotal: Uint32Array;
  private total = 0;
  private curSlot = NaN;
  /** curSlot % nSlots, taken when the slot changes (a double `%` per print is a call to fmod). */
  private curRing = 0;
  /**
   * A ts below this is in curSlot or before it (so `advance` would do nothing): the slot's end
   * less a relative 1e-12, far more than the rounding of `ts / slotMs`. Saves a division and a
   * call per print; -Infinity before the first slot.
   */
  private slotSafeEnd = -Infinity;
  private pend = new Int32Array(16);
  private pendN = 0;
  private pendTs = NaN;
  private dirty = true;
  /**
   * While `total` is below this, no percentile's bin can have moved since the last estimate, so
   * `estimate` has nothing to do (0: estimate). Between estimates prints only join (an expiry or
   * a reset sets it to 0), and each join moves a percentile's rank by at most one (one more for
   * rounding: ranks are ceil(p x total) in floats) and the count below its bin by at most one;
   * the last estimate leaves room for as many joins as the closest of those margins allows.
   */
  private lazyUntil = 0;
  /** Per percentile: the bin holding its nearest-rank value, and the count of the bins below it. */
  private readonly qBin = new Int32Array(3);
  private readonly qBelow = new Float64Array(3);

  constructor(o: SizeThresholdOptions = {}) {
    this.noWhale = o.whale === false;
    this.isFixed = o.fixed !== undefined;
    this.pct = o.percentiles ?? DEFAULT_PERCENTILES;
    this.fallback = o.fallback ?? DEFAULT_FALLBACK;
    const windowMs = o.windowMs ?? DEFAULT_WINDOW_MS;
    this.slotMs = o.slotMs ?? DEFAULT_SLOT_MS;
    this.minPrints = o.minPrints ?? 1000;
    this.bins = logBinsOf(o);
    if (o.fixed !== undefined) {
      checkThresholds(o.fixed, 'fixed');
      this.setThresholds(o.fixed[0], o.fixed[1], o.fixed[2], false);
      this.nSlots = 0;
    } else {
      const p = this.pct;
      if (p.length !== 3 || !(p[0] > 0 && p[0] <= p[1] && p[1] <= p[2] && p[2] <= 1)) throw new RangeError(`sizes: percentiles must be 3 ascending values in (0, 1], got ${JSON.stringify(p)}`);
      checkThresholds(this.fallback, 'fallback');
      if (!(this.slotMs > 0 && Number.isFinite(this.slotMs))) throw new RangeError(`sizes: slotMs must be > 0, got ${this.slotMs}`);
      if (!(windowMs >= this.slotMs && Number.isFinite(windowMs))) throw new RangeError(`sizes: windowMs must be >= slotMs, got ${windowMs}`);
      if (!(Number.isInteger(this.minPrints) && this.minPrints >= 1)) throw new RangeError(`sizes: minPrints must be a whole number >= 1, got ${this.minPrints}`);
      this.nSlots = Math.ceil(windowMs / this.slotMs);
      if (this.nSlots > 10_000) throw new RangeError(`sizes: windowMs / slotMs must be <= 10000, got ${this.nSlots}`);
    }
    this.slots = new Uint32Array(this.nSlots * this.bins.count);
    this.agg = new Uint32Array(this.isFixed ? 0 : this.bins.count);
    this.slotTotal = new Uint32Array(this.nSlots);
  }

  get medium(): number {
    return this.th[0];
  }

  get large(): number {
    return this.th[1];
  }

  get whale(): number {
    return this.th[2];
  }

  /** Prints in the window (committed, i.e. with a ts below the last classified ts). */
  get windowPrints(): number {
    return this.total;
  }

  classify(notional: number, ts: number): number {
    ONE_PRINT.notional = notional;
    ONE_PRINT.ts = ts;
    return this.classifyPrint(ONE_PRINT);
  }

  /**
   * `classify(p.notional, p.ts)`, the print's fields read here (a streaming operator passes its
   * open print: a call that is not inlined would box both numbers, an allocation per print).
   */
  classifyPrint(p: { readonly notional: number; readonly ts: number }): number {
    const notional = p.notional;
    const ts = p.ts;
    const th = this.th;
    if (this.isFixed) return notional < th[0] ? SMALL : notional < th[1] ? MEDIUM : notional < th[2] ? LARGE : WHALE;
    if (ts !== this.pendTs) {
      this.commit();
      this.pendTs = ts;
    }
    if (!(ts < this.slotSafeEnd)) this.advance(Math.floor(ts / this.slotMs));
    if (this.dirty) this.estimate();
    if (this.pendN === this.pend.length) this.pend = grown(this.pend, this.pend.length * 2);
    this.pend[this.pendN++] = this.bins.index(notional);
    // bucketOf (the thresholds ascend, so the bucket is the count of them not above the
    // notional; NaN is whale), without a branch: prints fall either side of the median at random.
    return 3 - Number(notional < th[0]) - Number(notional < th[1]) - Number(notional < th[2]);
  }

  /** Forget everything (back to warm-up). */
  reset(): void {
    if (this.isFixed) return;
    this.slots.fill(0);
    this.agg.fill(0);
    this.slotTotal.fill(0);
    this.qBelow.fill(0);
    this.total = 0;
    this.curSlot = NaN;
    this.curRing = 0;
    this.slotSafeEnd = -Infinity;
    this.pendN = 0;
    this.pendTs = NaN;
    this.dirty = true;
    this.lazyUntil = 0;
  }

  /** Pending prints (all of ts pendTs, in slot curSlot) join the histogram. */
  private commit(): void {
    if (this.pendN === 0) return;
    const B = this.bins.count;
    const r = this.curRing;
    const base = r * B;
    const qBin = this.qBin;
    const qBelow = this.qBelow;
    for (let i = 0; i < this.pendN; i++) {
      const b = this.pend[i];
      this.slots[base + b]++;
      this.agg[b]++;
      // Without a branch: a print lands either side of the median at random.
      qBelow[0] += Number(b < qBin[0]);
      qBelow[1] += Number(b < qBin[1]);
      qBelow[2] += Number(b < qBin[2]);
    }
    this.slotTotal[r] += this.pendN;
    this.total += this.pendN;
    this.pendN = 0;
    this.dirty = true;
  }

  /** Move to slot k: slots that leave the window are subtracted and cleared. */
  private advance(k: number): void {
    if (!(k > this.curSlot)) {
      if (this.curSlot !== this.curSlot) this.moveTo(k);
      return;
    }
    const S = this.nSlots;
    const B = this.bins.count;
    if (k - this.curSlot >= S) {
      if (this.total > 0) {
        this.slots.fill(0);
        this.agg.fill(0);
        this.slotTotal.fill(0);
        this.qBelow.fill(0);
        this.total = 0;
        this.dirty = true;
        this.lazyUntil = 0;
      }
    } else {
      for (let j = this.curSlot + 1; j <= k; j++) {
        const r = j % S;
        if (this.slotTotal[r] === 0) continue;
        const base = r * B;
        for (let b = 0; b < B; b++) {
          const c = this.slots[base + b];
          if (c !== 0) {
            this.agg[b] -= c;
            this.slots[base + b] = 0;
            for (let q = 0; q < 3; q++) if (b < this.qBin[q]) this.qBelow[q] -= c;
          }
        }
        this.total -= this.slotTotal[r];
        this.slotTotal[r] = 0;
        this.dirty = true;
        this.lazyUntil = 0;
      }
    }
    this.moveTo(k);
  }

  private moveTo(k: number): void {
    this.curSlot = k;
    this.curRing = k % this.nSlots;
    const end = (k + 1) * this.slotMs;
    this.slotSafeEnd = end - Math.abs(end) * 1e-12;
  }

  /**
   * Thresholds from the window. Each percentile's bin moves from where it was (the counts below
   * it are kept up to date as prints join and expire), so the walk is short when the
   * distribution drifts slowly: exact nearest-rank bins without scanning the histogram. Called
   * at every new ts while prints arrive; the walks run only once the prints joined since the last
   * ones could have moved a bin (lazyUntil): most calls are one comparison. Nothing allocated.
   */
  private estimate(): void {
    this.dirty = false;
    const total = this.total;
    if (total < this.lazyUntil) return;
    if (total < this.minPrints) {
      this.setThresholds(this.fallback[0], this.fallback[1], this.fallback[2], false);
      this.lazyUntil = 0;
      return;
    }
    const agg = this.agg;
    const last = agg.length - 1;
    const qBin = this.qBin;
    const qBelow = this.qBelow;
    const pct = this.pct;
    const th = this.th;
    const centres = this.bins.centres;
    // Joins the bins can take before one may move (see lazyUntil): below stays < rank while
    // rank - 1 - below joins land below the bin; rank (+1 for rounding) stays <= below + count
    // for below + count - rank - 1 joins.
    let room = Infinity;
    for (let q = 0; q < 3; q++) {
      const rank = Math.max(1, Math.ceil(pct[q] * total)); // nearestRank
      let b = qBin[q];
      let below = qBelow[q];
      while (below + agg[b] < rank && b < last) below += agg[b++];
      while (below >= rank && b > 0) below -= agg[--b];
      qBin[q] = b;
      qBelow[q] = below;
      th[q] = centres[b];
      room = Math.min(room, rank - 1 - below, below + agg[b] - rank - 1);
    }
    this.lazyUntil = total + room + 1;
    if (this.noWhale) th[2] = Infinity;
    this.adaptive = true;
  }

  private setThresholds(m: number, l: number, w: number, adaptive: boolean): void {
    this.th[0] = m;
    this.th[1] = l;
    this.th[2] = this.noWhale ? Infinity : w;
    this.adaptive = adaptive;
  }
}

/** Bucket of every print (batch; the same SizeClassifier rules). */
export function classifyPrints(p: PrintColumns, o: SizeThresholdOptions = {}): Uint8Array {
  const c = new SizeClassifier(o);
  const out = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = c.classify(p.notional[i], p.ts[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-bar size-weighted flow

export interface SizeFlowOptions {
  readonly timeframeMs: number;
  readonly thresholds?: SizeThresholdOptions;
  /** Weights of small, medium, large, whale in the size-weighted delta. Default [0.25, 1, 2, 4]. */
  readonly weights?: readonly [number, number, number, number];
  /** Prints of this bucket and above are listed in `big_prints`; 'none' lists none. Default 'whale'. */
  readonly bigPrintMin?: SizeBucket | 'none';
}

export const DEFAULT_WEIGHTS: readonly [number, number, number, number] = [0.25, 1, 2, 4];

export interface SizeBucketFlow {
  /** Prints (merged orders) and fills (trades) in the bucket. */
  readonly prints: number;
  readonly buy_prints: number;
  readonly sell_prints: number;
  readonly trades: number;
  /** Aggressive buy / sell notional (quote units), delta = buy - sell. */
  readonly buy_notional: number;
  readonly sell_notional: number;
  readonly delta_notional: number;
  /** Same in base units. */
  readonly buy_qty: number;
  readonly sell_qty: number;
  readonly delta_qty: number;
}

export interface BigPrint {
  readonly ts: number;
  readonly venue: Venue;
  readonly side: 'buy' | 'sell';
  /** VWAP of the fills. */
  readonly price: number;
  readonly qty: number;
  readonly notional: number;
  readonly fills: number;
  readonly bucket: SizeBucket;
}

export interface SizeBar {
  /** Bar open, epoch ms (multiple of the timeframe). */
  readonly open_time_ms: number;
  readonly prints: number;
  readonly trades: number;
  /** Totals over the buckets (sums of the four buckets in bucket order). */
  readonly buy_notional: number;
  readonly sell_notional: number;
  readonly delta_notional: number;
  readonly buy_qty: number;
  readonly sell_qty: number;
  readonly delta_qty: number;
  /** sum over buckets of weight x delta_notional (resp. delta_qty). */
  readonly weighted_delta_notional: number;
  readonly weighted_delta_qty: number;
  readonly small: SizeBucketFlow;
  readonly medium: SizeBucketFlow;
  readonly large: SizeBucketFlow;
  readonly whale: SizeBucketFlow;
  /** Largest print notional in the bar. */
  readonly max_print_notional: number;
  /** Thresholds used for the bar's last print: medium starts at medium_min, etc. (Infinity = no whale). */
  readonly medium_min: number;
  readonly large_min: number;
  readonly whale_min: number;
  /** true when those thresholds came from the rolling window, false when fixed or warm-up fallback. */
  readonly adaptive: boolean;
  /** Prints of bucket >= bigPrintMin, in time order. */
  readonly big_prints: readonly BigPrint[];
}

interface FlowParams {
  readonly tf: number;
  readonly weights: readonly [number, number, number, number];
  readonly bigMin: number;
}

function flowParams(o: SizeFlowOptions): FlowParams {
  if (!(o.timeframeMs > 0) || !Number.isFinite(o.timeframeMs)) throw new RangeError(`sizes: timeframeMs must be > 0, got ${o.timeframeMs}`);
  const weights = o.weights ?? DEFAULT_WEIGHTS;
  if (weights.length !== 4 || !weights.every((w) => Number.isFinite(w))) throw new RangeError(`sizes: weights must be 4 finite numbers, got ${JSON.stringify(weights)}`);
  const big = o.bigPrintMin ?? 'whale';
  return { tf: o.timeframeMs, weights, bigMin: big === 'none' ? 4 : SIZE_BUCKETS.indexOf(big) };
}

/**
 * Bar accumulators: f[b*4 + 0..3] = buy notional, sell notional, buy qty, sell qty of bucket b;
 * n[b*3 + 0..2] = buy prints, sell prints, fills of bucket b.
 */
function finishBar(p: FlowParams, open: number, f: Float64Array, n: Uint32Array, maxPrint: number, c: Thresholds, big: BigPrint[]): SizeBar {
  const flows: SizeBucketFlow[] = [];
  let bn = 0;
  let sn = 0;
  let bq = 0;
  let sq = 0;
  let wn = 0;
  let wq = 0;
  let prints = 0;
  let trades = 0;
  for (let b = 0; b < 4; b++) {
    const k = b * 4;
    const dn = f[k] - f[k + 1];
    const dq = f[k + 2] - f[k + 3];
    flows.push({
      prints: n[b * 3] + n[b * 3 + 1],
      buy_prints: n[b * 3],
      sell_prints: n[b * 3 + 1],
      trades: n[b * 3 + 2],
      buy_notional: f[k],
      sell_notional: f[k + 1],
      delta_notional: dn,
      buy_qty: f[k + 2],
      sell_qty: f[k + 3],
      delta_qty: dq,
    });
    bn += f[k];
    sn += f[k + 1];
    bq += f[k + 2];
    sq += f[k + 3];
    wn += p.weights[b] * dn;
    wq += p.weights[b] * dq;
    prints += n[b * 3] + n[b * 3 + 1];
    trades += n[b * 3 + 2];
  }
  return {
    open_time_ms: open,
    prints,
    trades,
    buy_notional: bn,
    sell_notional: sn,
    delta_notional: bn - sn,
    buy_qty: bq,
    sell_qty: sq,
    delta_qty: bq - sq,
    weighted_delta_notional: wn,
    weighted_delta_qty: wq,
    small: flows[0],
    medium: flows[1],
    large: flows[2],
    whale: flows[3],
    max_print_notional: maxPrint,
    medium_min: c.medium,
    large_min: c.large,
    whale_min: c.whale,
    adaptive: c.adaptive,
    big_prints: big,
  };
}

/** The thresholds a bar reports: a SizeClassifier's, or those PrintClasses recorded. */
interface Thresholds {
  readonly medium: number;
  readonly large: number;
  readonly whale: number;
  readonly adaptive: boolean;
}

function bigPrint(venues: readonly Venue[], ts: number, venue: number, side: number, qty: number, notional: number, fills: number, bucket: number): BigPrint {
  return { ts, venue: venues[venue], side: side > 0 ? 'buy' : 'sell', price: notional / qty, qty, notional, fills, bucket: SIZE_BUCKETS[bucket] };
}

/**
 * Incremental size-weighted flow: push trades in time order; a bar is emitted as soon as a trade
 * of a later bar arrives (that trade completes the bar's last print), or at flush. State: the
 * open print, one bar's accumulators and the classifier's fixed-size histograms.
 *
 * The prints are merged here, as PrintMerger merges them, in the push loop itself: a completed
 * print is folded by a method call, not through a callback, and without the fill prices size
 * flow does not read (nearly every trade is a print of its own: this is the per-trade path).
 */
export class SizeFlowOperator implements TradeOperator {
  private readonly p: FlowParams;
  private readonly c: SizeClassifier;
  private readonly f = new Float64Array(16);
  private readonly n = new Uint32Array(12);
  private maxPrint = 0;
  private big: BigPrint[] = [];
  private open = NaN;
  private end = -Infinity;
  private venues: readonly Venue[] = [];
  // The open print (fills = 0: none). `ts` and `notional` are read by SizeClassifier.classifyPrint.
  ts = NaN;
  notional = 0;
  private venue = 0;
  private side = 0;
  private qty = 0;
  private fills = 0;
  /**
   * The ts of the trade that completed the open print (Infinity at flush). A field, not an
   * argument: a number passed to a call V8 does not inline (this one) is boxed, once a print.
   */
  private nextTs = NaN;

  constructor(
    opts: SizeFlowOptions,
    private readonly emit: Emit<SizeBar>,
  ) {
    this.p = flowParams(opts);
    this.c = new SizeClassifier(opts.thresholds);
  }

  push(t: TradeColumns, from = 0, to = t.length): void {
    this.venues = t.venues;
    const { ts, price, qty, side, venue } = t;
    for (let i = from; i < to; i++) {
      const x = ts[i];
      const v = venue[i];
      const s = side[i];
      const px = price[i];
      const q = qty[i];
      if (this.fills > 0) {
        if (x === this.ts && v === this.venue && s === this.side) {
          this.qty += q;
          this.notional += px * q;
          this.fills++;
          continue;
        }
        if (x < this.ts) throw new OutOfOrderError(x, this.ts);
        this.nextTs = x;
        this.print();
      }
      this.ts = x;
      this.venue = v;
      this.side = s;
      this.qty = q;
      this.notional = px * q;
      this.fills = 1;
    }
  }

  flush(): void {
    if (this.fills > 0) {
      this.nextTs = Infinity;
      this.print();
    }
    this.fills = 0;
    this.ts = NaN;
    this.c.reset();
    this.end = -Infinity;
    this.open = NaN;
  }

  /** Folds the open print. */
  private print(): void {
    const ts = this.ts;
    if (ts >= this.end) {
      this.open = Math.floor(ts / this.p.tf) * this.p.tf;
      this.end = this.open + this.p.tf;
    }
    const notional = this.notional;
    const b = this.c.classifyPrint(this);
    // The buy or the sell slots, picked without a branch (the aggressor side is a coin toss).
    const sell = Number(!(this.side > 0));
    this.f[b * 4 + sell] += notional;
    this.f[b * 4 + 2 + sell] += this.qty;
    this.n[b * 3 + sell]++;
    this.n[b * 3 + 2] += this.fills;
    if (notional > this.maxPrint) this.maxPrint = notional;
    if (b >= this.p.bigMin) this.big.push(bigPrint(this.venues, ts, this.venue, this.side, this.qty, notional, this.fills, b));
    if (this.nextTs >= this.end) {
      const bar = finishBar(this.p, this.open, this.f, this.n, this.maxPrint, this.c, this.big);
      this.f.fill(0);
      this.n.fill(0);
      this.maxPrint = 0;
      this.big = [];
      this.emit(bar);
    }
  }
}

/**
 * Every print's bucket, classified once (SizeClassifier, in print order), and the thresholds in
 * force after each print as change points (they are histogram bin centres: they change far more
 * rarely than prints come). Several folds of the same prints (bars of any timeframe, big prints)
 * share one classification: the dashboard's sizes and prints of one range.
 */
export interface PrintClasses {
  readonly bucket: Uint8Array;
  /** From print changeAt[i] on, the thresholds are medium[i], large[i], whale[i], adaptive[i]. */
  readonly changeAt: readonly number[];
  readonly medium: readonly number[];
  readonly large: readonly number[];
  readonly whale: readonly number[];
  readonly adaptive: readonly boolean[];
}

/** Classify `p`'s prints in order; the buckets and thresholds `sizeFlowBatch` folds. */
export function classifyPrintClasses(p: Pick<PrintColumns, 'length' | 'ts' | 'notional'>, o: SizeThresholdOptions = {}): PrintClasses {
  const c = new SizeClassifier(o);
  const bucket = new Uint8Array(p.length);
  const out = { bucket, changeAt: [] as number[], medium: [] as number[], large: [] as number[], whale: [] as number[], adaptive: [] as boolean[] };
  let k = -1;
  for (let i = 0; i < p.length; i++) {
    bucket[i] = c.classify(p.notional[i], p.ts[i]);
    if (k < 0 || c.medium !== out.medium[k] || c.large !== out.large[k] || c.whale !== out.whale[k] || c.adaptive !== out.adaptive[k]) {
      out.changeAt.push(i);
      out.medium.push(c.medium);
      out.large.push(c.large);
      out.whale.push(c.whale);
      out.adaptive.push(c.adaptive);
      k++;
    }
  }
  return out;
}

/**
 * Batch size-weighted flow over whole columns (time order): mergePrints, classifyPrintClasses,
 * then one pass over the prints (sizeFlowOfPrints). The same bars as SizeFlowOperator fed the
 * same trades in any chunking.
 */
export function sizeFlowBatch(t: TradeColumns, opts: SizeFlowOptions): SizeBar[] {
  const pr = mergeFlowPrints(t);
  return sizeFlowOfPrints(pr, classifyPrintClasses(pr, opts.thresholds), opts);
}

/**
 * The bars of `pr` classified as `classes` (classifyPrintClasses with `opts.thresholds`):
 * `sizeFlowBatch` from its prints on, so one classification serves folds of several timeframes.
 */
export function sizeFlowOfPrints(pr: FlowPrints, classes: PrintClasses, opts: SizeFlowOptions): SizeBar[] {
  const p = flowParams(opts);
  if (classes.bucket.length !== pr.length) throw new RangeError(`sizes: ${classes.bucket.length} print classes for ${pr.length} prints`);
  const out: SizeBar[] = [];
  const f = new Float64Array(16);
  const n = new Uint32Array(12);
  const th = { medium: NaN, large: NaN, whale: NaN, adaptive: false };
  let change = 0;
  let maxPrint = 0;
  let big: BigPrint[] = [];
  let bar = NaN;
  for (let i = 0; i < pr.length; i++) {
    const ts = pr.ts[i];
    const bi = Math.floor(ts / p.tf);
    if (bi !== bar) {
      if (bar === bar) {
        out.push(finishBar(p, bar * p.tf, f, n, maxPrint, th, big));
        f.fill(0);
        n.fill(0);
        maxPrint = 0;
        big = [];
      }
      bar = bi;
    }
    // The thresholds after this print: those a classifier would hold when the bar ends on it.
    while (change < classes.changeAt.length && classes.changeAt[change] <= i) {
      th.medium = classes.medium[change];
      th.large = classes.large[change];
      th.whale = classes.whale[change];
      th.adaptive = classes.adaptive[change];
      change++;
    }
    const notional = pr.notional[i];
    const b = classes.bucket[i];
    if (pr.side[i] > 0) {
      f[b * 4] += notional;
      f[b * 4 + 2] += pr.qty[i];
      n[b * 3]++;
    } else {
      f[b * 4 + 1] += notional;
      f[b * 4 + 3] += pr.qty[i];
      n[b * 3 + 1]++;
    }
    n[b * 3 + 2] += pr.fills[i];
    if (notional > maxPrint) maxPrint = notional;
    if (b >= p.bigMin) big.push(bigPrint(pr.venues, ts, pr.venue[i], pr.side[i], pr.qty[i], notional, pr.fills[i], b));
  }
  if (bar === bar) out.push(finishBar(p, bar * p.tf, f, n, maxPrint, th, big));
  return out;
}
