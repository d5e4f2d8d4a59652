/**
 * Predicted liquidation levels (docs/features/predicted-liquidations.md; strategy point 1 of
 * DESIGN.md: anticipate where the next liquidation cluster will form). Coinglass's idea, done in
 * the open.
 *
 * Per market (venue + symbol), between two open-interest observations: an increase dOI is taken
 * as new leveraged positions opened at the interval's VWAP (fallback: the observation's mark
 * price, then the last trade), split into longs and shorts by the interval's share of aggressive
 * buy notional (or a fixed share), and spread over a leverage mix. Each (side, leverage) slice
 * gets the isolated-margin liquidation price by its own venue's rule and tiers (src/core/margin.ts),
 * and its quantity is added to a long or short level map (price bins, as liquidations.ts).
 * A decrease closes positions uniformly: every level of that market shrinks by OI_new / OI_old.
 * A level is consumed (removed) when a trade of its venue prints in its bin or beyond it (long:
 * at or below; short: at or above).
 *
 * Two paths with identical results (property-tested): PredictedLiquidationOperator (push open
 * interest and trades in time order, in any chunks; ask for a snapshot at any time >= the latest
 * event) and predictedLiquidationSnapshots (batch over whole columns at given times). Both drive
 * the same Model; at equal timestamps trades always come before open interest, whatever order
 * they were pushed in, so a level can be consumed only by trades strictly after its creation.
 */
import { grown, type OpenInterestColumns, type TradeColumns } from '../core/columns.ts';
import { VENUES, type Venue } from '../core/events.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { isolatedLiquidationPriceWith, isolatedOpenInto, OPEN_LIQUIDATION, openIsolated, tierAt, type MarginInstrument } from '../core/margin.ts';
import { binner, venuesOf, type Binner, type LiquidationBins } from './liquidations.ts';
import { OutOfOrderError } from './operator.ts';

/** One leverage of the mix and the share of new positions assumed to use it. */
export interface LeverageWeight {
  readonly leverage: number;
  readonly weight: number;
}

/** 5/10/20/50/100x, equally weighted. */
export const DEFAULT_LEVERAGE_MIX: readonly LeverageWeight[] = [5, 10, 20, 50, 100].map((leverage) => ({ leverage, weight: 0.2 }));
/** Size (quote) of one representative position: picks the maintenance tier. */
export const DEFAULT_POSITION_NOTIONAL = 10_000;
/** Maintenance margin rate when the instrument has no tiers (lowest tier of the majors: 0.4%-0.5%). */
export const DEFAULT_FALLBACK_MMR = 0.005;

export interface PredictedLiquidationOptions {
  readonly bins: LiquidationBins;
  /** Default DEFAULT_LEVERAGE_MIX. Weights are normalized to sum 1. */
  readonly leverageMix?: readonly LeverageWeight[];
  /**
   * Share of new OI counted as leveraged LONGS (the rest as shorts): 'aggressor' (default) = the
   * interval's aggressive buy notional / all aggressive notional of that venue, 0.5 when the
   * interval has no trades; or a fixed number in [0, 1].
   */
  readonly longShare?: 'aggressor' | number;
  /** Quote notional of one representative position, for the tier lookup. Default 10,000. */
  readonly positionNotional?: number;
  /** Instruments (tiers, max leverage) by venue + symbol; markets it lacks use the fallback rate. */
  readonly instruments?: InstrumentRegistry;
  /** Maintenance margin rate (maintenance amount 0) where no tiers are known. Default 0.005. */
  readonly fallbackMaintMarginRate?: number;
}

/** One level of one side at a snapshot. */
export interface PredictedLevel {
  /** Bin index (see LiquidationBins) and the bin's price. */
  readonly index: number;
  readonly price: number;
  /** Projected position size still open at this level, base units. */
  readonly qty: number;
  /** Sum of qty x projected liquidation price of each contribution: quote that would be force-closed. */
  readonly notional: number;
  /** Contributions: (OI increase, leverage) slices that landed in this bin. */
  readonly count: number;
  /** Bit i set = venue VENUES[i] contributed (see venuesOf). */
  readonly venue_mask: number;
  readonly venues: readonly Venue[];
  /** Times of the first and latest OI observation that added to it. */
  readonly first_ts: number;
  readonly last_ts: number;
}

export interface PredictedLiquidationSnapshot {
  readonly ts: number;
  /** Levels where LONGS would be liquidated (below price), ascending by price. */
  readonly longs: readonly PredictedLevel[];
  /** Levels where SHORTS would be liquidated (above price), ascending by price. */
  readonly shorts: readonly PredictedLevel[];
  readonly long_notional: number;
  readonly short_notional: number;
}

// ---------------------------------------------------------------------------------------------
// Liquidation price: each venue's own isolated-margin rule (src/core/margin.ts, docs/MARGIN.md).

export interface ProjectedLiquidation {
  readonly price: number;
  /** Leverage used (the asked one, capped by the entry tier's and the instrument's max leverage). */
  readonly leverage: number;
  /** Maintenance rate and amount of the tier the price was solved with. */
  readonly mmr: number;
  readonly cum: number;
}

/**
 * The instrument a market's levels are projected with: the registry's, or where it has none a
 * stand-in without tiers, fees or leverage cap (then the fallback rate applies).
 */
export function marginInstrumentOf(venue: Venue, symbol: string, instruments: InstrumentRegistry | undefined): MarginInstrument {
  const inst = instruments?.get(venue, symbol);
  if (inst?.contractType === 'inverse') throw new RangeError(`predicted liquidations: ${venue} ${symbol} is an inverse contract; only linear contracts are modelled`);
  return inst ?? { venue, symbol, contractType: 'linear', contractValue: 1, maxLeverage: 0, tiers: [], makerFee: 0, takerFee: 0 };
}

/**
 * Liquidation price of one representative position: `positionNotional` (quote) opened at `entry`
 * with `leverage` under isolated margin (margin = notional / leverage, fees paid ignored), by the
 * venue's own rule (openIsolated): Binance re-picks the bracket at the liquidation price, OKX
 * picks the tier by size and adds the taker fee to the requirement, Bybit values the maintenance
 * margin at entry. An instrument without tiers uses `fallbackMmr` with amount 0. Leverage above
 * the entry tier's (or the instrument's) max leverage is capped to it. Undefined when the position
 * could not exist (beyond the last tier) or would be liquidated at once (long: LP <= 0 or LP >=
 * entry; short: LP <= entry).
 */
export function projectLiquidationPrice(side: 1 | -1, entry: number, leverage: number, positionNotional: number, instrument: MarginInstrument, fallbackMmr: number): ProjectedLiquidation | undefined {
  const qty = positionNotional / entry;
  const cap = instrument.maxLeverage > 0 ? instrument.maxLeverage : Infinity;
  let lev = Math.min(leverage, cap);
  if (instrument.tiers.length === 0) {
    // One fixed rate: openIsolated's price with that override, without its records.
    const lp = isolatedLiquidationPriceWith(instrument, side, qty, entry, lev, fallbackMmr, 0);
    return liquidates(side, entry, lp) ? { price: lp, leverage: lev, mmr: fallbackMmr, cum: 0 } : undefined;
  }
  const atEntry = tierAt(instrument, qty, entry, entry);
  const last = instrument.tiers[instrument.tiers.length - 1];
  if (atEntry.index === instrument.tiers.length - 1 && atEntry.basis >= last.notionalCap) return undefined;
  if (atEntry.maxLeverage > 0) lev = Math.min(lev, atEntry.maxLeverage);
  const p = openIsolated({ instrument, side: side > 0 ? 'long' : 'short', qty, entry, leverage: lev });
  const lp = p.liquidationPrice;
  return liquidates(side, entry, lp) ? { price: lp, leverage: lev, mmr: p.liquidationTier.maintMarginRate, cum: p.liquidationTier.maintAmount } : undefined;
}

/**
 * `projectLiquidationPrice(...)?.price`, NaN where that is undefined, without the record: the
 * model projects 10 positions per open-interest row and reads only the price (the record and its
 * four numbers were most of what the model allocated).
 */
export function projectedLiquidationPrice(side: 1 | -1, entry: number, leverage: number, positionNotional: number, instrument: MarginInstrument, fallbackMmr: number): number {
  const qty = positionNotional / entry;
  const cap = instrument.maxLeverage > 0 ? instrument.maxLeverage : Infinity;
  let lev = Math.min(leverage, cap);
  const tiers = instrument.tiers;
  if (tiers.length === 0) {
    const lp = isolatedLiquidationPriceWith(instrument, side, qty, entry, lev, fallbackMmr, 0);
    return liquidates(side, entry, lp) ? lp : NaN;
  }
  // projectLiquidationPrice's steps, the position solved by isolatedOpenInto (openIsolated's
  // checks and arithmetic, bit for bit, without its spec, position and tier records).
  const atEntry = tierAt(instrument, qty, entry, entry);
  const last = tiers[tiers.length - 1];
  if (atEntry.index === tiers.length - 1 && atEntry.basis >= last.notionalCap) return NaN;
  if (atEntry.maxLeverage > 0) lev = Math.min(lev, atEntry.maxLeverage);
  isolatedOpenInto(instrument, side, qty, entry, lev, OPENED);
  const lp = OPENED[OPEN_LIQUIDATION];
  return liquidates(side, entry, lp) ? lp : NaN;
}

/** projectedLiquidationPrice's scratch for isolatedOpenInto. */
const OPENED = new Float64Array(3);

/** A liquidation price the position could reach: finite, > 0, below a long's entry or above a short's. */
function liquidates(side: 1 | -1, entry: number, lp: number): boolean {
  return Number.isFinite(lp) && lp > 0 && (side > 0 ? lp < entry : lp > entry);
}

// ---------------------------------------------------------------------------------------------
// The model both paths drive.

interface Params {
  readonly bin: Binner;
  readonly bins: LiquidationBins;
  readonly mix: readonly LeverageWeight[];
  readonly longShare: 'aggressor' | number;
  readonly positionNotional: number;
  readonly instruments: InstrumentRegistry | undefined;
  readonly fallbackMmr: number;
  /**
   * Each leverage of the mix kept in level maps of its own, with weight 1 (as a run with that
   * leverage alone): `predictedLiquidationsByLeverage`. Otherwise one map holds the whole mix.
   */
  readonly byLeverage: boolean;
}

function params(o: PredictedLiquidationOptions, byLeverage = false): Params {
  const mix = o.leverageMix ?? DEFAULT_LEVERAGE_MIX;
  if (mix.length === 0) throw new RangeError('predicted liquidations: leverageMix must not be empty');
  let sum = 0;
  for (const m of mix) {
    if (!(m.leverage >= 1) || !Number.isFinite(m.leverage)) throw new RangeError(`predicted liquidations: leverage must be finite and >= 1, got ${m.leverage}`);
    if (!(m.weight >= 0) || !Number.isFinite(m.weight)) throw new RangeError(`predicted liquidations: leverage weight must be finite and >= 0, got ${m.weight}`);
    sum += m.weight;
  }
  if (!(sum > 0)) throw new RangeError('predicted liquidations: leverage weights must not all be 0');
  const longShare = o.longShare ?? 'aggressor';
  if (longShare !== 'aggressor' && !(longShare >= 0 && longShare <= 1)) throw new RangeError(`predicted liquidations: longShare must be 'aggressor' or in [0, 1], got ${longShare}`);
  const positionNotional = o.positionNotional ?? DEFAULT_POSITION_NOTIONAL;
  if (!(positionNotional > 0) || !Number.isFinite(positionNotional)) throw new RangeError(`predicted liquidations: positionNotional must be > 0, got ${positionNotional}`);
  const fallbackMmr = o.fallbackMaintMarginRate ?? DEFAULT_FALLBACK_MMR;
  if (!(fallbackMmr >= 0 && fallbackMmr < 1)) throw new RangeError(`predicted liquidations: fallbackMaintMarginRate must be in [0, 1), got ${fallbackMmr}`);
  return {
    bin: binner(o.bins),
    bins: o.bins,
    mix: mix.map((m) => ({ leverage: m.leverage, weight: m.weight / sum })),
    longShare,
    positionNotional,
    instruments: o.instruments,
    fallbackMmr,
    byLeverage,
  };
}

/**
 * One side's levels of one market (one leverage's, under Params.byLeverage) as columns sorted by
 * bin: closing positions scales every level, a trade at or beyond the touch-most level drops a
 * run at one end, and a snapshot merges the markets' sorted columns, all without a Map entry or
 * an object per level (Map iteration on every open-interest decrease and a sort per snapshot
 * were most of the model's time on the bench).
 */
class LevelTable {
  keys = new Float64Array(16);
  qty = new Float64Array(16);
  notional = new Float64Array(16);
  count = new Float64Array(16);
  first = new Float64Array(16);
  last = new Float64Array(16);
  n = 0;

  /** First slot whose bin is >= k. */
  private find(k: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A contribution to bin k: added to its level, or a new level. */
  add(k: number, qty: number, notional: number, ts: number): void {
    const i = this.find(k);
    if (i < this.n && this.keys[i] === k) {
      this.qty[i] += qty;
      this.notional[i] += notional;
      this.count[i]++;
      this.last[i] = ts;
      return;
    }
    if (this.n === this.keys.length) this.grow();
    for (const col of [this.keys, this.qty, this.notional, this.count, this.first, this.last]) col.copyWithin(i + 1, i, this.n);
    this.keys[i] = k;
    this.qty[i] = qty;
    this.notional[i] = notional;
    this.count[i] = 1;
    this.first[i] = ts;
    this.last[i] = ts;
    this.n++;
  }

  /** Every level keeps the fraction f (each value multiplied once, as on the levels themselves). */
  scale(f: number): void {
    const qty = this.qty;
    const notional = this.notional;
    for (let i = 0; i < this.n; i++) {
      qty[i] *= f;
      notional[i] *= f;
    }
  }

  /** Drops the levels with bin >= k; the highest bin left (-Infinity when none). */
  dropAtOrAbove(k: number): number {
    this.n = this.find(k);
    return this.n > 0 ? this.keys[this.n - 1] : -Infinity;
  }

  /** Drops the levels with bin <= k; the lowest bin left (Infinity when none). */
  dropAtOrBelow(k: number): number {
    let i = this.find(k);
    if (i < this.n && this.keys[i] === k) i++;
    if (i > 0) {
      for (const col of [this.keys, this.qty, this.notional, this.count, this.first, this.last]) col.copyWithin(0, i, this.n);
      this.n -= i;
    }
    return this.n > 0 ? this.keys[0] : Infinity;
  }

  clear(): void {
    this.n = 0;
  }

  clone(): LevelTable {
    const t = new LevelTable();
    t.keys = this.keys.slice();
    t.qty = this.qty.slice();
    t.notional = this.notional.slice();
    t.count = this.count.slice();
    t.first = this.first.slice();
    t.last = this.last.slice();
    t.n = this.n;
    return t;
  }

  private grow(): void {
    const n = this.keys.length * 2;
    this.keys = grown(this.keys, n);
    this.qty = grown(this.qty, n);
    this.notional = grown(this.notional, n);
    this.count = grown(this.count, n);
    this.first = grown(this.first, n);
    this.last = grown(this.last, n);
  }
}

/** Slots of Market.acc. */
const SUM_PQ = 0;
const SUM_Q = 1;
const BUY_N = 2;
const SELL_N = 3;
const LAST_PRICE = 4;

/** One venue's series: its OI, the open interval's trade sums, and its levels. */
class Market {
  symbol: string | undefined;
  instrument: MarginInstrument | undefined;
  oi = NaN;
  /**
   * The open interval's sums (price x qty, qty, aggressive buy and sell notional) and the last
   * trade price, updated on every trade: a typed array, where object fields boxed a number per
   * trade.
   */
  acc = Float64Array.of(0, 0, 0, 0, NaN);
  /** Level tables: one, or one per leverage of the mix (Params.byLeverage). */
  longs: LevelTable[];
  shorts: LevelTable[];
  /** Highest long bin / lowest short bin over every map (a trade at or beyond it consumes something). */
  maxLong = -Infinity;
  minShort = Infinity;

  constructor(
    readonly venue: Venue,
    maps: number,
  ) {
    this.longs = Array.from({ length: maps }, () => new LevelTable());
    this.shorts = Array.from({ length: maps }, () => new LevelTable());
  }

  clone(): Market {
    const m = new Market(this.venue, 0);
    Object.assign(m, this);
    m.acc = this.acc.slice();
    m.longs = this.longs.map((t) => t.clone());
    m.shorts = this.shorts.map((t) => t.clone());
    return m;
  }
}

function venueIndex(v: Venue): number {
  const i = VENUES.indexOf(v);
  if (i < 0) throw new RangeError(`predicted liquidations: unknown venue ${JSON.stringify(v)}`);
  return i;
}

function checkTrade(c: TradeColumns, i: number): void {
  const px = c.price[i];
  const q = c.qty[i];
  if (!(px > 0) || !Number.isFinite(px)) throw new RangeError(`predicted liquidations: trade row ${i} has price ${px}; prices must be finite and > 0`);
  if (!(q >= 0) || !Number.isFinite(q)) throw new RangeError(`predicted liquidations: trade row ${i} has qty ${q}; quantities must be finite and >= 0`);
  if (c.side[i] !== 1 && c.side[i] !== -1) throw new RangeError(`predicted liquidations: trade row ${i} has side ${c.side[i]}; accepted: 1 (buy), -1 (sell)`);
}

function checkOpenInterest(c: OpenInterestColumns, i: number): void {
  const oi = c.openInterest[i];
  if (!(oi >= 0) || !Number.isFinite(oi)) throw new RangeError(`predicted liquidations: open-interest row ${i} has open interest ${oi}; must be finite and >= 0`);
  if (c.markets[c.market[i]] === undefined) throw new RangeError(`predicted liquidations: open-interest row ${i} has market ${c.market[i]}, beyond the ${c.markets.length} markets`);
}

const SIDES = [1, -1] as const;

/** Per-event updates and the snapshot; markets by venue index (one symbol per venue). */
class Model {
  markets: (Market | undefined)[] = new Array(VENUES.length).fill(undefined);
  /** Scratch of mergeSide: each market's table of the side being merged, and its cursor. */
  private readonly tables: (LevelTable | undefined)[] = new Array(VENUES.length).fill(undefined);
  private readonly cursors = new Int32Array(VENUES.length);
  /** The last trade price and its bin (a cache, not state: a clone starts without it). */
  private binPrice = NaN;
  private bin = NaN;
  /**
   * Binners of their own (each remembers its last bins, to skip a log): trade prices, and the
   * projected price of each (side, leverage) slice, which moves with the entry price. One binner
   * for all of them missed on nearly every call.
   */
  private readonly tradeBins: Binner;
  private readonly sliceBins: Binner[];

  constructor(readonly p: Params) {
    this.tradeBins = binner(p.bins);
    this.sliceBins = Array.from({ length: 2 * p.mix.length }, () => binner(p.bins));
  }

  clone(): Model {
    const m = new Model(this.p);
    m.markets = this.markets.map((x) => x?.clone());
    return m;
  }

  private market(vi: number): Market {
    let m = this.markets[vi];
    if (!m) {
      m = new Market(VENUES[vi], this.p.byLeverage ? this.p.mix.length : 1);
      this.markets[vi] = m;
    }
    return m;
  }

  /** Trade row i of c (read here, not passed in: a call that is not inlined would box each price and qty). */
  tradeAt(vi: number, c: TradeColumns, i: number): void {
    const price = c.price[i];
    const qty = c.qty[i];
    const side = c.side[i];
    const m = this.market(vi);
    const n = price * qty;
    const acc = m.acc;
    acc[SUM_PQ] += n;
    acc[SUM_Q] += qty;
    acc[side > 0 ? BUY_N : SELL_N] += n;
    acc[LAST_PRICE] = price;
    // Runs of trades at one price are common: the bin (a log under bps bins) is taken once per run.
    if (price !== this.binPrice) {
      this.binPrice = price;
      this.bin = this.tradeBins.indexIn(c.price, i);
    }
    const k = this.bin;
    if (k <= m.maxLong) {
      let max = -Infinity;
      for (let t = 0; t < m.longs.length; t++) max = Math.max(max, m.longs[t].dropAtOrAbove(k));
      m.maxLong = max;
    }
    if (k >= m.minShort) {
      let min = Infinity;
      for (let t = 0; t < m.shorts.length; t++) min = Math.min(min, m.shorts[t].dropAtOrBelow(k));
      m.minShort = min;
    }
  }

  openInterest(vi: number, symbol: string, ts: number, oi: number, mark: number): void {
    const m = this.market(vi);
    if (m.symbol === undefined) {
      m.symbol = symbol;
      m.instrument = marginInstrumentOf(m.venue, symbol, this.p.instruments);
    } else if (m.symbol !== symbol) {
      throw new RangeError(`predicted liquidations: two symbols on ${m.venue} (${m.symbol}, ${symbol}); give one open-interest series per venue`);
    }
    const prev = m.oi;
    if (prev >= 0) {
      const d = oi - prev;
      if (d > 0) this.open(m, ts, d, mark);
      else if (d < 0) this.close(m, oi / prev);
    }
    m.oi = oi;
    m.acc.fill(0, 0, LAST_PRICE);
  }

  /** New positions: dOI split by side and leverage, each slice at its projected liquidation price. */
  private open(m: Market, ts: number, d: number, mark: number): void {
    const p = this.p;
    const acc = m.acc;
    const entry = acc[SUM_Q] > 0 ? acc[SUM_PQ] / acc[SUM_Q] : mark > 0 && Number.isFinite(mark) ? mark : acc[LAST_PRICE];
    if (!(entry > 0) || !Number.isFinite(entry)) return;
    const flow = acc[BUY_N] + acc[SELL_N];
    const longShare = p.longShare === 'aggressor' ? (flow > 0 ? acc[BUY_N] / flow : 0.5) : p.longShare;
    const last = acc[LAST_PRICE] > 0 ? this.tradeBins.index(acc[LAST_PRICE]) : NaN;
    for (const side of SIDES) {
      const share = side > 0 ? longShare : 1 - longShare;
      if (!(share > 0)) continue;
      for (let li = 0; li < p.mix.length; li++) {
        const { leverage, weight } = p.mix[li];
        const map = p.byLeverage ? li : 0;
        const qty = d * share * (p.byLeverage ? 1 : weight);
        if (!(qty > 0)) continue;
        const price = projectedLiquidationPrice(side, entry, leverage, p.positionNotional, m.instrument!, p.fallbackMmr);
        if (Number.isNaN(price)) continue;
        const k = this.sliceBins[(side > 0 ? 0 : p.mix.length) + li].index(price);
        // Born through: the last trade already printed at or beyond the level.
        if (side > 0 ? k >= last : k <= last) continue;
        if (side > 0) {
          m.longs[map].add(k, qty, qty * price, ts);
          if (k > m.maxLong) m.maxLong = k;
        } else {
          m.shorts[map].add(k, qty, qty * price, ts);
          if (k < m.minShort) m.minShort = k;
        }
      }
    }
  }

  /** Positions closed uniformly: every level of the market keeps the fraction f = OI_new / OI_old. */
  private close(m: Market, f: number): void {
    if (f === 0) {
      for (const map of m.longs) map.clear();
      for (const map of m.shorts) map.clear();
      m.maxLong = -Infinity;
      m.minShort = Infinity;
      return;
    }
    for (let t = 0; t < m.longs.length; t++) m.longs[t].scale(f);
    for (let t = 0; t < m.shorts.length; t++) m.shorts[t].scale(f);
  }

  /** The levels at t, of level map `map` (a leverage's under Params.byLeverage). */
  snapshot(t: number, map = 0): PredictedLiquidationSnapshot {
    const longs: PredictedLevel[] = [];
    const shorts: PredictedLevel[] = [];
    const longNotional = this.mergeSide(true, map, longs);
    const shortNotional = this.mergeSide(false, map, shorts);
    return { ts: t, longs, shorts, long_notional: longNotional, short_notional: shortNotional };
  }

  /**
   * One side's levels of every market merged by bin into `out`, ascending; returns their total
   * notional. A bin held by several markets sums them in venue order.
   */
  private mergeSide(long: boolean, map: number, out: PredictedLevel[]): number {
    const tables = this.tables;
    const at = this.cursors;
    for (let vi = 0; vi < this.markets.length; vi++) {
      const m = this.markets[vi];
      tables[vi] = m ? (long ? m.longs[map] : m.shorts[map]) : undefined;
      at[vi] = 0;
    }
    let total = 0;
    for (;;) {
      let k = Infinity;
      for (let vi = 0; vi < tables.length; vi++) {
        const l = tables[vi];
        if (l && at[vi] < l.n && l.keys[at[vi]] < k) k = l.keys[at[vi]];
      }
      if (k === Infinity) return total;
      let qty = 0;
      let notional = 0;
      let count = 0;
      let mask = 0;
      let first = NaN;
      let last = NaN;
      for (let vi = 0; vi < tables.length; vi++) {
        const l = tables[vi];
        if (!l || at[vi] >= l.n || l.keys[at[vi]] !== k) continue;
        const i = at[vi]++;
        if (mask === 0) {
          qty = l.qty[i];
          notional = l.notional[i];
          count = l.count[i];
          first = l.first[i];
          last = l.last[i];
        } else {
          qty += l.qty[i];
          notional += l.notional[i];
          count += l.count[i];
          first = Math.min(first, l.first[i]);
          last = Math.max(last, l.last[i]);
        }
        mask |= 1 << vi;
      }
      total += notional;
      out.push({ index: k, price: this.p.bin.price(k), qty, notional, count, venue_mask: mask, venues: venuesOfMask(mask), first_ts: first, last_ts: last });
    }
  }
}

/** venuesOf(mask), one shared array per mask (a snapshot names the venues of every level). */
const VENUE_SETS: (readonly Venue[])[] = [];
function venuesOfMask(mask: number): readonly Venue[] {
  return (VENUE_SETS[mask] ??= venuesOf(mask));
}

/** Venue indexes of a columns' venue list; cached per list (a stream reuses one list for every chunk). */
const indexCache = new WeakMap<readonly Venue[], number[]>();
function venueIndexes(venues: readonly Venue[]): number[] {
  let v = indexCache.get(venues);
  if (!v) indexCache.set(venues, (v = venues.map(venueIndex)));
  return v;
}

/** Venue index of each market of open-interest columns; cached per list (one per stream, pushed a few rows at a time). */
const marketCache = new WeakMap<OpenInterestColumns['markets'], number[]>();
function marketVenueIndexes(markets: OpenInterestColumns['markets']): number[] {
  let v = marketCache.get(markets);
  if (!v) marketCache.set(markets, (v = markets.map((m) => venueIndex(m.venue))));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Incremental path.

interface PendingOi {
  readonly vi: number;
  readonly symbol: string;
  readonly ts: number;
  readonly oi: number;
  readonly mark: number;
}

/**
 * Incremental predicted liquidation levels. Push open interest and trades in time order (one
 * clock for both; an event earlier than the latest one pushed is refused), in any chunks;
 * `at(t)` gives the snapshot at any t >= the latest event pushed. An OI observation is applied
 * once an event with a later time arrives (or, on a copy, by `at`), so trades with the same
 * timestamp count in the interval it closes whichever was pushed first.
 */
export class PredictedLiquidationOperator {
  private readonly model: Model;
  private clock = -Infinity;
  private pending: PendingOi[] = [];

  constructor(opts: PredictedLiquidationOptions) {
    this.model = new Model(params(opts));
  }

  pushOpenInterest(c: OpenInterestColumns, from = 0, to = c.length): void {
    const vis = marketVenueIndexes(c.markets);
    for (let i = from; i < to; i++) {
      const x = c.ts[i];
      this.advance(x);
      checkOpenInterest(c, i);
      const mk = c.market[i];
      this.pending.push({ vi: vis[mk], symbol: c.markets[mk].symbol, ts: x, oi: c.openInterest[i], mark: c.markPrice[i] });
    }
  }

  pushTrades(c: TradeColumns, from = 0, to = c.length): void {
    const vis = venueIndexes(c.venues);
    for (let i = from; i < to; i++) {
      const x = c.ts[i];
      // Most trades neither go back in time nor close an interval: the clock moves here (a call
      // to advance that is not inlined would box x, one allocation per trade).
      if (this.pending.length > 0 || !(x >= this.clock)) this.advance(x);
      else this.clock = x;
      checkTrade(c, i);
      this.model.tradeAt(vis[c.venue[i]], c, i);
    }
  }

  /** The snapshot at t; t must be >= every event pushed (an output never sees past its time). */
  at(t: number): PredictedLiquidationSnapshot {
    if (!(t >= this.clock)) throw new RangeError(`predicted liquidations: snapshot at ${t} ms asked after events up to ${this.clock} ms were pushed`);
    if (this.pending.length === 0) return this.model.snapshot(t);
    const m = this.model.clone();
    for (const o of this.pending) m.openInterest(o.vi, o.symbol, o.ts, o.oi, o.mark);
    return m.snapshot(t);
  }

  private advance(x: number): void {
    if (!(x >= this.clock)) throw new OutOfOrderError(x, this.clock);
    if (x > this.clock && this.pending.length > 0) {
      for (const o of this.pending) this.model.openInterest(o.vi, o.symbol, o.ts, o.oi, o.mark);
      this.pending = [];
    }
    this.clock = x;
  }
}

// ---------------------------------------------------------------------------------------------
// Batch path.

/**
 * Batch: the snapshots at each of `times` (non-decreasing) over whole columns, each seeing only
 * the open interest and trades with ts <= its time (trades first at equal ts). Same snapshots as
 * PredictedLiquidationOperator fed the same events (in time order, any chunking) at the same times.
 */
export function predictedLiquidationSnapshots(oi: OpenInterestColumns, trades: TradeColumns | undefined, times: readonly number[], opts: PredictedLiquidationOptions): PredictedLiquidationSnapshot[] {
  const out: PredictedLiquidationSnapshot[] = [];
  runBatch(new Model(params(opts)), oi, trades, times, (model, t) => out.push(model.snapshot(t)));
  return out;
}

/**
 * The snapshots at each of `times`, one per leverage of the mix (in its order), each the one
 * `predictedLiquidationSnapshots` gives with that leverage alone (`leverageMix: [{ leverage,
 * weight: 1 }]`; weights are not applied): one pass over the rows for the whole mix instead of
 * one per leverage (a level says which leverage it comes from: the dashboard's layer).
 */
export function predictedLiquidationsByLeverage(oi: OpenInterestColumns, trades: TradeColumns | undefined, times: readonly number[], opts: PredictedLiquidationOptions): PredictedLiquidationSnapshot[][] {
  const p = params(opts, true);
  const out: PredictedLiquidationSnapshot[][] = [];
  runBatch(new Model(p), oi, trades, times, (model, t) => out.push(p.mix.map((_, li) => model.snapshot(t, li))));
  return out;
}

/** Feed the model the rows in time order (trades first at equal ts), calling `at` at each of `times`. */
function runBatch(model: Model, oi: OpenInterestColumns, trades: TradeColumns | undefined, times: readonly number[], at: (model: Model, t: number) => void): void {
  const oiVis = oi.markets.map((m) => venueIndex(m.venue));
  const trVis = trades ? venueIndexes(trades.venues) : [];
  const nt = trades?.length ?? 0;
  let i = 0;
  let j = 0;
  let prev = -Infinity;
  for (const t of times) {
    if (!(t >= prev)) throw new RangeError(`predicted liquidations: snapshot times must be non-decreasing, got ${t} after ${prev}`);
    prev = t;
    for (;;) {
      const tt = j < nt ? trades!.ts[j] : Infinity;
      const to = i < oi.length ? oi.ts[i] : Infinity;
      if (tt <= to && tt <= t) {
        if (j > 0 && tt < trades!.ts[j - 1]) throw new OutOfOrderError(tt, trades!.ts[j - 1]);
        checkTrade(trades!, j);
        model.tradeAt(trVis[trades!.venue[j]], trades!, j);
        j++;
      } else if (to < tt && to <= t) {
        if (i > 0 && to < oi.ts[i - 1]) throw new OutOfOrderError(to, oi.ts[i - 1]);
        checkOpenInterest(oi, i);
        const mk = oi.market[i];
        model.openInterest(oiVis[mk], oi.markets[mk].symbol, to, oi.openInterest[i], oi.markPrice[i]);
        i++;
      } else {
        break;
      }
    }
    at(model, t);
  }
}
