/**
 * Delta divergence (docs/features/divergence.md "Delta divergence"): sustained one-sided
 * aggressive flow while price has not followed it.
 *
 * Bars are the CVD bars (cvd.ts: epoch-aligned, only bars with trades, delta = buy - sell) plus
 * the bar's last trade price. On each timeframe, at each bar close, over the last `window` bars:
 *
 *   cvd_z   = sum(delta) / (rms(delta over the last `lookback` bars) x sqrt(window))
 *   price_z = sum(r)     / (rms(r     over the last `lookback` bars) x sqrt(window))
 *
 * with r = ln(close / previous close), i.e. the window's CVD change and log return, each as a
 * z-score under a zero-drift random walk whose per-bar scale is measured over the lookback.
 * `buy_flow_no_rise`: cvd_z >= k, a share >= minShare of the window's bars have delta > 0, and
 * price stayed flat: |price_z| <= priceBand. `sell_flow_no_fall` is the mirror. The band is
 * symmetric: buying met by a strong fall is not "flat price" (the flow moved price, just not the
 * way its sign suggests), so it is not this event. One event per side until the condition
 * clears. State: per timeframe one open bar and ring buffers of `lookback` bars.
 */
import type { TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { OutOfOrderError, type Emit, type TradeOperator } from './operator.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './timeframe.ts';

/** Buyers kept lifting the ask but price stayed flat (sellers absorbing: a bearish reading), or the mirror. */
export type DivergenceDirection = 'buy_flow_no_rise' | 'sell_flow_no_fall';

export interface DivergenceEvent {
  /** When the event becomes known: the close (end) of the window's last bar, epoch ms. */
  readonly ts: number;
  readonly timeframe_ms: number;
  readonly direction: DivergenceDirection;
  /** Window CVD change as a z-score (see the module comment). */
  readonly cvd_z: number;
  /** Window log return as a z-score. */
  readonly price_z: number;
  /** Sum of bar deltas over the window, base units. */
  readonly window_delta: number;
  /** Sum of bar volumes (buy + sell) over the window, base units. */
  readonly window_volume: number;
  /** 1e4 x the window's log return (sum of the bars' r). */
  readonly window_return_bps: number;
  /** Share of the window's bars whose delta has the event's sign (> 0 for buy flow, < 0 for sell flow). */
  readonly one_sided_share: number;
  /** Open of the window's first bar and close of its last (= ts), epoch ms. */
  readonly window_start_ms: number;
  readonly window_end_ms: number;
  /** Last trade price of the window's last bar. */
  readonly close: number;
}

export interface DivergenceOptions {
  /** Bar lengths, ms; default 15m, 1h, 1d. Events of bars closed by the same trade come in this order. */
  readonly timeframesMs?: readonly number[];
  /** Bars per window (N), default 20. */
  readonly window?: number;
  /** Bars of history for the per-bar scales (L >= N, the window included), default 100. */
  readonly lookback?: number;
  /** Bars needed before any event (N <= warmup <= L), default = lookback. */
  readonly warmup?: number;
  /** |cvd_z| threshold, default 1.5. */
  readonly k?: number;
  /** Minimum share of one-sided bars in the window, (0, 1], default 0.65. */
  readonly minShare?: number;
  /** Price counts as flat when |price_z| <= priceBand (>= 0); default 0.5. */
  readonly priceBand?: number;
  /** Only this venue's trades; default every trade of the input. */
  readonly venue?: Venue;
}

/** |price_z| at most this is "price flat": within half a typical window move either way. */
export const DEFAULT_PRICE_BAND = 0.5;

export const DEFAULT_DIVERGENCE_TIMEFRAMES: readonly number[] = [15 * MINUTE_MS, HOUR_MS, DAY_MS];

interface Params {
  readonly tfs: readonly number[];
  readonly n: number;
  readonly l: number;
  readonly warmup: number;
  readonly k: number;
  readonly minShare: number;
  readonly priceBand: number;
}

function params(o: DivergenceOptions): Params {
  const tfs = o.timeframesMs ?? DEFAULT_DIVERGENCE_TIMEFRAMES;
  if (tfs.length === 0) throw new RangeError('divergence: timeframesMs must list at least one timeframe');
  for (const tf of tfs) if (!(tf > 0) || !Number.isFinite(tf)) throw new RangeError(`divergence: timeframesMs must be > 0, got ${tf}`);
  if (new Set(tfs).size !== tfs.length) throw new RangeError(`divergence: timeframesMs has duplicates: ${JSON.stringify(tfs)}`);
  const n = o.window ?? 20;
  if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`divergence: window must be a whole number >= 2, got ${n}`);
  const l = o.lookback ?? 100;
  if (!(Number.isInteger(l) && l >= n && l <= 100_000)) throw new RangeError(`divergence: lookback must be a whole number in window..100000, got ${l}`);
  const warmup = o.warmup ?? l;
  if (!(Number.isInteger(warmup) && warmup >= n && warmup <= l)) throw new RangeError(`divergence: warmup must be a whole number in window..lookback (${n}..${l}), got ${warmup}`);
  const k = o.k ?? 1.5;
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`divergence: k must be > 0, got ${k}`);
  const minShare = o.minShare ?? 0.65;
  if (!(minShare > 0 && minShare <= 1)) throw new RangeError(`divergence: minShare must be in (0, 1], got ${minShare}`);
  const priceBand = o.priceBand ?? DEFAULT_PRICE_BAND;
  if (!(priceBand >= 0) || !Number.isFinite(priceBand)) throw new RangeError(`divergence: priceBand must be a finite number >= 0, got ${priceBand}`);
  return { tfs, n, l, warmup, k, minShare, priceBand };
}

/**
 * The per-timeframe step shared by the operator and the batch: one closed bar in, at most one
 * event out. Rings of `lookback` bars (delta, volume, log return); the open times of the last
 * `window` bars; the previous close; whether each side may fire.
 */
class Track {
  private readonly delta: Float64Array;
  private readonly volume: Float64Array;
  private readonly ret: Float64Array;
  private readonly openMs: Float64Array;
  private head = 0;
  private count = 0;
  private prevClose = NaN;
  private buyArmed = true;
  private sellArmed = true;

  constructor(
    private readonly p: Params,
    private readonly tf: number,
  ) {
    this.delta = new Float64Array(p.l);
    this.volume = new Float64Array(p.l);
    this.ret = new Float64Array(p.l);
    this.openMs = new Float64Array(p.l);
  }

  /** Bar [open, open + tf) closed with these sums and its first and last trade prices. */
  close(open: number, buy: number, sell: number, first: number, last: number): DivergenceEvent | undefined {
    const { l, n, k, minShare, priceBand } = this.p;
    const h = this.head;
    this.delta[h] = buy - sell;
    this.volume[h] = buy + sell;
    this.ret[h] = Math.log(last / (this.prevClose === this.prevClose ? this.prevClose : first));
    this.openMs[h] = open;
    this.prevClose = last;
    this.head = h + 1 === l ? 0 : h + 1;
    if (this.count < l) this.count++;
    const m = this.count;
    if (m < this.p.warmup) return undefined;
    // Oldest to newest: the lookback's squares, then the window's sums.
    let sqD = 0;
    let sqR = 0;
    let wd = 0;
    let wv = 0;
    let wr = 0;
    let pos = 0;
    let neg = 0;
    for (let j = 0; j < m; j++) {
      let i = h - m + 1 + j;
      if (i < 0) i += l;
      const d = this.delta[i];
      const r = this.ret[i];
      sqD += d * d;
      sqR += r * r;
      if (j >= m - n) {
        wd += d;
        wv += this.volume[i];
        wr += r;
        if (d > 0) pos++;
        else if (d < 0) neg++;
      }
    }
    const rootN = Math.sqrt(n);
    const sdD = Math.sqrt(sqD / m);
    const sdR = Math.sqrt(sqR / m);
    // A zero scale means every bar of the lookback was zero, the window sum too: z = 0.
    const cvdZ = sdD > 0 ? wd / (sdD * rootN) : 0;
    const priceZ = sdR > 0 ? wr / (sdR * rootN) : 0;
    const flat = Math.abs(priceZ) <= priceBand;
    const buy_ = cvdZ >= k && pos / n >= minShare && flat;
    const sell_ = cvdZ <= -k && neg / n >= minShare && flat;
    const fire = buy_ ? this.buyArmed : sell_ ? this.sellArmed : false;
    this.buyArmed = !buy_;
    this.sellArmed = !sell_;
    if (!fire) return undefined;
    let s = h - n + 1;
    if (s < 0) s += l;
    const end = open + this.tf;
    return {
      ts: end,
      timeframe_ms: this.tf,
      direction: buy_ ? 'buy_flow_no_rise' : 'sell_flow_no_fall',
      cvd_z: cvdZ,
      price_z: priceZ,
      window_delta: wd,
      window_volume: wv,
      window_return_bps: 1e4 * wr,
      one_sided_share: (buy_ ? pos : neg) / n,
      window_start_ms: this.openMs[s],
      window_end_ms: end,
      close: last,
    };
  }
}

/**
 * Each closed bar of timeframe k (the index into `timeframesMs`): its open and its aggressive buy
 * and sell volume, before the bar's event (if any) is emitted. These are the CVD bars of the same
 * timeframes (cvd.ts sums them the same way, in the same order): a caller that needs both takes
 * them from here instead of passing over the trades again.
 */
export type DivergenceBarHook = (k: number, open: number, buy: number, sell: number) => void;

/**
 * Incremental delta divergence on several timeframes at once: push trades in time order; a bar
 * is evaluated as soon as a trade of a later bar of its timeframe arrives (or at flush), and its
 * event, if any, is emitted then. Per trade: one add per timeframe into typed arrays, no objects.
 */
export class DivergenceOperator implements TradeOperator {
  private readonly p: Params;
  private tracks: Track[];
  private readonly open: Float64Array;
  private readonly end: Float64Array;
  /** Open bars' aggressive volume: buy of timeframe k at [k], sell at [nt + k]. */
  private readonly sums: Float64Array;
  private readonly first: Float64Array;
  /** Last trade price pushed: every timeframe's open bar ends with it (all of them see every trade). */
  private last = NaN;
  /** The earliest bar end and the latest bar open over the timeframes: a trade in [maxOpen, minEnd) closes no bar. */
  private minEnd = -Infinity;
  private maxOpen = Infinity;

  constructor(
    private readonly opts: DivergenceOptions,
    private readonly emit: Emit<DivergenceEvent>,
    private readonly onBar?: DivergenceBarHook,
  ) {
    this.p = params(opts);
    const nt = this.p.tfs.length;
    this.tracks = this.p.tfs.map((tf) => new Track(this.p, tf));
    this.open = new Float64Array(nt).fill(-Infinity);
    this.end = new Float64Array(nt).fill(-Infinity);
    this.sums = new Float64Array(2 * nt);
    this.first = new Float64Array(nt);
  }

  push(t: TradeColumns, from = 0, to = t.length): void {
    const only = this.opts.venue === undefined ? -1 : t.venues.indexOf(this.opts.venue);
    if (this.opts.venue !== undefined && only < 0) return;
    const { ts, price, qty, side, venue } = t;
    const { tfs } = this.p;
    const nt = tfs.length;
    const { open, end, sums, first } = this;
    for (let i = from; i < to; i++) {
      if (only >= 0 && venue[i] !== only) continue;
      const x = ts[i];
      const px = price[i];
      const q = qty[i];
      if (!(x < this.minEnd && x >= this.maxOpen)) {
        // A bar closes (or the trade is out of order): each timeframe on its own.
        for (let k = 0; k < nt; k++) {
          if (x >= end[k]) {
            if (end[k] !== -Infinity) this.closeBar(k);
            const tf = tfs[k];
            open[k] = Math.floor(x / tf) * tf;
            end[k] = open[k] + tf;
            first[k] = px;
          } else if (x < open[k]) {
            throw new OutOfOrderError(x, open[k]);
          }
        }
        this.bounds();
      }
      // Buy or sell sums, picked without a branch (the aggressor side is a coin toss per trade).
      const o = Number(!(side[i] > 0)) * nt;
      for (let k = 0; k < nt; k++) sums[o + k] += q;
      this.last = px;
    }
  }

  private bounds(): void {
    let minEnd = Infinity;
    let maxOpen = -Infinity;
    for (let k = 0; k < this.end.length; k++) {
      if (this.end[k] < minEnd) minEnd = this.end[k];
      if (this.open[k] > maxOpen) maxOpen = this.open[k];
    }
    this.minEnd = minEnd;
    this.maxOpen = maxOpen;
  }

  flush(): void {
    for (let k = 0; k < this.p.tfs.length; k++) if (this.end[k] !== -Infinity) this.closeBar(k);
    this.open.fill(-Infinity);
    this.end.fill(-Infinity);
    this.bounds();
    this.last = NaN;
    this.tracks = this.p.tfs.map((tf) => new Track(this.p, tf));
  }

  private closeBar(k: number): void {
    const nt = this.open.length;
    const buy = this.sums[k];
    const sell = this.sums[nt + k];
    this.onBar?.(k, this.open[k], buy, sell);
    const ev = this.tracks[k].close(this.open[k], buy, sell, this.first[k], this.last);
    this.sums[k] = 0;
    this.sums[nt + k] = 0;
    if (ev) this.emit(ev);
  }
}

/**
 * Batch delta divergence over whole columns (time order): the same events, in the same order, as
 * DivergenceOperator fed the same trades in any chunking and flushed. One pass per timeframe;
 * events are ordered by the trade that closed their bar (the end of the input for the last
 * bars), then by the order of `timeframesMs`.
 */
export function divergenceBatch(t: TradeColumns, opts: DivergenceOptions): DivergenceEvent[] {
  const p = params(opts);
  const only = opts.venue === undefined ? -1 : t.venues.indexOf(opts.venue);
  if (opts.venue !== undefined && only < 0) return [];
  const { ts, price, qty, side, venue } = t;
  const found: { ev: DivergenceEvent; at: number; k: number }[] = [];
  p.tfs.forEach((tf, k) => {
    const track = new Track(p, tf);
    let open = -Infinity;
    let end = -Infinity;
    let buy = 0;
    let sell = 0;
    let first = NaN;
    let last = NaN;
    const close = (at: number) => {
      const ev = track.close(open, buy, sell, first, last);
      if (ev) found.push({ ev, at, k });
    };
    for (let i = 0; i < t.length; i++) {
      if (only >= 0 && venue[i] !== only) continue;
      const x = ts[i];
      if (x >= end) {
        if (end !== -Infinity) close(i);
        open = Math.floor(x / tf) * tf;
        end = open + tf;
        buy = 0;
        sell = 0;
        first = price[i];
      } else if (x < open) {
        throw new OutOfOrderError(x, open);
      }
      if (side[i] > 0) buy += qty[i];
      else sell += qty[i];
      last = price[i];
    }
    if (end !== -Infinity) close(t.length);
  });
  found.sort((a, b) => a.at - b.at || a.k - b.k);
  return found.map((f) => f.ev);
}
