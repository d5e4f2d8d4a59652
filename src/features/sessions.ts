/**
 * Session statistics (docs/FEATURES.md "Sessions"), from trades.
 *
 * Per session occurrence (a session's window on one local date of its market, market-time.ts;
 * windows may overlap, so a trade may count in two sessions, or in none): OHLC, volume and notional split by aggressor, print counts, the size
 * distribution of prints (count and notional per size bucket, p50/p90/p99/mean/min/max of print
 * notional from a fixed-size log histogram), and price impact = the least-squares slope of
 * 1m sub-bar log returns (bps) on the sub-bar's net aggressive notional (per million quote).
 * Trades are merged into prints first (sizes.ts). Liquidation counts are not computed yet.
 */
import type { LiquidationColumns, TradeColumns } from '../core/columns.ts';
import { type Emit, type TradeOperator } from './operator.ts';
import { mergePrints, PrintMerger, rankBin, nearestRank, SizeClassifier, logBinsOf, type LogBins, type SizeThresholdOptions } from './sizes.ts';
import { SessionCalendar, type Occurrence } from './market-time.ts';
import { DEFAULT_SESSIONS, type Session } from './timeframe.ts';

export interface SessionStatsOptions {
  /** Default DEFAULT_SESSIONS (Asia 09:00-18:00 Tokyo, Europe 08:00-16:30 London, US 09:30-16:00 New York). */
  readonly sessions?: readonly Session[];
  /** Size buckets and the histogram range/resolution (sizes.ts; default adaptive). */
  readonly sizes?: SizeThresholdOptions;
  /** Sub-bar of the impact regression, ms. Default 1m. */
  readonly impactBarMs?: number;
}

export interface SessionSizeBucket {
  readonly prints: number;
  readonly notional: number;
  /** Buy - sell notional. */
  readonly delta_notional: number;
}

export interface SessionStats {
  readonly session: string;
  /** The market's local date (YYYY-MM-DD) the occurrence opens on, in the session's zone. */
  readonly date: string;
  /** The occurrence's window, [start_ms, end_ms) (epoch ms; daylight saving applied). */
  readonly start_ms: number;
  readonly end_ms: number;
  /** First and last trade time. */
  readonly first_ts: number;
  readonly last_ts: number;
  /** First, highest, lowest, last fill price. */
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** notional / volume. */
  readonly vwap: number;
  /** 1e4 x ln(close / open). */
  readonly return_bps: number;
  readonly trades: number;
  readonly prints: number;
  readonly buy_prints: number;
  readonly sell_prints: number;
  /** Base units. */
  readonly volume: number;
  readonly buy_volume: number;
  readonly sell_volume: number;
  readonly delta_volume: number;
  /** Quote units (sum of price x qty). */
  readonly notional: number;
  readonly buy_notional: number;
  readonly sell_notional: number;
  readonly delta_notional: number;
  readonly small: SessionSizeBucket;
  readonly medium: SessionSizeBucket;
  readonly large: SessionSizeBucket;
  readonly whale: SessionSizeBucket;
  /** Nearest-rank percentiles of print notional (histogram bin centre, clamped to [min, max]). */
  readonly print_p50: number;
  readonly print_p90: number;
  readonly print_p99: number;
  readonly print_mean: number;
  readonly print_min: number;
  readonly print_max: number;
  /** Slope of sub-bar return (bps) on sub-bar net notional (millions quote); NaN below 3 sub-bars or no spread in flow. */
  readonly impact_bps_per_m: number;
  /** R^2 of that fit (NaN when undefined). */
  readonly impact_r2: number;
  /** Sub-bars (with trades) in the fit. */
  readonly impact_bars: number;
}

/** Field slots of the accumulator. */
const F_OPEN = 0;
const F_HIGH = 1;
const F_LOW = 2;
const F_CLOSE = 3;
const F_FIRST_TS = 4;
const F_LAST_TS = 5;
const F_BUY_VOL = 6;
const F_SELL_VOL = 7;
const F_BUY_NOT = 8;
const F_SELL_NOT = 9;
const F_MIN = 10;
const F_MAX = 11;
const F_SX = 12;
const F_SY = 13;
const F_SXX = 14;
const F_SXY = 15;
const F_SYY = 16;
const F_SUB_NET = 17;
const F_SUB_REF = 18;
const F_BUCKET_NOT = 19; // 4 slots
const F_BUCKET_DELTA = 23; // 4 slots
const F_SIZE = 27;

const C_TRADES = 0;
const C_BUY_PRINTS = 1;
const C_SELL_PRINTS = 2;
const C_SUBBARS = 3;
const C_BUCKET = 4; // 4 slots
const C_SIZE = 8;

/**
 * One session occurrence's running totals, in typed arrays (shared by the operator and the batch
 * path: what differs between them is print merging and boundary detection).
 */
class SessionAcc {
  readonly f = new Float64Array(F_SIZE);
  readonly n = new Float64Array(C_SIZE);
  readonly hist: Uint32Array;
  /** The occurrence this accumulator is on (start = NaN before the first print). */
  occ: Occurrence = { session: 0, day: 0, start: NaN, end: -Infinity };
  sub = NaN;

  constructor(
    private readonly bins: LogBins,
    private readonly subMs: number,
  ) {
    this.hist = new Uint32Array(bins.count);
  }

  add(ts: number, side: number, qty: number, notional: number, fills: number, first: number, last: number, high: number, low: number, bucket: number): void {
    const f = this.f;
    const n = this.n;
    const sub = Math.floor(ts / this.subMs);
    if (n[C_BUY_PRINTS] + n[C_SELL_PRINTS] === 0) {
      f[F_OPEN] = first;
      f[F_HIGH] = high;
      f[F_LOW] = low;
      f[F_FIRST_TS] = ts;
      f[F_MIN] = notional;
      f[F_MAX] = notional;
      f[F_SUB_REF] = first;
      this.sub = sub;
    } else {
      if (high > f[F_HIGH]) f[F_HIGH] = high;
      if (low < f[F_LOW]) f[F_LOW] = low;
      if (notional < f[F_MIN]) f[F_MIN] = notional;
      if (notional > f[F_MAX]) f[F_MAX] = notional;
      if (sub !== this.sub) {
        this.closeSub();
        this.sub = sub;
      }
    }
    f[F_CLOSE] = last;
    f[F_LAST_TS] = ts;
    n[C_TRADES] += fills;
    if (side > 0) {
      f[F_BUY_VOL] += qty;
      f[F_BUY_NOT] += notional;
      f[F_SUB_NET] += notional;
      f[F_BUCKET_DELTA + bucket] += notional;
      n[C_BUY_PRINTS]++;
    } else {
      f[F_SELL_VOL] += qty;
      f[F_SELL_NOT] += notional;
      f[F_SUB_NET] -= notional;
      f[F_BUCKET_DELTA + bucket] -= notional;
      n[C_SELL_PRINTS]++;
    }
    f[F_BUCKET_NOT + bucket] += notional;
    n[C_BUCKET + bucket]++;
    this.hist[this.bins.index(notional)]++;
  }

  /** The open sub-bar joins the regression: x = net notional / 1e6, y = 1e4 ln(last / ref). */
  private closeSub(): void {
    const f = this.f;
    const x = f[F_SUB_NET] / 1e6;
    const y = 1e4 * Math.log(f[F_CLOSE] / f[F_SUB_REF]);
    f[F_SX] += x;
    f[F_SY] += y;
    f[F_SXX] += x * x;
    f[F_SXY] += x * y;
    f[F_SYY] += y * y;
    this.n[C_SUBBARS]++;
    f[F_SUB_NET] = 0;
    f[F_SUB_REF] = f[F_CLOSE];
  }

  get empty(): boolean {
    return this.n[C_BUY_PRINTS] + this.n[C_SELL_PRINTS] === 0;
  }

  finish(sessions: readonly Session[]): SessionStats {
    this.closeSub();
    const f = this.f;
    const n = this.n;
    const o = this.occ;
    const prints = n[C_BUY_PRINTS] + n[C_SELL_PRINTS];
    const volume = f[F_BUY_VOL] + f[F_SELL_VOL];
    const notional = f[F_BUY_NOT] + f[F_SELL_NOT];
    const pct = (p: number): number => {
      const v = this.bins.value(rankBin(this.hist, nearestRank(p, prints)));
      return v < f[F_MIN] ? f[F_MIN] : v > f[F_MAX] ? f[F_MAX] : v;
    };
    const bucket = (b: number): SessionSizeBucket => ({ prints: n[C_BUCKET + b], notional: f[F_BUCKET_NOT + b], delta_notional: f[F_BUCKET_DELTA + b] });
    const m = n[C_SUBBARS];
    const sxx = m * f[F_SXX] - f[F_SX] * f[F_SX];
    const sxy = m * f[F_SXY] - f[F_SX] * f[F_SY];
    const syy = m * f[F_SYY] - f[F_SY] * f[F_SY];
    const fit = m >= 3 && sxx > 0;
    const out: SessionStats = {
      session: sessions[o.session].name,
      date: SessionCalendar.dateOf(o),
      start_ms: o.start,
      end_ms: o.end,
      first_ts: f[F_FIRST_TS],
      last_ts: f[F_LAST_TS],
      open: f[F_OPEN],
      high: f[F_HIGH],
      low: f[F_LOW],
      close: f[F_CLOSE],
      vwap: notional / volume,
      return_bps: 1e4 * Math.log(f[F_CLOSE] / f[F_OPEN]),
      trades: n[C_TRADES],
      prints,
      buy_prints: n[C_BUY_PRINTS],
      sell_prints: n[C_SELL_PRINTS],
      volume,
      buy_volume: f[F_BUY_VOL],
      sell_volume: f[F_SELL_VOL],
      delta_volume: f[F_BUY_VOL] - f[F_SELL_VOL],
      notional,
      buy_notional: f[F_BUY_NOT],
      sell_notional: f[F_SELL_NOT],
      delta_notional: f[F_BUY_NOT] - f[F_SELL_NOT],
      small: bucket(0),
      medium: bucket(1),
      large: bucket(2),
      whale: bucket(3),
      print_p50: pct(0.5),
      print_p90: pct(0.9),
      print_p99: pct(0.99),
      print_mean: notional / prints,
      print_min: f[F_MIN],
      print_max: f[F_MAX],
      impact_bps_per_m: fit ? sxy / sxx : NaN,
      impact_r2: fit && syy > 0 ? (sxy * sxy) / (sxx * syy) : NaN,
      impact_bars: m,
    };
    f.fill(0);
    n.fill(0);
    this.hist.fill(0);
    this.sub = NaN;
    return out;
  }
}

interface Params {
  readonly sessions: readonly Session[];
  readonly subMs: number;
  readonly bins: LogBins;
}

function params(o: SessionStatsOptions): Params {
  const sessions = o.sessions ?? DEFAULT_SESSIONS;
  if (sessions.length === 0) throw new RangeError('sessions: need at least one session');
  const subMs = o.impactBarMs ?? 60_000;
  if (!(subMs > 0) || !Number.isFinite(subMs)) throw new RangeError(`sessions: impactBarMs must be > 0, got ${subMs}`);
  return { sessions, subMs, bins: logBinsOf(o.sizes) };
}

/**
 * Incremental session statistics: push trades in time order; an occurrence is emitted as soon
 * as a trade at or after its end arrives, or at flush (occurrences closing together in order of
 * end, then start). Only occurrences with trades are emitted. State per session: its current
 * occurrence's boundaries, accumulators and histogram; the calendar converts boundaries once per
 * local date, so a print costs a few comparisons per session.
 */
export class SessionStatsOperator implements TradeOperator {
  private readonly m: PrintMerger;
  private readonly core: SessionCore;

  constructor(opts: SessionStatsOptions, emit: Emit<SessionStats>) {
    this.core = new SessionCore(params(opts), new SizeClassifier(opts.sizes), emit);
    const m = (this.m = new PrintMerger(() => this.core.print(m.ts, m.side, m.qty, m.notional, m.fills, m.first, m.last, m.high, m.low, m.nextTs)));
  }

  push(t: TradeColumns, from = 0, to = t.length): void {
    this.m.push(t, from, to);
  }

  flush(): void {
    this.m.flush();
    this.core.reset();
  }
}

/** What the operator and the batch path share: per-session boundaries and accumulators. */
class SessionCore {
  private readonly cal: SessionCalendar;
  private readonly accs: SessionAcc[];
  /** Per session: its current occurrence's window, cached as numbers for the per-print test. */
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  /** Earliest end of an open (non-empty) accumulator: below it no occurrence can close. */
  private nextEnd = Infinity;

  constructor(
    private readonly p: Params,
    private readonly c: SizeClassifier,
    private readonly emit: Emit<SessionStats>,
  ) {
    this.cal = new SessionCalendar(p.sessions);
    this.accs = p.sessions.map(() => new SessionAcc(p.bins, p.subMs));
    this.starts = new Float64Array(p.sessions.length).fill(NaN);
    this.ends = new Float64Array(p.sessions.length).fill(-Infinity);
  }

  /** One print; `nextTs` = the next print's ts (Infinity at the end): occurrences ending by then are emitted. */
  print(ts: number, side: number, qty: number, notional: number, fills: number, first: number, last: number, high: number, low: number, nextTs: number): void {
    // The size classifier learns from every print, in a session or not.
    const b = this.c.classify(notional, ts);
    const { starts, ends, accs } = this;
    for (let i = 0; i < accs.length; i++) {
      if (ts >= ends[i]) {
        const o = this.cal.holdingOrNext(i, ts);
        accs[i].occ = o;
        starts[i] = o.start;
        ends[i] = o.end;
      }
      if (ts < starts[i]) continue;
      accs[i].add(ts, side, qty, notional, fills, first, last, high, low, b);
      if (ends[i] < this.nextEnd) this.nextEnd = ends[i];
    }
    if (nextTs >= this.nextEnd) this.closeUpTo(nextTs);
  }

  /** Emit every non-empty occurrence that ends at or before `t`, by end then start. */
  private closeUpTo(t: number): void {
    const due = this.accs.filter((a) => !a.empty && a.occ.end <= t);
    due.sort((x, y) => x.occ.end - y.occ.end || x.occ.start - y.occ.start);
    for (const a of due) this.emit(a.finish(this.p.sessions));
    this.nextEnd = Infinity;
    for (const a of this.accs) if (!a.empty && a.occ.end < this.nextEnd) this.nextEnd = a.occ.end;
  }

  reset(): void {
    this.c.reset();
    this.starts.fill(NaN);
    this.ends.fill(-Infinity);
    this.nextEnd = Infinity;
  }
}

/** Batch session statistics over whole columns: the same output as SessionStatsOperator in any chunking. */
export function sessionStatsBatch(t: TradeColumns, opts: SessionStatsOptions): SessionStats[] {
  const out: SessionStats[] = [];
  const core = new SessionCore(params(opts), new SizeClassifier(opts.sizes), (s) => out.push(s));
  const pr = mergePrints(t);
  for (let i = 0; i < pr.length; i++) {
    core.print(pr.ts[i], pr.side[i], pr.qty[i], pr.notional[i], pr.fills[i], pr.first[i], pr.last[i], pr.high[i], pr.low[i], i + 1 < pr.length ? pr.ts[i + 1] : Infinity);
  }
  return out;
}

/** Liquidations of one session occurrence, by the side that was liquidated (quote notional). */
export interface SessionLiquidations {
  long_count: number;
  long_notional: number;
  short_count: number;
  short_notional: number;
}

/**
 * Counts liquidations in time windows, split by the liquidated side: a forced sell (side -1)
 * liquidated a long. Liquidation feeds are sampled, so these are lower bounds
 * (docs/NORMALIZATION.md). Sorted once; each window is two binary searches.
 */
export class LiquidationWindows {
  private readonly ts: Float64Array;
  /** Prefix sums over liquidations in time order: long count, long notional, short count, short notional. */
  private readonly sums: Float64Array;

  constructor(liqs: LiquidationColumns) {
    const order = Array.from({ length: liqs.length }, (_, i) => i).sort((a, b) => liqs.ts[a] - liqs.ts[b]);
    this.ts = new Float64Array(order.length);
    this.sums = new Float64Array((order.length + 1) * 4);
    const s = this.sums;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      this.ts[k] = liqs.ts[i];
      const o = k * 4;
      s.copyWithin(o + 4, o, o + 4);
      const long = liqs.side[i] < 0 ? 0 : 2;
      s[o + 4 + long] += 1;
      s[o + 4 + long + 1] += liqs.price[i] * liqs.qty[i];
    }
  }

  private lowerBound(t: number): number {
    let lo = 0;
    let hi = this.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Liquidations with startMs <= ts < endMs. */
  between(startMs: number, endMs: number): SessionLiquidations {
    const a = this.lowerBound(startMs) * 4;
    const b = this.lowerBound(endMs) * 4;
    const s = this.sums;
    return { long_count: s[b] - s[a], long_notional: s[b + 1] - s[a + 1], short_count: s[b + 2] - s[a + 2], short_notional: s[b + 3] - s[a + 3] };
  }
}
