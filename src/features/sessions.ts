/**
 * Session statistics (docs/FEATURES.md "Sessions"), from trades.
 *
 * Per session occurrence (UTC date + session name, windows of timeframe.ts, every instant in
 * exactly one session): OHLC, volume and notional split by aggressor, print counts, the size
 * distribution of prints (count and notional per size bucket, p50/p90/p99/mean/min/max of print
 * notional from a fixed-size log histogram), and price impact = the least-squares slope of
 * 1m sub-bar log returns (bps) on the sub-bar's net aggressive notional (per million quote).
 * Trades are merged into prints first (sizes.ts). Liquidation counts are not computed yet.
 */
import type { LiquidationColumns, TradeColumns } from '../core/columns.ts';
import { type Emit, type TradeOperator } from './operator.ts';
import { mergePrints, PrintMerger, rankBin, nearestRank, SizeClassifier, logBinsOf, type LogBins, type SizeThresholdOptions } from './sizes.ts';
import { DAY_MS, DEFAULT_SESSIONS, MINUTE_MS, sessionKey, type Session } from './timeframe.ts';

export interface SessionStatsOptions {
  /** Default DEFAULT_SESSIONS (Asia 00:00-08:00, Europe 08:00-13:30, US 13:30-21:00 UTC). */
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
  /** UTC date (YYYY-MM-DD) the occurrence starts on. */
  readonly date: string;
  /** The occurrence's span: its window start to the next session's start (epoch ms). */
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
  key = NaN;
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

  finish(sessions: readonly Session[]): SessionStats {
    this.closeSub();
    const f = this.f;
    const n = this.n;
    const S = sessions.length;
    const key = this.key;
    const idx = ((key % S) + S) % S;
    const day = (key - idx) / S;
    const start = day * DAY_MS + sessions[idx].startMin * MINUTE_MS;
    const end = idx + 1 < S ? day * DAY_MS + sessions[idx + 1].startMin * MINUTE_MS : (day + 1) * DAY_MS + sessions[0].startMin * MINUTE_MS;
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
      session: sessions[idx].name,
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
      start_ms: start,
      end_ms: end,
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
  const subMs = o.impactBarMs ?? MINUTE_MS;
  if (!(subMs > 0) || !Number.isFinite(subMs)) throw new RangeError(`sessions: impactBarMs must be > 0, got ${subMs}`);
  return { sessions, subMs, bins: logBinsOf(o.sizes) };
}

/**
 * Incremental session statistics: push trades in time order; a session occurrence is emitted as
 * soon as a trade of a later session arrives, or at flush. Only occurrences with trades are
 * emitted. State: the open print, one session's accumulators and histogram, the classifier.
 */
export class SessionStatsOperator implements TradeOperator {
  private readonly p: Params;
  private readonly c: SizeClassifier;
  private readonly acc: SessionAcc;
  private readonly m: PrintMerger;

  constructor(
    opts: SessionStatsOptions,
    private readonly emit: Emit<SessionStats>,
  ) {
    this.p = params(opts);
    this.c = new SizeClassifier(opts.sizes);
    this.acc = new SessionAcc(this.p.bins, this.p.subMs);
    this.m = new PrintMerger(() => this.onPrint());
  }

  push(t: TradeColumns, from = 0, to = t.length): void {
    this.m.push(t, from, to);
  }

  flush(): void {
    this.m.flush();
    this.c.reset();
  }

  private onPrint(): void {
    const m = this.m;
    const acc = this.acc;
    const { sessions } = this.p;
    if (acc.key !== acc.key) acc.key = sessionKey(m.ts, sessions);
    const b = this.c.classify(m.notional, m.ts);
    acc.add(m.ts, m.side, m.qty, m.notional, m.fills, m.first, m.last, m.high, m.low, b);
    if (m.nextTs === Infinity || sessionKey(m.nextTs, sessions) !== acc.key) {
      const out = acc.finish(sessions);
      acc.key = NaN;
      this.emit(out);
    }
  }
}

/** Batch session statistics over whole columns: the same output as SessionStatsOperator in any chunking. */
export function sessionStatsBatch(t: TradeColumns, opts: SessionStatsOptions): SessionStats[] {
  const p = params(opts);
  const pr = mergePrints(t);
  const c = new SizeClassifier(opts.sizes);
  const acc = new SessionAcc(p.bins, p.subMs);
  const out: SessionStats[] = [];
  for (let i = 0; i < pr.length; i++) {
    const key = sessionKey(pr.ts[i], p.sessions);
    if (key !== acc.key) {
      if (acc.key === acc.key) out.push(acc.finish(p.sessions));
      acc.key = key;
    }
    acc.add(pr.ts[i], pr.side[i], pr.qty[i], pr.notional[i], pr.fills[i], pr.first[i], pr.last[i], pr.high[i], pr.low[i], c.classify(pr.notional[i], pr.ts[i]));
  }
  if (acc.key === acc.key) out.push(acc.finish(p.sessions));
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
 * Liquidations per session occurrence (keyed by `sessionKey`), split by the liquidated side: a
 * forced sell (side -1) liquidated a long. Liquidation feeds are sampled, so these are lower
 * bounds (docs/NORMALIZATION.md).
 */
export function liquidationsBySession(liqs: LiquidationColumns, sessions: readonly Session[]): Map<number, SessionLiquidations> {
  const out = new Map<number, SessionLiquidations>();
  for (let i = 0; i < liqs.length; i++) {
    const key = sessionKey(liqs.ts[i], sessions);
    let s = out.get(key);
    if (!s) out.set(key, (s = { long_count: 0, long_notional: 0, short_count: 0, short_notional: 0 }));
    const notional = liqs.price[i] * liqs.qty[i];
    if (liqs.side[i] < 0) {
      s.long_count++;
      s.long_notional += notional;
    } else {
      s.short_count++;
      s.short_notional += notional;
    }
  }
  return out;
}
