/**
 * One simulated venue: its contract rules (from the bundled instrument data), its order book, the
 * accounts that trade on it and the population of leveraged position holders whose liquidation
 * prices follow THIS venue's margin rules (src/core/margin.ts).
 *
 * Accounts are columns (position in base units, cash in quote): agents own fixed accounts
 * (0 .. FIXED_ACCOUNTS-1), holders one each above. Every fill moves position and cash between a
 * taker and a maker and a fee to the venue, so across a venue's accounts positions always net to
 * zero and cash + fees + withdrawals − deposits stays what it was at the start
 * (test/sim/conservation.test.ts).
 */
import { grown } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { scale, type Instrument } from '../core/instruments.ts';
import { isolatedOpenInto, maxLeverageAt, OPEN_BANKRUPTCY, OPEN_LIQUIDATION, OPEN_MARGIN } from '../core/margin.ts';
import { OrderBook } from './book.ts';
import { MaxHeap } from './heap.ts';

/** Fixed accounts reserved for agents; holders' accounts start here. */
export const FIXED_ACCOUNTS = 64;

/**
 * Levels per side a venue's book feed carries, as the repo's connectors subscribe: Binance diffs
 * carry every level (its REST snapshot is 1000 deep), OKX `books` 400, Bybit `orderbook.200`.
 * The simulated books stay far shallower (test/sim/market.test.ts), so no diff is ever cut.
 */
export const BOOK_DEPTH: Readonly<Record<string, number>> = { binance: 1000, okx: 400, bybit: 200 };

export class SimVenue {
  readonly venue: Venue;
  readonly index: number;
  readonly inst: Instrument;
  readonly symbol: string;
  readonly tick: number;
  /** Base units per lot (OKX: lotSize contracts × ctVal). */
  readonly lotBase: number;
  /** Absolute tick index of book level 0. */
  readonly origin: number;
  readonly book: OrderBook;
  /** 1 / tick and 1 / lot when they are 10^-k (then a division is exact), else 0: `scale()` per call. */
  readonly tickInv: number;
  readonly lotInv: number;

  // Accounts. Positions in whole lots (exact sums), cash in quote.
  pos: Float64Array;
  cash: Float64Array;
  fees = 0;
  /** Sum of the long positions, lots. */
  private oiLots = 0;
  deposits = 0;
  withdrawals = 0;
  /** Accounts in use (fixed + holder slots ever used). */
  accountCount = FIXED_ACCOUNTS;

  // Holders (slot = account − FIXED_ACCOUNTS).
  /**
   * What the liquidation engine needs of each holder's isolated position, as columns: its side
   * (+1 long, -1 short, 0 no position), margin, liquidation and bankruptcy prices. Columns rather
   * than the IsolatedPosition objects: tens of thousands of holders each kept an object and its
   * tier record alive, which the young-generation GC copied and promoted (most of its cost).
   */
  holderSide: Int8Array = new Int8Array(1024);
  holderMargin: Float64Array = new Float64Array(1024);
  holderLiquidation: Float64Array = new Float64Array(1024);
  holderBankruptcy: Float64Array = new Float64Array(1024);
  /** Holder slots ever used. */
  private holderSlots = 0;
  holderGen: Int32Array = new Int32Array(1024);
  private holderFree: number[] = [];
  /** Scratch for the margin solve of a new holder (margin, liquidation, bankruptcy). */
  private readonly solved = new Float64Array(3);
  /** Active holder slots per side (0 long, 1 short) and each slot's index in its list. */
  readonly active: [Int32Array, Int32Array] = [new Int32Array(1024), new Int32Array(1024)];
  readonly activeCount: [number, number] = [0, 0];
  private activeAt: Int32Array = new Int32Array(1024);
  /** Longs by liquidation price (highest first), shorts by −liquidation price. */
  readonly longHeap = new MaxHeap(1024);
  readonly shortHeap = new MaxHeap(1024);

  // Market state the agents read.
  lastPrice = NaN;
  mark = NaN;
  /** The index price (mean of the venues' mids), as of the last clock step. */
  indexPrice = NaN;
  basis = 0;
  premiumSum = 0;
  premiumCount = 0;
  fundingRate = 0.0001;
  /** Signed taker volume (base units), exponentially decayed (τ = FLOW_TAU_MS), and when last decayed. */
  flow = 0;
  flowAt = 0;
  /** Cumulative signed taker volume, base units (the makers' price-impact input). */
  flowCum = 0;
  /** Log-return EMA of the last price (trend that retail chases). */
  trend = 0;
  trendRef = NaN;

  // What the venue prints.
  tradeId = 1_000_000;
  seq = 1;
  /** Binance: the latest liquidation of the open 1000 ms window (one per window is pushed). */
  pendingLiquidation: { ts: number; price: number; qty: number; side: 'buy' | 'sell' } | undefined;
  pendingWindow = -1;
  /** OKX: the second of the last printed liquidation. */
  lastLiquidationSecond = -1;

  constructor(venue: Venue, index: number, inst: Instrument, startPrice: number, window = 1 << 18) {
    this.venue = venue;
    this.index = index;
    this.inst = inst;
    this.symbol = inst.symbol;
    this.tick = inst.tickSize;
    this.lotBase = scale(inst.lotSize, inst.contractValue);
    this.origin = Math.round(startPrice / this.tick) - (window >> 1);
    this.tickInv = decimalInverse(this.tick);
    this.lotInv = decimalInverse(this.lotBase);
    this.book = new OrderBook(window);
    this.pos = new Float64Array(FIXED_ACCOUNTS + 1024);
    this.cash = new Float64Array(FIXED_ACCOUNTS + 1024);
  }

  /** Price of a book level: on the tick grid exactly (divided by 10^k rather than multiplied by 0.1). */
  priceOf(level: number): number {
    return this.tickInv > 0 ? (this.origin + level) / this.tickInv : scale(this.origin + level, this.tick);
  }
  /** Level of a price (nearest tick). */
  levelOf(price: number): number {
    return Math.round(price / this.tick) - this.origin;
  }
  /** Base units of whole lots: on the lot grid exactly. */
  qtyOf(lots: number): number {
    return this.lotInv > 0 ? lots / this.lotInv : scale(lots, this.lotBase);
  }
  /** Whole lots for a base quantity, at least one. */
  lotsOf(qty: number): number {
    const l = Math.round(qty / this.lotBase);
    return l >= 1 ? l : 1;
  }

  mid(): number {
    const b = this.book;
    if (b.bestBid >= 0 && b.bestAsk < b.size) return (this.priceOf(b.bestBid) + this.priceOf(b.bestAsk)) / 2;
    return this.lastPrice;
  }

  /** One fill's accounting: the taker buys (`sign` +1) or sells `lots` at price from the maker. */
  settleFill(taker: number, maker: number, sign: number, lots: number, price: number): void {
    const notional = this.qtyOf(lots) * price;
    const takerFee = notional * this.inst.takerFee;
    const makerFee = notional * this.inst.makerFee;
    this.setPos(taker, this.pos[taker] + sign * lots);
    this.setPos(maker, this.pos[maker] - sign * lots);
    this.cash[taker] -= sign * notional + takerFee;
    this.cash[maker] += sign * notional - makerFee;
    this.fees += takerFee + makerFee;
  }

  // -------------------------------------------------------------------------------------------
  // Holders.

  /** A free holder account (its cash and position are 0). */
  allocateHolder(): number {
    const slot = this.holderFree.length > 0 ? this.holderFree.pop()! : this.holderSlots++;
    const account = FIXED_ACCOUNTS + slot;
    if (account >= this.pos.length) {
      const n = this.pos.length * 2;
      this.pos = grown(this.pos, n);
      this.cash = grown(this.cash, n);
    }
    if (slot >= this.holderGen.length) {
      const n = this.holderGen.length * 2;
      this.holderGen = grown(this.holderGen, n);
      this.activeAt = grown(this.activeAt, this.activeAt.length * 2);
      this.holderSide = grown(this.holderSide, n);
      this.holderMargin = grown(this.holderMargin, n);
      this.holderLiquidation = grown(this.holderLiquidation, n);
      this.holderBankruptcy = grown(this.holderBankruptcy, n);
    }
    if (account + 1 > this.accountCount) this.accountCount = account + 1;
    return account;
  }

  /** The highest leverage this venue allows for a position of qty at price (its tier's cap). */
  maxLeverage(qty: number, price: number): number {
    return maxLeverageAt(this.inst, qty, price);
  }

  /**
   * Registers an isolated position that `account` now holds (its fills already settled): solves
   * its liquidation price by the venue's margin rules (src/core/margin.ts `isolatedOpenInto`: what
   * `openIsolated` solves, without building the position) and files it in the liquidation heap.
   */
  openHolder(account: number, side: 'long' | 'short', qty: number, entry: number, leverage: number): void {
    const solved = this.solved;
    isolatedOpenInto(this.inst, side === 'long' ? 1 : -1, qty, entry, leverage, solved);
    const liquidation = solved[OPEN_LIQUIDATION];
    const slot = account - FIXED_ACCOUNTS;
    this.holderSide[slot] = side === 'long' ? 1 : -1;
    this.holderMargin[slot] = solved[OPEN_MARGIN];
    this.holderLiquidation[slot] = liquidation;
    this.holderBankruptcy[slot] = solved[OPEN_BANKRUPTCY];
    const gen = ++this.holderGen[slot];
    const s = side === 'long' ? 0 : 1;
    if (this.active[s].length === this.activeCount[s]) this.active[s] = grown(this.active[s], this.active[s].length * 2);
    this.activeAt[slot] = this.activeCount[s];
    this.active[s][this.activeCount[s]++] = slot;
    if (!Number.isNaN(liquidation)) {
      if (s === 0) this.longHeap.push(liquidation, slot, gen);
      else this.shortHeap.push(-liquidation, slot, gen);
    }
  }

  /** Forgets a holder whose position is gone (closed or liquidated); its cash is withdrawn. */
  closeHolder(account: number): void {
    const slot = account - FIXED_ACCOUNTS;
    const side = this.holderSide[slot];
    if (side !== 0) {
      const s = side > 0 ? 0 : 1;
      const at = this.activeAt[slot];
      const last = this.active[s][--this.activeCount[s]];
      this.active[s][at] = last;
      this.activeAt[last] = at;
    }
    this.holderSide[slot] = 0;
    this.holderGen[slot]++;
    this.withdrawals += this.cash[account];
    this.cash[account] = 0;
    this.holderFree.push(slot);
  }

  /** Sets an account's position (lots), keeping the open interest (sum of long positions) current. */
  setPos(account: number, lots: number): void {
    const old = this.pos[account];
    this.oiLots += (lots > 0 ? lots : 0) - (old > 0 ? old : 0);
    this.pos[account] = lots;
  }

  /** Open interest: the sum of long positions (one side), base units. */
  openInterest(): number {
    return this.qtyOf(this.oiLots);
  }
}

/** 10^k when x is 10^-k (k >= 0), else 0. */
function decimalInverse(x: number): number {
  const inv = Math.round(1 / x);
  if (inv < 1 || Math.abs(1 / x - inv) > 1e-9) return 0;
  return /^10*$/.test(String(inv)) ? inv : 0;
}
