/**
 * Native footprint (docs/FEATURES.md "Footprint").
 *
 * Per candle of any timeframe, trades are binned into price levels of `levelTicks` ticks by an
 * integer index: the tick index `Math.round(price / tick)`, then `Math.round(tickIndex /
 * levelTicks)` (exact in integers, so a price on the tick grid never lands on a level by float
 * noise: 100.1 / 0.2 is 500.49999999999994, but 1001 / 2 is 500.5). Per level: aggressive buy
 * ("ask") and sell ("bid") volume and trade counts. Per candle: OHLC, volumes, delta, min/max
 * running delta, diagonal imbalances (as Sierra Chart / ATAS flag them: never against an empty
 * level or at the candle's edge, never on a thin level), stacked imbalances, POC and value area.
 *
 * Levels are dense typed arrays from the candle's lowest to its highest level (empty levels
 * inside the range are zeros), so no object is made per trade or per level.
 */
import type { TradeColumns } from '../core/columns.ts';
import { OutOfOrderError, type Emit, type TradeOperator } from './operator.ts';

export interface FootprintOptions {
  readonly timeframeMs: number;
  /** The instrument's tick size (price step). */
  readonly tick: number;
  /** Level height in ticks, a whole number >= 1. Default 1. */
  readonly levelTicks?: number;
  /** A side is imbalanced when its volume is >= ratio x the diagonal opposite volume. Default 3. */
  readonly imbalanceRatio?: number;
  /** ... and at least this volume (base units). Default 0 (the notional minimum applies). */
  readonly imbalanceVolume?: number;
  /**
   * ... and at least this notional (volume x level price, quote units). Default
   * DEFAULT_IMBALANCE_NOTIONAL: one threshold that means the same on BTC and on a $2 coin.
   */
  readonly imbalanceNotional?: number;
  /**
   * What an empty diagonal opposite level counts as. Default undefined: a level facing an empty
   * one is never imbalanced (a ratio against nothing says nothing). A number (e.g. the lot) is
   * compared with instead, the "zero counts as one lot" convention.
   */
  readonly emptyOpposite?: number;
  /**
   * Whether the candle's edge levels take part: the ask at the lowest level and the bid at the
   * highest have no diagonal level inside the candle. Default false (skipped); true compares them
   * with `emptyOpposite` (so only when that is set).
   */
  readonly imbalanceEdges?: boolean;
  /** Stacked imbalance: at least this many consecutive imbalanced levels on one side. Default 3. */
  readonly stackedRange?: number;
  /** Value-area share of the candle's volume, (0, 1]. Default 0.7. */
  readonly valueArea?: number;
}

/** A run of consecutive imbalanced levels on one side. */
export interface StackedRun {
  readonly low_index: number;
  readonly high_index: number;
  readonly low: number;
  readonly high: number;
  /** high_index - low_index + 1. */
  readonly levels: number;
}

export interface FootprintCandle {
  readonly open_time_ms: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** buy_volume + sell_volume, base units. */
  readonly volume: number;
  /** Aggressive buy volume (lifted the ask). */
  readonly buy_volume: number;
  /** Aggressive sell volume (hit the bid). */
  readonly sell_volume: number;
  /** buy_volume - sell_volume. */
  readonly delta: number;
  /** Lowest and highest running delta (sum of signed qty since the candle opened), after each trade. */
  readonly min_delta: number;
  readonly max_delta: number;
  readonly trades: number;
  readonly buy_trades: number;
  readonly sell_trades: number;
  /** The tick, the level height in ticks, and their product (the level height in price). */
  readonly tick: number;
  readonly level_ticks: number;
  readonly level_size: number;
  /** Level index of levels[0]: the candle's lowest level. */
  readonly low_index: number;
  /** Level index with the most volume (lowest index on a tie), and its price. */
  readonly poc_index: number;
  readonly poc: number;
  /** Value area: level index range and prices, and the volume inside it. */
  readonly va_low_index: number;
  readonly va_high_index: number;
  readonly val: number;
  readonly vah: number;
  readonly va_volume: number;
  readonly stacked_bid: readonly StackedRun[];
  readonly stacked_ask: readonly StackedRun[];
  /** Dense per-level arrays, entry k = level index low_index + k. */
  readonly levels: FootprintLevels;
}

export interface FootprintLevels {
  readonly length: number;
  /** Aggressive buy volume ("ask" column). */
  readonly buyVolume: Float64Array;
  /** Aggressive sell volume ("bid" column). */
  readonly sellVolume: Float64Array;
  readonly buyTrades: Uint32Array;
  readonly sellTrades: Uint32Array;
  /** 1 where the ask side is imbalanced: buy at k >= ratio x sell at k-1 (see finish for the filters). */
  readonly askImbalance: Uint8Array;
  /** 1 where the bid side is imbalanced: sell at k >= ratio x buy at k+1. */
  readonly bidImbalance: Uint8Array;
}

/** Default minimum notional of an imbalanced side (quote units, e.g. USDT). */
export const DEFAULT_IMBALANCE_NOTIONAL = 5000;

/** Wider candles than this many levels are refused: a bad print or a level size far too small. */
export const MAX_LEVELS = 1 << 22;

interface Params {
  readonly tf: number;
  readonly tick: number;
  readonly levelTicks: number;
  /** tick x levelTicks, for output. */
  readonly levelSize: number;
  readonly ratio: number;
  readonly minVolume: number;
  readonly minNotional: number;
  /** What an empty opposite level counts as; NaN = never imbalanced against it. */
  readonly empty: number;
  readonly edges: boolean;
  readonly stacked: number;
  readonly valueArea: number;
  readonly decimals: number;
}

function params(o: FootprintOptions): Params {
  const p = {
    tf: o.timeframeMs,
    tick: o.tick,
    levelTicks: o.levelTicks ?? 1,
    levelSize: Number((o.tick * (o.levelTicks ?? 1)).toFixed(decimalsOf(o.tick))),
    ratio: o.imbalanceRatio ?? 3,
    minVolume: o.imbalanceVolume ?? 0,
    minNotional: o.imbalanceNotional ?? DEFAULT_IMBALANCE_NOTIONAL,
    empty: o.emptyOpposite ?? NaN,
    edges: o.imbalanceEdges ?? false,
    stacked: o.stackedRange ?? 3,
    valueArea: o.valueArea ?? 0.7,
    decimals: decimalsOf(o.tick),
  };
  if (!(p.tf > 0) || !Number.isFinite(p.tf)) throw new RangeError(`footprint: timeframeMs must be > 0, got ${p.tf}`);
  if (!(p.tick > 0) || !Number.isFinite(p.tick)) throw new RangeError(`footprint: tick must be > 0, got ${p.tick}`);
  if (!(Number.isInteger(p.levelTicks) && p.levelTicks >= 1)) throw new RangeError(`footprint: levelTicks must be a whole number >= 1, got ${p.levelTicks}`);
  if (!(p.ratio > 0)) throw new RangeError(`footprint: imbalanceRatio must be > 0, got ${p.ratio}`);
  if (!(p.minVolume >= 0)) throw new RangeError(`footprint: imbalanceVolume must be >= 0, got ${p.minVolume}`);
  if (!(p.minNotional >= 0)) throw new RangeError(`footprint: imbalanceNotional must be >= 0, got ${p.minNotional}`);
  if (o.emptyOpposite !== undefined && !(o.emptyOpposite >= 0 && Number.isFinite(o.emptyOpposite))) throw new RangeError(`footprint: emptyOpposite must be a volume >= 0 or unset, got ${o.emptyOpposite}`);
  if (!(Number.isInteger(p.stacked) && p.stacked >= 1)) throw new RangeError(`footprint: stackedRange must be a whole number >= 1, got ${p.stacked}`);
  if (!(p.valueArea > 0 && p.valueArea <= 1)) throw new RangeError(`footprint: valueArea must be in (0, 1], got ${p.valueArea}`);
  return p;
}

/** Decimals needed to print multiples of `step` without float noise (0.1 -> 1, 0.25 -> 2, 5 -> 0). */
export function decimalsOf(step: number): number {
  for (let d = 0; d <= 12; d++) {
    const x = step * 10 ** d;
    if (Math.abs(x - Math.round(x)) < 1e-9 * Math.max(1, x)) return d;
  }
  return 12;
}

/** Level index of a price: tick index first, then levels of `levelTicks` ticks, both rounded. */
export function levelIndex(price: number, tick: number, levelTicks: number): number {
  const t = Math.round(price / tick);
  return levelTicks === 1 ? t : Math.round(t / levelTicks);
}

/** Price of a level index: index x levelTicks ticks, rounded to the tick's decimals. */
export function levelPrice(index: number, tick: number, levelTicks: number, decimals = decimalsOf(tick)): number {
  return Number((index * levelTicks * tick).toFixed(decimals));
}

function tooWide(span: number): RangeError {
  return new RangeError(`footprint: a candle spans ${span} levels (more than ${MAX_LEVELS}); use a larger level size or check for bad prices`);
}

/** What both paths know of a candle once its trades are summed. */
interface CandleTotals {
  open_time_ms: number;
  open: number;
  high: number;
  low: number;
  close: number;
  buy_volume: number;
  sell_volume: number;
  min_delta: number;
  max_delta: number;
  buy_trades: number;
  sell_trades: number;
}

/** Imbalances, stacks, POC and value area from the summed levels: shared by both paths. */
function finish(p: Params, t: CandleTotals, lowIndex: number, buyV: Float64Array, sellV: Float64Array, buyN: Uint32Array, sellN: Uint32Array): FootprintCandle {
  const n = buyV.length;
  const askImb = new Uint8Array(n);
  const bidImb = new Uint8Array(n);
  // Diagonal: the ask at k against the bid one level down, the bid at k against the ask one level
  // up. An opposite of 0 (an empty level, or beyond the edge when edges are on) counts as
  // p.empty; NaN there fails every comparison, so nothing is flagged against an empty level.
  const levelSize = p.tick * p.levelTicks;
  for (let k = 0; k < n; k++) {
    const px = (lowIndex + k) * levelSize;
    const a = buyV[k];
    if (a > 0 && a >= p.minVolume && a * px >= p.minNotional && (k > 0 || p.edges)) {
      const o = k > 0 ? sellV[k - 1] : 0;
      if (a >= p.ratio * (o > 0 ? o : p.empty)) askImb[k] = 1;
    }
    const b = sellV[k];
    if (b > 0 && b >= p.minVolume && b * px >= p.minNotional && (k < n - 1 || p.edges)) {
      const o = k < n - 1 ? buyV[k + 1] : 0;
      if (b >= p.ratio * (o > 0 ? o : p.empty)) bidImb[k] = 1;
    }
  }
  const stack = (flags: Uint8Array): StackedRun[] => {
    const runs: StackedRun[] = [];
    for (let k = 0; k < n; ) {
      if (!flags[k]) {
        k++;
        continue;
      }
      let e = k;
      while (e + 1 < n && flags[e + 1]) e++;
      if (e - k + 1 >= p.stacked) {
        runs.push({ low_index: lowIndex + k, high_index: lowIndex + e, low: levelPrice(lowIndex + k, p.tick, p.levelTicks, p.decimals), high: levelPrice(lowIndex + e, p.tick, p.levelTicks, p.decimals), levels: e - k + 1 });
      }
      k = e + 1;
    }
    return runs;
  };

  let poc = 0;
  let pocVol = -1;
  for (let k = 0; k < n; k++) {
    const v = buyV[k] + sellV[k];
    if (v > pocVol) {
      pocVol = v;
      poc = k;
    }
  }
  // Value area: from the POC, repeatedly add the two levels above or the two below, whichever
  // pair holds more volume (both on a tie), until the share of the candle's volume is reached.
  const volume = t.buy_volume + t.sell_volume;
  const target = p.valueArea * volume;
  let up = poc;
  let dn = poc;
  let va = pocVol;
  while (va < target && (up < n - 1 || dn > 0)) {
    const upN = Math.min(2, n - 1 - up);
    const dnN = Math.min(2, dn);
    let upSum = 0;
    for (let j = 1; j <= upN; j++) upSum += buyV[up + j] + sellV[up + j];
    let dnSum = 0;
    for (let j = 1; j <= dnN; j++) dnSum += buyV[dn - j] + sellV[dn - j];
    const takeUp = upN > 0 && (dnN === 0 || upSum >= dnSum);
    const takeDn = dnN > 0 && (upN === 0 || dnSum >= upSum);
    if (takeUp) {
      up += upN;
      va += upSum;
    }
    if (takeDn) {
      dn -= dnN;
      va += dnSum;
    }
  }
  const price = (k: number) => levelPrice(lowIndex + k, p.tick, p.levelTicks, p.decimals);
  return {
    open_time_ms: t.open_time_ms,
    open: t.open,
    high: t.high,
    low: t.low,
    close: t.close,
    volume,
    buy_volume: t.buy_volume,
    sell_volume: t.sell_volume,
    delta: t.buy_volume - t.sell_volume,
    min_delta: t.min_delta,
    max_delta: t.max_delta,
    trades: t.buy_trades + t.sell_trades,
    buy_trades: t.buy_trades,
    sell_trades: t.sell_trades,
    tick: p.tick,
    level_ticks: p.levelTicks,
    level_size: p.levelSize,
    low_index: lowIndex,
    poc_index: lowIndex + poc,
    poc: price(poc),
    va_low_index: lowIndex + dn,
    va_high_index: lowIndex + up,
    val: price(dn),
    vah: price(up),
    va_volume: va,
    stacked_bid: stack(bidImb),
    stacked_ask: stack(askImb),
    levels: { length: n, buyVolume: buyV, sellVolume: sellV, buyTrades: buyN, sellTrades: sellN, askImbalance: askImb, bidImbalance: bidImb },
  };
}

/**
 * Incremental footprint: push trades in time order; each candle is emitted when the first trade
 * of a later candle arrives (or at flush). State: one candle's levels in a dense window that
 * grows (doubling) or re-centres only when a price leaves it.
 */
export class FootprintOperator implements TradeOperator {
  private readonly p: Params;
  private cap = 64;
  private base = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private buyV = new Float64Array(64);
  private sellV = new Float64Array(64);
  private buyN = new Uint32Array(64);
  private sellN = new Uint32Array(64);
  private openMs = -Infinity;
  private endMs = -Infinity;
  /** Mutated in place (push holds it in a local). */
  private readonly t: CandleTotals = emptyTotals();
  private rd = 0;

  constructor(
    opts: FootprintOptions,
    private readonly emit: Emit<FootprintCandle>,
  ) {
    this.p = params(opts);
  }

  push(tr: TradeColumns, from = 0, to = tr.length): void {
    const { ts, price, qty, side } = tr;
    const tick = this.p.tick;
    const lt = this.p.levelTicks;
    const t = this.t;
    for (let i = from; i < to; i++) {
      const x = ts[i];
      const px = price[i];
      if (x >= this.endMs) {
        if (this.endMs !== -Infinity) this.close();
        this.openMs = Math.floor(x / this.p.tf) * this.p.tf;
        this.endMs = this.openMs + this.p.tf;
        t.open_time_ms = this.openMs;
        t.open = px;
        t.high = px;
        t.low = px;
      } else if (x < this.openMs) {
        throw new OutOfOrderError(x, this.openMs);
      }
      const ti = Math.round(px / tick);
      const li = lt === 1 ? ti : Math.round(ti / lt);
      let k = li - this.base;
      if (k < 0 || k >= this.cap) {
        this.fit(li);
        k = li - this.base;
      }
      if (li < this.lo) this.lo = li;
      if (li > this.hi) this.hi = li;
      const q = qty[i];
      let rd = this.rd;
      if (side[i] > 0) {
        this.buyV[k] += q;
        this.buyN[k]++;
        t.buy_volume += q;
        t.buy_trades++;
        rd += q;
      } else {
        this.sellV[k] += q;
        this.sellN[k]++;
        t.sell_volume += q;
        t.sell_trades++;
        rd -= q;
      }
      this.rd = rd;
      if (rd < t.min_delta) t.min_delta = rd;
      if (rd > t.max_delta) t.max_delta = rd;
      if (px > t.high) t.high = px;
      if (px < t.low) t.low = px;
      t.close = px;
    }
  }

  flush(): void {
    if (this.endMs !== -Infinity) this.close();
    this.openMs = -Infinity;
    this.endMs = -Infinity;
  }

  /** Make the window hold level `li` as well as [lo, hi]. */
  private fit(li: number): void {
    if (this.lo > this.hi) {
      this.base = li - (this.cap >> 1);
      return;
    }
    const lo = Math.min(this.lo, li);
    const hi = Math.max(this.hi, li);
    const span = hi - lo + 1;
    if (span > MAX_LEVELS) throw tooWide(span);
    let cap = this.cap;
    while (cap < span * 2) cap *= 2;
    const base = lo - ((cap - span) >> 1);
    const from = this.lo - this.base;
    const to = this.hi - this.base + 1;
    const at = this.lo - base;
    const move = <A extends Float64Array | Uint32Array>(a: A, make: (n: number) => A): A => {
      if (cap !== this.cap) {
        const b = make(cap);
        b.set(a.subarray(from, to), at);
        return b;
      }
      a.copyWithin(at, from, to);
      a.fill(0, 0, at);
      a.fill(0, at + (to - from));
      return a;
    };
    this.buyV = move(this.buyV, (n) => new Float64Array(n));
    this.sellV = move(this.sellV, (n) => new Float64Array(n));
    this.buyN = move(this.buyN, (n) => new Uint32Array(n));
    this.sellN = move(this.sellN, (n) => new Uint32Array(n));
    this.cap = cap;
    this.base = base;
  }

  /**
   * The open candle as it stands (for live views), or undefined before any trade: the candle
   * `close` would emit now, without closing it. Copies the open levels (O(levels)).
   */
  partial(): FootprintCandle | undefined {
    if (this.endMs === -Infinity) return undefined;
    const from = this.lo - this.base;
    const to = this.hi - this.base + 1;
    return finish(this.p, { ...this.t }, this.lo, this.buyV.slice(from, to), this.sellV.slice(from, to), this.buyN.slice(from, to), this.sellN.slice(from, to));
  }

  private close(): void {
    const from = this.lo - this.base;
    const to = this.hi - this.base + 1;
    const candle = finish(this.p, this.t, this.lo, this.buyV.slice(from, to), this.sellV.slice(from, to), this.buyN.slice(from, to), this.sellN.slice(from, to));
    this.buyV.fill(0, from, to);
    this.sellV.fill(0, from, to);
    this.buyN.fill(0, from, to);
    this.sellN.fill(0, from, to);
    this.lo = Infinity;
    this.hi = -Infinity;
    Object.assign(this.t, emptyTotals());
    this.rd = 0;
    this.emit(candle);
  }
}

function emptyTotals(): CandleTotals {
  return {
    open_time_ms: NaN,
    open: NaN,
    high: NaN,
    low: NaN,
    close: NaN,
    buy_volume: 0,
    sell_volume: 0,
    min_delta: Infinity,
    max_delta: -Infinity,
    buy_trades: 0,
    sell_trades: 0,
  };
}

/**
 * Batch footprint over whole columns (time order): each candle's trades are a contiguous run;
 * one pass finds its level range, a second sums into arrays sized to it. Same candles as
 * FootprintOperator fed the same trades in any chunking.
 */
export function footprintBatch(tr: TradeColumns, opts: FootprintOptions): FootprintCandle[] {
  const p = params(opts);
  const { ts, price, qty, side } = tr;
  const out: FootprintCandle[] = [];
  const { tick, levelTicks } = p;
  let s = 0;
  while (s < tr.length) {
    const bar = Math.floor(ts[s] / p.tf);
    const end = (bar + 1) * p.tf;
    let e = s + 1;
    while (e < tr.length && ts[e] < end) e++;
    let lo = Infinity;
    let hi = -Infinity;
    let high = -Infinity;
    let low = Infinity;
    for (let i = s; i < e; i++) {
      if (ts[i] < bar * p.tf) throw new OutOfOrderError(ts[i], bar * p.tf);
      const li = levelIndex(price[i], tick, levelTicks);
      if (li < lo) lo = li;
      if (li > hi) hi = li;
      if (price[i] > high) high = price[i];
      if (price[i] < low) low = price[i];
    }
    if (hi - lo + 1 > MAX_LEVELS) throw tooWide(hi - lo + 1);
    const n = hi - lo + 1;
    const buyV = new Float64Array(n);
    const sellV = new Float64Array(n);
    const buyN = new Uint32Array(n);
    const sellN = new Uint32Array(n);
    let buy = 0;
    let sell = 0;
    let rd = 0;
    let minD = Infinity;
    let maxD = -Infinity;
    for (let i = s; i < e; i++) {
      const k = levelIndex(price[i], tick, levelTicks) - lo;
      const q = qty[i];
      if (side[i] > 0) {
        buyV[k] += q;
        buyN[k]++;
        buy += q;
        rd += q;
      } else {
        sellV[k] += q;
        sellN[k]++;
        sell += q;
        rd -= q;
      }
      if (rd < minD) minD = rd;
      if (rd > maxD) maxD = rd;
    }
    let buyTrades = 0;
    for (let k = 0; k < n; k++) buyTrades += buyN[k];
    out.push(
      finish(
        p,
        {
          open_time_ms: bar * p.tf,
          open: price[s],
          high,
          low,
          close: price[e - 1],
          buy_volume: buy,
          sell_volume: sell,
          min_delta: minD,
          max_delta: maxD,
          buy_trades: buyTrades,
          sell_trades: e - s - buyTrades,
        },
        lo,
        buyV,
        sellV,
        buyN,
        sellN,
      ),
    );
    s = e;
  }
  return out;
}

/** Names of the entries of each `levels` row in footprintJson. */
export const LEVEL_FIELDS = ['price', 'level_index', 'bid_volume', 'ask_volume', 'delta', 'volume', 'bid_trades', 'ask_trades', 'bid_imbalance', 'ask_imbalance'] as const;

/**
 * A candle as JSON: every scalar field, and `levels` as rows in LEVEL_FIELDS order, only levels
 * with trades, ascending. bid = aggressive sell (hit the bid), ask = aggressive buy.
 */
export function footprintJson(c: FootprintCandle): Record<string, unknown> {
  const { levels: L, ...scalars } = c;
  const dec = decimalsOf(c.tick);
  const rows: (number | boolean)[][] = [];
  for (let k = 0; k < L.length; k++) {
    const b = L.sellVolume[k];
    const a = L.buyVolume[k];
    if (L.buyTrades[k] + L.sellTrades[k] === 0) continue;
    const idx = c.low_index + k;
    rows.push([levelPrice(idx, c.tick, c.level_ticks, dec), idx, b, a, a - b, a + b, L.sellTrades[k], L.buyTrades[k], L.bidImbalance[k] === 1, L.askImbalance[k] === 1]);
  }
  return { ...scalars, levels: rows };
}
