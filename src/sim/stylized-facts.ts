/**
 * Stylized facts of one venue's tape (docs/SIMULATOR.md "Realism"): the figures that tell a
 * simulated market from a real one, computed the same way on real captures and on `simulate()`
 * runs. Pure and columnar: typed arrays in (core/columns.ts), numbers out.
 *
 * Every statistic states the least data it needs and returns NaN below it, never throws on thin
 * data: a 40-second capture yields the spread and the size distribution but no 5-minute moves.
 * Trades, liquidations and book messages must be of ONE venue and symbol, in time order.
 *
 * Sizes are measured in quote notional (price x base qty), so venues with different contract
 * values compare. Prints are the venue's own (Binance `@trade` fills, not aggregated trades), so
 * one taker order sweeping several makers is several prints at one timestamp: that is what the
 * share of zero inter-trade gaps measures.
 */
import { grown, type BookColumns, type LiquidationColumns, type TradeColumns } from '../core/columns.ts';
import type { MarketEvent, Venue } from '../core/events.ts';
import { L2Book } from '../features/book.ts';

// ---------------------------------------------------------------------------------------------
// Small order statistics

/** Sorted ascending copy of the first `n` values. */
function sortedCopy(x: ArrayLike<number>, n = x.length): Float64Array {
  const s = Float64Array.from({ length: n }, (_, i) => x[i]);
  return s.sort();
}

/**
 * Quantile q of ascending `sorted`, linear interpolation between order statistics (Hyndman & Fan
 * type 7, R's default). NaN when empty.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

// ---------------------------------------------------------------------------------------------
// Trade sizes

/** Least prints for the size statistics: the top 1% must hold at least one print. */
export const MIN_PRINTS = 100;
/** Least prints for the Hill estimate (its default k = 5% of them is then >= 10). */
export const MIN_PRINTS_HILL = 200;
/** Share of the largest prints the Hill estimate uses by default (k = floor(HILL_TAIL_SHARE * n)). */
export const HILL_TAIL_SHARE = 0.05;

/**
 * Hill (1975) estimate of the tail index alpha of a Pareto-like upper tail, from the k largest
 * of `values` (all > 0): alpha = k / sum_{i=1..k} ln(x_(i) / x_(k+1)), x_(1) the largest. For
 * P(X > x) ~ x^-alpha it converges to alpha; smaller alpha = heavier tail (alpha < 2: infinite
 * variance). NaN when k < 1, k >= n, a value is not > 0, or the top k+1 values are all equal.
 */
export function hillTailIndex(values: ArrayLike<number>, k: number): number {
  const n = values.length;
  if (!(k >= 1) || k >= n || !Number.isInteger(k)) return NaN;
  const s = sortedCopy(values);
  if (!(s[0] > 0)) return NaN;
  const threshold = s[n - 1 - k];
  let sum = 0;
  for (let i = n - k; i < n; i++) sum += Math.log(s[i] / threshold);
  return sum > 0 ? k / sum : NaN;
}

export interface TradeSizeFacts {
  readonly prints: number;
  /** Share of total notional carried by the largest ceil(1%) of prints. */
  readonly top1Share: number;
  /** Same for the largest ceil(10%). */
  readonly top10Share: number;
  /** Notional of the median print (quote units). */
  readonly medianNotional: number;
  /** 99th percentile of print notional. */
  readonly p99Notional: number;
  /** Hill tail index of print notional over the `hillK` largest prints. */
  readonly hillAlpha: number;
  readonly hillK: number;
}

/**
 * Size distribution of the prints (notional = price x qty). Shares and quantiles need
 * MIN_PRINTS prints, the Hill estimate MIN_PRINTS_HILL (k = floor(5% n) unless given).
 * Reference: an exponential size law puts p(1 + ln(1/p)) of the volume in the top p of prints,
 * 5.6% for the top 1%; a heavy (power-law) tail puts far more there.
 */
export function tradeSizeFacts(t: TradeColumns, hillK?: number): TradeSizeFacts {
  const n = t.length;
  const notional = new Float64Array(n);
  for (let i = 0; i < n; i++) notional[i] = t.price[i] * t.qty[i];
  const k = hillK ?? Math.floor(HILL_TAIL_SHARE * n);
  const hill = n >= MIN_PRINTS_HILL ? hillTailIndex(notional, k) : NaN;
  if (n < MIN_PRINTS) return { prints: n, top1Share: NaN, top10Share: NaN, medianNotional: NaN, p99Notional: NaN, hillAlpha: hill, hillK: k };
  const s = notional.sort();
  let total = 0;
  for (let i = 0; i < n; i++) total += s[i];
  const topShare = (p: number): number => {
    let top = 0;
    const m = Math.ceil(p * n);
    for (let i = n - m; i < n; i++) top += s[i];
    return top / total;
  };
  return {
    prints: n,
    top1Share: topShare(0.01),
    top10Share: topShare(0.1),
    medianNotional: quantileSorted(s, 0.5),
    p99Notional: quantileSorted(s, 0.99),
    hillAlpha: hill,
    hillK: k,
  };
}

// ---------------------------------------------------------------------------------------------
// Inter-trade times

/** Least gaps (consecutive print pairs) for the inter-trade statistics. */
export const MIN_GAPS = 20;

export interface InterTradeFacts {
  readonly gaps: number;
  readonly meanMs: number;
  readonly medianMs: number;
  /** std / mean of the gaps: 1 for Poisson arrivals, > 1 = bursty (clustered) arrivals. */
  readonly cv: number;
  /** Share of gaps that are exactly 0 (prints of one taker order sweeping several makers). */
  readonly zeroShare: number;
}

/** Gaps between consecutive prints' exchange times. NaN figures below MIN_GAPS gaps. */
export function interTradeFacts(ts: ArrayLike<number>, n = ts.length): InterTradeFacts {
  const g = Math.max(0, n - 1);
  if (g < MIN_GAPS) return { gaps: g, meanMs: NaN, medianMs: NaN, cv: NaN, zeroShare: NaN };
  const gaps = new Float64Array(g);
  let zeros = 0;
  for (let i = 0; i < g; i++) {
    gaps[i] = ts[i + 1] - ts[i];
    if (gaps[i] === 0) zeros++;
  }
  const m = mean(gaps);
  let ss = 0;
  for (let i = 0; i < g; i++) ss += (gaps[i] - m) ** 2;
  const sd = Math.sqrt(ss / g);
  return { gaps: g, meanMs: m, medianMs: quantileSorted(gaps.sort(), 0.5), cv: sd / m, zeroShare: zeros / g };
}

// ---------------------------------------------------------------------------------------------
// Returns on a time grid

/**
 * Log returns of the last-trade price sampled on a grid of `stepMs`: grid points
 * t_j = ts[0] + j * stepMs for j = 0.. while t_j <= ts[n-1]; the price at t_j is the last print
 * at or before it; r_j = ln(p_j / p_{j-1}). Sampling on a clock (not per trade) is what makes
 * returns over quiet and busy intervals comparable (Cont 2001, section 2).
 */
export function gridLogReturns(ts: ArrayLike<number>, price: ArrayLike<number>, stepMs: number, n = ts.length): Float64Array {
  if (n < 2 || !(stepMs > 0)) return new Float64Array(0);
  const points = Math.floor((ts[n - 1] - ts[0]) / stepMs) + 1;
  const out = new Float64Array(Math.max(0, points - 1));
  let i = 0;
  let prev = NaN;
  for (let j = 0; j < points; j++) {
    const t = ts[0] + j * stepMs;
    while (i + 1 < n && ts[i + 1] <= t) i++;
    const p = price[i];
    if (j > 0) out[j - 1] = Math.log(p / prev);
    prev = p;
  }
  return out;
}

/** Least returns for std and excess kurtosis. */
export const MIN_RETURNS = 20;

export interface ReturnFacts {
  readonly returns: number;
  readonly std: number;
  /**
   * m4 / m2^2 - 3 with central sample moments (the plain moment estimator): 0 for a normal
   * law, positive = fatter tails than normal.
   */
  readonly excessKurtosis: number;
}

export function returnFacts(r: ArrayLike<number>): ReturnFacts {
  const n = r.length;
  if (n < MIN_RETURNS) return { returns: n, std: NaN, excessKurtosis: NaN };
  const m = mean(r);
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = (r[i] - m) ** 2;
    m2 += d;
    m4 += d * d;
  }
  m2 /= n;
  m4 /= n;
  return { returns: n, std: Math.sqrt(m2), excessKurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : NaN };
}

/** Least pairs (n - lag) for an autocorrelation at a lag. */
export const MIN_ACF_PAIRS = 20;

/**
 * Sample autocorrelation at `lag`: sum_t (x_t - m)(x_{t+lag} - m) / sum_t (x_t - m)^2, m the
 * mean of all n values (the standard, biased estimator of Box & Jenkins). Under independence it
 * is about 0 with standard error ~ 1/sqrt(n). NaN when n - lag < MIN_ACF_PAIRS or x is constant.
 */
export function autocorrelation(x: ArrayLike<number>, lag: number): number {
  const n = x.length;
  if (!(lag >= 1) || n - lag < MIN_ACF_PAIRS) return NaN;
  const m = mean(x);
  let den = 0;
  for (let i = 0; i < n; i++) den += (x[i] - m) ** 2;
  let num = 0;
  for (let i = 0; i + lag < n; i++) num += (x[i] - m) * (x[i + lag] - m);
  return den > 0 ? num / den : NaN;
}

export interface ClusteringFacts {
  /** Autocorrelation of |r| at lags 1, 5 and 20 steps: > 0 = volatility clustering. */
  readonly absAcf1: number;
  readonly absAcf5: number;
  readonly absAcf20: number;
  /** Autocorrelation of r itself at lag 1: near 0 (or slightly negative: bid-ask bounce). */
  readonly rawAcf1: number;
}

export function clusteringFacts(r: ArrayLike<number>): ClusteringFacts {
  const abs = Float64Array.from({ length: r.length }, (_, i) => Math.abs(r[i]));
  return { absAcf1: autocorrelation(abs, 1), absAcf5: autocorrelation(abs, 5), absAcf20: autocorrelation(abs, 20), rawAcf1: autocorrelation(r, 1) };
}

// ---------------------------------------------------------------------------------------------
// Liquidations during moves

/** Window of the "move" returns: 5 minutes. */
export const MOVE_WINDOW_MS = 5 * 60_000;
/** Least windows to rank moves against calm: the top decile then holds at least one. */
export const MIN_MOVE_WINDOWS = 10;

export interface LiquidationFacts {
  readonly windows: number;
  /** Windows whose |return| is in the top decile (>= the 90th percentile of |return|). */
  readonly moveWindows: number;
  /** Liquidations inside the windows (every one given, when there are too few windows). */
  readonly liquidations: number;
  readonly inMoves: number;
  /** Forced sells (longs liquidated) and forced buys inside move windows. */
  readonly moveSells: number;
  readonly moveBuys: number;
  readonly calmSells: number;
  readonly calmBuys: number;
  /** Liquidations per move window over liquidations per calm window (> 1: they come with moves). */
  readonly rateRatio: number;
  /** Share of liquidation notional printed inside move windows (move windows are ~10% of time). */
  readonly moveNotionalShare: number;
  /**
   * Share of the move windows' liquidation notional whose forced side goes WITH the move (sells in
   * a down move, buys in an up move): near 1 when moves are cascades.
   */
  readonly withMoveShare: number;
}

/**
 * Liquidations inside and outside large moves. Windows are consecutive MOVE_WINDOW_MS intervals
 * (t_{j-1}, t_j] of the trade grid of gridLogReturns; a window is a move when its |last-trade log
 * return| is in the top decile of all windows. Each liquidation falls in the window containing
 * its ts. Needs MIN_MOVE_WINDOWS windows (50 minutes of trades) and one liquidation in them.
 */
export function liquidationFacts(t: TradeColumns, l: LiquidationColumns, windowMs = MOVE_WINDOW_MS): LiquidationFacts {
  const r = gridLogReturns(t.ts, t.price, windowMs, t.length);
  const w = r.length;
  const nan = { windows: w, moveWindows: NaN, liquidations: l.length, inMoves: NaN, moveSells: NaN, moveBuys: NaN, calmSells: NaN, calmBuys: NaN, rateRatio: NaN, moveNotionalShare: NaN, withMoveShare: NaN };
  if (w < MIN_MOVE_WINDOWS) return nan;
  const absSorted = Float64Array.from(r, Math.abs).sort();
  const cut = quantileSorted(absSorted, 0.9);
  const isMove = new Uint8Array(w);
  let moveWindows = 0;
  for (let j = 0; j < w; j++) {
    // A flat window is never a move, even when most windows are flat and the cut is 0.
    if (Math.abs(r[j]) >= cut && r[j] !== 0) {
      isMove[j] = 1;
      moveWindows++;
    }
  }
  const t0 = t.ts[0];
  let counted = 0;
  let inMoves = 0;
  let moveSells = 0;
  let moveBuys = 0;
  let calmSells = 0;
  let calmBuys = 0;
  let notional = 0;
  let moveNotional = 0;
  let withMove = 0;
  for (let i = 0; i < l.length; i++) {
    // Window j covers (t0 + j*step, t0 + (j+1)*step].
    const j = Math.ceil((l.ts[i] - t0) / windowMs) - 1;
    if (j < 0 || j >= w) continue;
    counted++;
    const x = l.price[i] * l.qty[i];
    notional += x;
    const sell = l.side[i] < 0;
    if (isMove[j]) {
      inMoves++;
      moveNotional += x;
      if (sell) moveSells++;
      else moveBuys++;
      if ((sell && r[j] < 0) || (!sell && r[j] > 0)) withMove += x;
    } else if (sell) calmSells++;
    else calmBuys++;
  }
  if (counted === 0 || moveWindows === 0) return { ...nan, moveWindows, liquidations: counted };
  const calmWindows = w - moveWindows;
  const calm = counted - inMoves;
  return {
    windows: w,
    moveWindows,
    liquidations: counted,
    inMoves,
    moveSells,
    moveBuys,
    calmSells,
    calmBuys,
    rateRatio: calm > 0 && calmWindows > 0 ? inMoves / moveWindows / (calm / calmWindows) : inMoves > 0 ? Infinity : NaN,
    moveNotionalShare: moveNotional / notional,
    withMoveShare: moveNotional > 0 ? withMove / moveNotional : NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// Spread and depth near the touch

/** Least book samples for the spread and depth quantiles. */
export const MIN_BOOK_SAMPLES = 10;
/** Book sampling step: the rebuilt book is read every 100 ms (time-weighted, not per message). */
export const BOOK_SAMPLE_MS = 100;
/** "Near the touch": levels within this many basis points of the mid, each side. */
export const DEPTH_BAND_BPS = 10;

export interface BookFacts {
  readonly samples: number;
  /** Samples skipped because the rebuilt book was crossed or one side empty. */
  readonly badSamples: number;
  readonly spreadTicksMedian: number;
  readonly spreadTicksP90: number;
  readonly spreadBpsMedian: number;
  readonly spreadBpsP90: number;
  /** Notional (quote) resting within DEPTH_BAND_BPS of the mid: bids and asks summed. */
  readonly depthMedian: number;
  readonly depthP90: number;
}

/**
 * Rebuild the L2 book from snapshots and diffs (features/book.ts L2Book, by tick index), drop
 * diffs that a later snapshot already contains (seq <= the snapshot's, where both are given:
 * Binance diffs buffered before the REST snapshot), and read it every BOOK_SAMPLE_MS from the
 * first snapshot on. Spread = best ask - best bid, in ticks and in bps of the mid; depth = sum
 * of price x qty of the levels within DEPTH_BAND_BPS of the mid on both sides. A sample with a
 * crossed or one-sided book is skipped and counted. Quantiles need MIN_BOOK_SAMPLES samples.
 * `tick` must be > 0 when there are book messages (L2Book throws otherwise).
 */
export function bookFacts(b: BookColumns, tick: number, stepMs = BOOK_SAMPLE_MS): BookFacts {
  if (b.length === 0) return { samples: 0, badSamples: 0, spreadTicksMedian: NaN, spreadTicksP90: NaN, spreadBpsMedian: NaN, spreadBpsP90: NaN, depthMedian: NaN, depthP90: NaN };
  const book = new L2Book(tick);
  const spreadTicks: number[] = [];
  const spreadBps: number[] = [];
  const depth: number[] = [];
  let bad = 0;
  let snapSeq = NaN;
  let next = NaN;
  const sample = (): void => {
    const bid = book.bids.best();
    const ask = book.asks.best();
    if (!(ask > bid)) {
      bad++;
      return;
    }
    const mid = ((bid + ask) / 2) * tick;
    const ticks = ask - bid;
    spreadTicks.push(ticks);
    spreadBps.push(((ticks * tick) / mid) * 1e4);
    const band = (mid * DEPTH_BAND_BPS) / 1e4;
    let d = 0;
    for (const side of [book.bids, book.asks]) {
      for (let k = 0; k < side.size; k++) {
        const p = side.indexAt(k) * tick;
        if (Math.abs(p - mid) > band) break;
        d += p * side.qtyAt(k);
      }
    }
    depth.push(d);
  };
  for (let m = 0; m < b.length; m++) {
    const ts = b.ts[m];
    // The book as it stood before this message, at every grid point the message passes.
    while (book.ready && ts > next) {
      sample();
      next += stepMs;
    }
    if (b.isSnapshot[m]) snapSeq = b.seq[m];
    else if (b.seq[m] <= snapSeq) continue;
    const wasReady = book.ready;
    book.apply(b, m);
    if (!wasReady && book.ready) next = ts;
  }
  const n = spreadTicks.length;
  const q = (x: number[], p: number): number => (n < MIN_BOOK_SAMPLES ? NaN : quantileSorted(Float64Array.from(x).sort(), p));
  return {
    samples: n,
    badSamples: bad,
    spreadTicksMedian: q(spreadTicks, 0.5),
    spreadTicksP90: q(spreadTicks, 0.9),
    spreadBpsMedian: q(spreadBps, 0.5),
    spreadBpsP90: q(spreadBps, 0.9),
    depthMedian: q(depth, 0.5),
    depthP90: q(depth, 0.9),
  };
}

// ---------------------------------------------------------------------------------------------
// The whole table for one venue

/** One venue + symbol's events as columns (what every statistic above reads). */
export interface MarketColumns {
  readonly venue: Venue;
  readonly symbol: string;
  readonly trades: TradeColumns;
  readonly liquidations: LiquidationColumns;
  readonly book: BookColumns;
}

/**
 * Return steps: 10 s (the figure), and 500 ms, the finest step at which a liquid perpetual
 * still prints in most intervals: the only one that yields enough returns on a capture of minutes.
 */
export const RETURN_STEPS_MS: readonly number[] = [10_000, 500];

export interface ReturnsAtStep {
  readonly stepMs: number;
  readonly returns: ReturnFacts;
  readonly clustering: ClusteringFacts;
}

export interface StylizedFacts {
  readonly venue: Venue;
  readonly symbol: string;
  /** Exchange time covered by the trades, ms. */
  readonly spanMs: number;
  readonly sizes: TradeSizeFacts;
  readonly gaps: InterTradeFacts;
  /** One entry per return step, in the order asked. */
  readonly returns: readonly ReturnsAtStep[];
  readonly liquidations: LiquidationFacts;
  readonly book: BookFacts;
}

/** Every figure of one market; `tick` = the instrument's tick size (for the spread in ticks). */
export function stylizedFacts(c: MarketColumns, tick: number, returnSteps: readonly number[] = RETURN_STEPS_MS): StylizedFacts {
  const t = c.trades;
  return {
    venue: c.venue,
    symbol: c.symbol,
    spanMs: t.length > 0 ? t.ts[t.length - 1] - t.ts[0] : 0,
    sizes: tradeSizeFacts(t),
    gaps: interTradeFacts(t.ts, t.length),
    returns: returnSteps.map((stepMs) => {
      const r = gridLogReturns(t.ts, t.price, stepMs, t.length);
      return { stepMs, returns: returnFacts(r), clustering: clusteringFacts(r) };
    }),
    liquidations: liquidationFacts(t, c.liquidations),
    book: bookFacts(c.book, tick),
  };
}

// ---------------------------------------------------------------------------------------------
// Events -> columns

/** A growable Float64Array. */
class F64 {
  a = new Float64Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.n * 2);
    this.a[this.n++] = x;
  }
  done(): Float64Array {
    return this.a.slice(0, this.n);
  }
}

class PriceEvents {
  readonly ts = new F64();
  readonly price = new F64();
  readonly qty = new F64();
  readonly side = new F64();
  columns(venue: Venue): TradeColumns {
    const n = this.ts.n;
    return { length: n, ts: this.ts.done(), price: this.price.done(), qty: this.qty.done(), side: Int8Array.from(this.side.done()), venue: new Uint8Array(n), venues: [venue] };
  }
}

/**
 * Gathers one venue + symbol's trades, liquidations and book messages from a normalized event
 * stream (a capture read through the venue parsers, or `SimRun.events()`) into MarketColumns,
 * growing typed arrays (no object kept per event). Tickers carry none of these figures.
 */
export class MarketColumnsBuilder {
  private readonly trades = new PriceEvents();
  private readonly liqs = new PriceEvents();
  private readonly bookTs = new F64();
  private readonly bookSnap = new F64();
  private readonly bookSeq = new F64();
  private readonly levelStart = new F64();
  private readonly levelSide = new F64();
  private readonly levelPrice = new F64();
  private readonly levelQty = new F64();

  constructor(
    readonly venue: Venue,
    readonly symbol: string,
  ) {}

  add(ev: MarketEvent): void {
    if (ev.venue !== this.venue || ev.symbol !== this.symbol) return;
    if (ev.type === 'trade' || ev.type === 'liquidation') {
      const c = ev.type === 'trade' ? this.trades : this.liqs;
      c.ts.push(ev.ts);
      c.price.push(ev.price);
      c.qty.push(ev.qty);
      c.side.push(ev.side === 'buy' ? 1 : -1);
    } else if (ev.type === 'book') {
      this.bookTs.push(ev.ts);
      this.bookSnap.push(ev.isSnapshot ? 1 : 0);
      this.bookSeq.push(ev.seq);
      this.levelStart.push(this.levelPrice.n);
      for (const [levels, side] of [[ev.bids, 1], [ev.asks, -1]] as const) {
        for (const [p, q] of levels) {
          this.levelSide.push(side);
          this.levelPrice.push(p);
          this.levelQty.push(q);
        }
      }
    }
  }

  columns(): MarketColumns {
    const m = this.bookTs.n;
    const levelStart = new Uint32Array(m + 1);
    levelStart.set(this.levelStart.done());
    levelStart[m] = this.levelPrice.n;
    return {
      venue: this.venue,
      symbol: this.symbol,
      trades: this.trades.columns(this.venue),
      liquidations: this.liqs.columns(this.venue),
      book: {
        length: m,
        ts: this.bookTs.done(),
        isSnapshot: Uint8Array.from(this.bookSnap.done()),
        seq: this.bookSeq.done(),
        levelStart,
        side: Int8Array.from(this.levelSide.done()),
        price: this.levelPrice.done(),
        qty: this.levelQty.done(),
      },
    };
  }
}
