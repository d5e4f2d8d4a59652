/**
 * Cross-venue corroboration (docs/FEATURES.md "Cross-venue corroboration"): do Binance, OKX and
 * Bybit flows agree?
 *
 * Per window of `timeframeMs` (epoch-aligned, default 5m), cut into sub-buckets of `bucketMs`
 * (default 10s), for each venue with trades: aggressive delta (base and notional), volume,
 * notional, return. Then, over the **material** venues (volume share >= `minShare`):
 * - agreement: notional-weighted mean of each venue's delta sign (a dead band `neutralImbalance`
 *   of |delta| / volume counts as 0), in [-1, 1];
 * - correlation: mean over venue pairs of the Pearson correlation of their sub-bucket delta
 *   series (sub-buckets where neither venue traded are left out; NaN under 3 points);
 * - lead-lag: per pair, the lag in sub-buckets within +-`maxLag` maximizing that correlation;
 * - score = agreement x max(0, correlation) (agreement alone when correlation is NaN), or null
 *   when fewer than two venues are material: one venue's own sign corroborates nothing;
 * - disagree: material venues with opposite signs, or correlation below `disagreeCorrelation`.
 *
 * A window is emitted when a trade at or after its close arrives, or at flush, and uses only its
 * own trades. State is one window of typed arrays (venues x sub-buckets); no object per trade.
 * Venues are keyed by their place in VENUES, so the order of a batch's `venues` list, and which
 * list each pushed batch carries, never matter.
 */
import type { TradeColumns } from '../core/columns.ts';
import { VENUES, type Venue } from '../core/events.ts';
import { OutOfOrderError, type Emit, type TradeOperator } from './operator.ts';
import { MINUTE_MS } from './timeframe.ts';

export interface CrossVenueOptions {
  /** Window length, ms; windows open at `floor(ts / tf) * tf`. Default 5m. */
  readonly timeframeMs?: number;
  /** Sub-bucket length, ms; must divide `timeframeMs` (at most 100 000 sub-buckets). Default 10s. */
  readonly bucketMs?: number;
  /** A venue is material when its share of the window's base volume is >= this, [0, 1]. Default 0.1. */
  readonly minShare?: number;
  /** |delta| / volume below this counts as no direction (sign 0), [0, 1]. Default 0.05. */
  readonly neutralImbalance?: number;
  /** Lead-lag search range, sub-buckets (whole number, below the number of sub-buckets). Default 3. */
  readonly maxLag?: number;
  /** `disagree` is also set when the window's correlation is below this, [-1, 1]. Default 0. */
  readonly disagreeCorrelation?: number;
}

export const CROSS_VENUE_DEFAULTS = {
  timeframeMs: 5 * MINUTE_MS,
  bucketMs: 10_000,
  minShare: 0.1,
  neutralImbalance: 0.05,
  maxLag: 3,
  disagreeCorrelation: 0,
} as const satisfies Required<CrossVenueOptions>;

/** One venue's flow in a window (venues with at least one trade in it). */
export interface VenueFlow {
  readonly venue: Venue;
  readonly trades: number;
  /** Aggressive buy + sell volume, base units. */
  readonly volume: number;
  /** Sum of price x qty, quote units. */
  readonly notional: number;
  /** Aggressive buy - sell volume, base units. */
  readonly delta: number;
  /** Aggressive buy - sell notional, quote units. */
  readonly delta_notional: number;
  /** volume / the window's volume over all venues. */
  readonly share: number;
  /** (last price / first price - 1) x 10 000, first and last of this venue's trades in the window. */
  readonly return_bps: number;
  /** sign(delta), or 0 when |delta| < neutralImbalance x volume. */
  readonly sign: -1 | 0 | 1;
  /** share >= minShare: the venue counts for agreement, correlation, lead-lag and disagree. */
  readonly material: boolean;
}

/** Lead-lag of a pair of material venues, `a` before `b` in VENUES order. */
export interface LeadLag {
  readonly a: Venue;
  readonly b: Venue;
  /**
   * The lag k in [-maxLag, maxLag] maximizing corr(delta_a[i], delta_b[i + k]): k > 0 means b
   * follows a by k sub-buckets (a leads). NaN when no lag has a defined correlation.
   */
  readonly lag: number;
  /** The correlation at `lag` (NaN with it). */
  readonly corr: number;
  /** The correlation at lag 0 (what `correlation` averages), NaN under 3 points. */
  readonly corr0: number;
  /** a when lag > 0, b when lag < 0, null when lag is 0 or NaN. */
  readonly leader: Venue | null;
}

export interface CrossVenueWindow {
  /** Window close, epoch ms (= window_start + timeframeMs): when this output becomes known. */
  readonly ts: number;
  readonly window_start: number;
  /** Venues with trades in the window, in VENUES order. */
  readonly venues: VenueFlow[];
  /** Notional-weighted mean of the material venues' signs, [-1, 1]. */
  readonly agreement: number;
  /** Mean of the material pairs' defined lag-0 correlations; NaN when none is defined. */
  readonly correlation: number;
  readonly lead_lag: LeadLag[];
  /**
   * agreement x max(0, correlation), or agreement when correlation is NaN; [-1, 1]. null when
   * fewer than two venues are material (share of the window's volume >= minShare): a single
   * venue's sign would read as full corroboration (+-1) with nothing to corroborate it.
   */
  readonly score: number | null;
  /** Material venues with opposite signs, or correlation < disagreeCorrelation. */
  readonly disagree: boolean;
}

interface Params {
  readonly tf: number;
  readonly bucket: number;
  /** Sub-buckets per window. */
  readonly k: number;
  readonly minShare: number;
  readonly neutral: number;
  readonly maxLag: number;
  readonly disagreeCorr: number;
}

const MAX_BUCKETS = 100_000;

function params(o: CrossVenueOptions): Params {
  const d = CROSS_VENUE_DEFAULTS;
  const tf = o.timeframeMs ?? d.timeframeMs;
  const bucket = o.bucketMs ?? d.bucketMs;
  const minShare = o.minShare ?? d.minShare;
  const neutral = o.neutralImbalance ?? d.neutralImbalance;
  const maxLag = o.maxLag ?? d.maxLag;
  const disagreeCorr = o.disagreeCorrelation ?? d.disagreeCorrelation;
  if (!(tf > 0) || !Number.isFinite(tf)) throw new RangeError(`venues: timeframeMs must be > 0, got ${tf}`);
  const k = tf / bucket;
  if (!(bucket > 0) || !Number.isInteger(k) || k > MAX_BUCKETS) {
    throw new RangeError(`venues: bucketMs must be > 0 and divide timeframeMs (${tf}) into at most ${MAX_BUCKETS} sub-buckets, got ${bucket}`);
  }
  if (!(minShare >= 0 && minShare <= 1)) throw new RangeError(`venues: minShare must be in [0, 1], got ${minShare}`);
  if (!(neutral >= 0 && neutral <= 1)) throw new RangeError(`venues: neutralImbalance must be in [0, 1], got ${neutral}`);
  if (!Number.isInteger(maxLag) || maxLag < 0 || maxLag >= k) throw new RangeError(`venues: maxLag must be a whole number in [0, ${k - 1}] (sub-buckets per window - 1), got ${maxLag}`);
  if (!(disagreeCorr >= -1 && disagreeCorr <= 1)) throw new RangeError(`venues: disagreeCorrelation must be in [-1, 1], got ${disagreeCorr}`);
  return { tf, bucket, k, minShare, neutral, maxLag, disagreeCorr };
}

/** For each entry of a batch's `venues`, its slot (index in VENUES). */
function slotsOf(venues: readonly Venue[]): Uint8Array {
  const s = new Uint8Array(venues.length);
  venues.forEach((v, i) => {
    const j = VENUES.indexOf(v);
    if (j < 0) throw new RangeError(`venues: unknown venue ${JSON.stringify(v)} (expected one of ${VENUES.join(', ')})`);
    s[i] = j;
  });
  return s;
}

/**
 * Pearson correlation of (x[i], y[i + lag]) over the sub-buckets i where either venue traded
 * (x = slot a's delta series, y = slot b's); NaN under 3 such points or with a constant side.
 */
function pearson(delta: Float64Array, vol: Float64Array, k: number, a: number, b: number, lag: number): number {
  const lo = Math.max(0, -lag);
  const hi = Math.min(k, k - lag);
  const oa = a * k;
  const ob = b * k + lag;
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = lo; i < hi; i++) {
    if (vol[oa + i] > 0 || vol[ob + i] > 0) {
      n++;
      sx += delta[oa + i];
      sy += delta[ob + i];
    }
  }
  if (n < 3) return NaN;
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = lo; i < hi; i++) {
    if (vol[oa + i] > 0 || vol[ob + i] > 0) {
      const dx = delta[oa + i] - mx;
      const dy = delta[ob + i] - my;
      sxx += dx * dx;
      syy += dy * dy;
      sxy += dx * dy;
    }
  }
  if (!(sxx > 0 && syy > 0)) return NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** One open window: per-venue totals and per-venue x sub-bucket delta and volume. */
class Window {
  private readonly nv = VENUES.length;
  /** [slot * k + sub-bucket] */
  readonly subDelta: Float64Array;
  readonly subVol: Float64Array;
  /** [slot * 4 + 0..3]: buy qty, sell qty, buy notional, sell notional (the side picks the slot, no branch). */
  readonly flow = new Float64Array(this.nv * 4);
  readonly first = new Float64Array(this.nv);
  readonly last = new Float64Array(this.nv);
  readonly trades = new Float64Array(this.nv);

  constructor(private readonly p: Params) {
    this.subDelta = new Float64Array(this.nv * p.k);
    this.subVol = new Float64Array(this.nv * p.k);
  }

  /**
   * Trade `i` of `t` in the window opened at `open`, at venue slot `slot`. The row is read here:
   * numbers passed to a call V8 does not inline are boxed (this one was not: two allocations a trade).
   */
  add(slot: number, t: TradeColumns, i: number, open: number): void {
    const side = t.side[i];
    const price = t.price[i];
    const qty = t.qty[i];
    const offsetMs = t.ts[i] - open;
    const k = this.p.k;
    let j = Math.floor(offsetMs / this.p.bucket);
    if (j >= k) j = k - 1; // float rounding just below the close
    const c = slot * k + j;
    // Buy or sell, without a branch (the aggressor side is a coin toss per trade); x + (-q) is x - q exactly.
    const sell = Number(!(side > 0));
    this.flow[slot * 4 + sell] += qty;
    this.flow[slot * 4 + 2 + sell] += price * qty;
    this.subDelta[c] += (1 - 2 * sell) * qty;
    this.subVol[c] += qty;
    if (this.trades[slot] === 0) this.first[slot] = price;
    this.last[slot] = price;
    this.trades[slot]++;
  }

  /** The window's output; the state is cleared for the next window. */
  close(open: number): CrossVenueWindow {
    const p = this.p;
    const nv = this.nv;
    let total = 0;
    const f = this.flow;
    for (let s = 0; s < nv; s++) total += f[s * 4] + f[s * 4 + 1];
    const venues: VenueFlow[] = [];
    const material: number[] = [];
    let w = 0;
    let ws = 0;
    let pos = false;
    let neg = false;
    for (let s = 0; s < nv; s++) {
      if (this.trades[s] === 0) continue;
      const volume = f[s * 4] + f[s * 4 + 1];
      const delta = f[s * 4] - f[s * 4 + 1];
      const notional = f[s * 4 + 2] + f[s * 4 + 3];
      const share = total > 0 ? volume / total : 0;
      const sign = (Math.abs(delta) >= p.neutral * volume ? Math.sign(delta) : 0) as -1 | 0 | 1;
      const isMaterial = volume > 0 && share >= p.minShare;
      if (isMaterial) {
        material.push(s);
        w += notional;
        ws += sign * notional;
        if (sign > 0) pos = true;
        if (sign < 0) neg = true;
      }
      venues.push({
        venue: VENUES[s],
        trades: this.trades[s],
        volume,
        notional,
        delta,
        delta_notional: f[s * 4 + 2] - f[s * 4 + 3],
        share,
        return_bps: (this.last[s] / this.first[s] - 1) * 10_000,
        sign,
        material: isMaterial,
      });
    }
    const agreement = w > 0 ? ws / w + 0 : 0;
    const leadLag: LeadLag[] = [];
    let sum = 0;
    let n = 0;
    for (let x = 0; x < material.length; x++) {
      for (let y = x + 1; y < material.length; y++) {
        const a = material[x];
        const b = material[y];
        const corr0 = pearson(this.subDelta, this.subVol, p.k, a, b, 0);
        if (corr0 === corr0) {
          sum += corr0;
          n++;
        }
        // Lags in the order 0, 1, -1, 2, -2...: a tie keeps the smaller |lag|, then a leading.
        let lag = corr0 === corr0 ? 0 : NaN;
        let corr = corr0;
        for (let m = 1; m <= p.maxLag; m++) {
          for (const l of [m, -m]) {
            const r = pearson(this.subDelta, this.subVol, p.k, a, b, l);
            if (r === r && !(r <= corr)) {
              corr = r;
              lag = l;
            }
          }
        }
        leadLag.push({ a: VENUES[a], b: VENUES[b], lag, corr, corr0, leader: lag > 0 ? VENUES[a] : lag < 0 ? VENUES[b] : null });
      }
    }
    const correlation = n > 0 ? sum / n : NaN;
    const score = material.length < 2 ? null : (correlation === correlation ? agreement * Math.max(0, correlation) : agreement) + 0;
    const disagree = (pos && neg) || correlation < p.disagreeCorr;
    this.clear();
    return { ts: open + p.tf, window_start: open, venues, agreement, correlation, lead_lag: leadLag, score, disagree };
  }

  private clear(): void {
    this.subDelta.fill(0);
    this.subVol.fill(0);
    this.flow.fill(0);
    this.trades.fill(0);
  }
}

/**
 * Incremental cross-venue corroboration: push trades of any venues in time order; a window is
 * emitted as soon as a trade at or after its close arrives, or at flush. Within the open window
 * trades may come in any order (e.g. one venue's batch after another's); a trade before it throws
 * OutOfOrderError.
 */
export class CrossVenueOperator implements TradeOperator {
  private readonly p: Params;
  private readonly w: Window;
  private open = -Infinity;
  private end = -Infinity;
  /** The slots of the last venue list seen: a store's chunks share one list, and a push is often a few trades. */
  private slotsFor: readonly Venue[] | undefined;
  private slots: Uint8Array = new Uint8Array(0);

  constructor(
    opts: CrossVenueOptions,
    private readonly emit: Emit<CrossVenueWindow>,
  ) {
    this.p = params(opts);
    this.w = new Window(this.p);
  }

  push(t: TradeColumns, from = 0, to = t.length): void {
    if (t.venues !== this.slotsFor || t.venues.length !== this.slots.length) {
      this.slots = slotsOf(t.venues);
      this.slotsFor = t.venues;
    }
    const slots = this.slots;
    const { ts, venue } = t;
    const tf = this.p.tf;
    for (let i = from; i < to; i++) {
      const x = ts[i];
      if (x >= this.end) {
        if (this.end !== -Infinity) this.emit(this.w.close(this.open));
        this.open = Math.floor(x / tf) * tf;
        this.end = this.open + tf;
      } else if (x < this.open) {
        throw new OutOfOrderError(x, this.open);
      }
      this.w.add(slots[venue[i]], t, i, this.open);
    }
  }

  flush(): void {
    if (this.end !== -Infinity) this.emit(this.w.close(this.open));
    this.open = -Infinity;
    this.end = -Infinity;
  }
}

/**
 * Batch cross-venue corroboration over whole columns: the same windows as CrossVenueOperator fed
 * the same trades in any chunking, in one pass without the operator.
 */
export function crossVenueBatch(t: TradeColumns, opts: CrossVenueOptions = {}): CrossVenueWindow[] {
  const p = params(opts);
  const w = new Window(p);
  const slots = slotsOf(t.venues);
  const { ts, venue } = t;
  const out: CrossVenueWindow[] = [];
  let bar = NaN;
  for (let i = 0; i < t.length; i++) {
    const x = ts[i];
    const b = Math.floor(x / p.tf);
    if (b !== bar) {
      if (b < bar) throw new OutOfOrderError(x, bar * p.tf);
      if (bar === bar) out.push(w.close(bar * p.tf));
      bar = b;
    }
    w.add(slots[venue[i]], t, i, bar * p.tf);
  }
  if (bar === bar) out.push(w.close(bar * p.tf));
  return out;
}
