/**
 * The simulated market: the venues, the agenda of agent wake-ups, the venue engine's own clock
 * (index, mark, liquidations, funding, book and ticker feeds) and what each venue prints.
 *
 * Discrete-event: every agent says when it wakes next; the market pops the earliest, lets it act
 * (market orders go through `take`, which matches, settles and prints), and emits the events the
 * act produced, all stamped with the current (whole-millisecond) time. Only Binance's liquidation
 * feed prints late (the latest liquidation of each 1000 ms window, pushed when the window closes),
 * so events are released once they are a window old and merged with those late prints by time.
 */
import type { BookLevel, LiquidationEvent, MarketEvent, Side, TickerEvent, TradeEvent } from '../core/events.ts';
import { ASK, BID, type BookSide } from './book.ts';
import { Agenda } from './heap.ts';
import { FIXED_ACCOUNTS, SimVenue } from './venue.ts';

export interface Agent {
  /** Acts at `now` (epoch ms); returns when it wakes next (Infinity: never). */
  wake(now: number): number;
}

/** The engine's clock: index, marks, liquidation checks and book diffs every CLOCK_MS. */
export const CLOCK_MS = 100;
export const TICKER_MS = 1000;
export const FUNDING_INTERVAL_MS = 8 * 3_600_000;
/** Flow memory of the agents' toxicity/trend signals. */
export const FLOW_TAU_MS = 10_000;
/** A forced or market order walks at most this many levels (the venue's price protection); the rest waits. */
export const MAX_SWEEP_LEVELS = 400;
const BASIS_ALPHA = 0.01;
/** Binance's late liquidation prints are at most one window plus one clock step old. */
const LATE_MS = 1000 + 2 * CLOCK_MS;

/** One forced order as it happened (every one, not only what the feeds print). */
export interface ForcedOrder {
  readonly ts: number;
  readonly venue: number;
  /** Side of the forced order: `sell` closes a long. */
  readonly side: Side;
  readonly qty: number;
  readonly avgPrice: number;
  readonly minPrice: number;
  readonly maxPrice: number;
}

/** A liquidated holder, for the margin-rule checks. */
export interface LiquidatedHolder {
  readonly venue: number;
  readonly account: number;
  readonly margin: number;
  readonly realizedPnl: number;
  readonly bankruptcyPrice: number;
  readonly equityBefore: number;
  readonly equityAfter: number;
}

export class Market {
  readonly venues: SimVenue[];
  readonly startMs: number;
  readonly endMs: number;
  now: number;
  private readonly agenda = new Agenda();
  private readonly agents: Agent[] = [];
  /** Events of the current act, and released-but-not-yet-read events. */
  private out: (MarketEvent | undefined)[] = [];
  private outHead = 0;
  private late: (LiquidationEvent | undefined)[] = [];
  private lateHead = 0;
  private nextFunding: number;
  private tickerDue: number;
  readonly forced: ForcedOrder[] = [];
  /** Filled by conservation tests only (keeps the run allocation-free otherwise). */
  liquidatedLog: LiquidatedHolder[] | undefined;
  /** Per second per venue: taker buy and sell volume, last price (labels and checks read these). */
  readonly buyVol: Float64Array;
  readonly sellVol: Float64Array;
  readonly closePx: Float64Array;
  /** Called after each taker order with (venue, taker side sign, filled base qty): the agents' excitation. */
  onTake: ((venue: number, sign: number, qty: number, forced: boolean) => void) | undefined;
  private lastTakeAvg = NaN;
  private lastTakeMin = NaN;
  private lastTakeMax = NaN;

  constructor(venues: SimVenue[], startMs: number, durationMs: number) {
    this.venues = venues;
    this.startMs = startMs;
    this.endMs = startMs + durationMs;
    this.now = startMs;
    this.nextFunding = Math.floor(startMs / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS;
    this.tickerDue = startMs;
    const seconds = Math.ceil(durationMs / 1000) + 1;
    this.buyVol = new Float64Array(seconds * venues.length);
    this.sellVol = new Float64Array(seconds * venues.length);
    this.closePx = new Float64Array(seconds * venues.length).fill(NaN);
  }

  /** Adds an agent that first wakes at `firstWake`; returns its id. */
  addAgent(agent: Agent, firstWake: number): number {
    const id = this.agents.length;
    this.agents.push(agent);
    if (firstWake < this.endMs) this.agenda.schedule(firstWake, id);
    return id;
  }

  /** Seconds since the start (the bucket of the per-second columns). */
  second(ts: number): number {
    return Math.floor((ts - this.startMs) / 1000);
  }

  // -------------------------------------------------------------------------------------------
  // Orders.

  /**
   * A market order on venue `v`: matched, settled (taker `owner`, each maker its own), printed as
   * the venue prints trades. Returns the base qty filled; the average, lowest and highest fill
   * price are in lastAvg/lastMin/lastMax.
   */
  take(v: SimVenue, side: Side, lots: number, owner: number, forced = false): number {
    const book = v.book;
    const bookSide: BookSide = side === 'buy' ? BID : ASK;
    const filledLots = book.market(bookSide, lots, owner, MAX_SWEEP_LEVELS);
    if (filledLots === 0) {
      this.lastTakeAvg = this.lastTakeMin = this.lastTakeMax = NaN;
      return 0;
    }
    const sign = side === 'buy' ? 1 : -1;
    const ts = Math.floor(this.now);
    // Binance aggTrade and OKX trades aggregate a taker order's fills at one price; Bybit prints each fill.
    const aggregate = v.venue !== 'bybit';
    let notional = 0;
    let runLevel = -1;
    let runLots = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < book.fillCount; i++) {
      const level = book.fillLevel[i];
      const fillLots = book.fillLots[i];
      const price = v.priceOf(level);
      const qty = v.qtyOf(fillLots);
      v.settleFill(owner, book.fillOwner[i], sign, fillLots, price);
      notional += qty * price;
      if (price < min) min = price;
      if (price > max) max = price;
      if (aggregate) {
        if (level !== runLevel && runLots > 0) this.printTrade(v, ts, runLevel, runLots, side);
        if (level !== runLevel) runLots = 0;
        runLevel = level;
        runLots += fillLots;
      } else this.printTrade(v, ts, level, fillLots, side);
    }
    if (aggregate && runLots > 0) this.printTrade(v, ts, runLevel, runLots, side);
    const qty = v.qtyOf(filledLots);
    const last = v.priceOf(book.fillLevel[book.fillCount - 1]);
    this.noteTrade(v, sign, qty, last);
    this.lastTakeAvg = notional / qty;
    this.lastTakeMin = min;
    this.lastTakeMax = max;
    this.onTake?.(v.index, sign, qty, forced);
    return qty;
  }

  get lastAvg(): number {
    return this.lastTakeAvg;
  }
  get lastMin(): number {
    return this.lastTakeMin;
  }
  get lastMax(): number {
    return this.lastTakeMax;
  }

  private printTrade(v: SimVenue, ts: number, level: number, lots: number, side: Side): void {
    const e: TradeEvent = { type: 'trade', venue: v.venue, symbol: v.symbol, ts, localTs: ts, price: v.priceOf(level), qty: v.qtyOf(lots), side, id: String(v.tradeId++) };
    this.out.push(e);
  }

  private noteTrade(v: SimVenue, sign: number, qty: number, price: number): void {
    this.decayFlow(v);
    v.flow += sign * qty;
    v.flowCum += sign * qty;
    if (Number.isNaN(v.trendRef)) v.trendRef = price;
    v.trend = 0.98 * v.trend + 0.02 * Math.log(price / v.trendRef);
    v.trendRef = price;
    v.lastPrice = price;
    const s = this.second(this.now);
    const k = s * this.venues.length + v.index;
    if (k < this.buyVol.length) {
      if (sign > 0) this.buyVol[k] += qty;
      else this.sellVol[k] += qty;
      this.closePx[k] = price;
    }
  }

  /** Brings the venue's flow EMA to now. */
  decayFlow(v: SimVenue): void {
    const dt = this.now - v.flowAt;
    if (dt > 0) {
      v.flow *= Math.exp(-dt / FLOW_TAU_MS);
      v.flowAt = this.now;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The venue engine's clock.

  /** Index (mean of the venues' mids), marks, liquidations, funding, feeds. */
  clock(): void {
    let sum = 0;
    let n = 0;
    for (const v of this.venues) {
      const m = v.mid();
      if (m > 0) {
        sum += m;
        n++;
      }
    }
    const index = n > 0 ? sum / n : NaN;
    for (const v of this.venues) {
      const m = v.mid();
      v.indexPrice = index;
      if (m > 0 && index > 0) {
        v.basis += BASIS_ALPHA * (m - index - v.basis);
        v.premiumSum += (m - index) / index;
        v.premiumCount++;
      }
      v.mark = index + v.basis;
      this.liquidate(v);
    }
    for (const v of this.venues) this.printBook(v, false);
    this.flushBinanceWindow(false);
    if (this.now >= this.tickerDue) {
      this.tickerDue += TICKER_MS;
      for (const v of this.venues) this.printTicker(v);
    }
    if (this.now >= this.nextFunding) this.settleFunding();
  }

  private liquidate(v: SimVenue): void {
    const mark = v.mark;
    if (!(mark > 0)) return;
    while (v.longHeap.length > 0 && v.longHeap.topKey() >= mark) {
      const slot = v.longHeap.topA();
      const gen = v.longHeap.topB();
      v.longHeap.pop();
      if (v.holderGen[slot] === gen) this.forceClose(v, slot, mark);
    }
    while (v.shortHeap.length > 0 && -v.shortHeap.topKey() <= mark) {
      const slot = v.shortHeap.topA();
      const gen = v.shortHeap.topB();
      v.shortHeap.pop();
      if (v.holderGen[slot] === gen) this.forceClose(v, slot, mark);
    }
    // What the engine could not close last time (the book ran out of levels) it tries again.
    const left = v.pos[LIQUIDATION_ENGINE];
    if (left !== 0) this.forcedOrder(v, left > 0 ? 'sell' : 'buy', Math.abs(left));
  }

  /**
   * The venue takes over a liquidated holder's position at its bankruptcy price (the holder loses
   * its isolated margin, src/core/margin.ts isolatedLiquidation) and closes it with a forced
   * market order.
   */
  private forceClose(v: SimVenue, slot: number, mark: number): void {
    const account = slot + FIXED_ACCOUNTS;
    const side = v.holderSide[slot];
    if (side === 0) return;
    // src/core/margin.ts isLiquidated and isolatedLiquidation, on the holder's columns: liquidated
    // once the mark reaches its liquidation price; it loses its margin, closed at its bankruptcy price.
    const liquidation = v.holderLiquidation[slot];
    if (!(side > 0 ? mark <= liquidation : mark >= liquidation)) return;
    const margin = v.holderMargin[slot];
    const bankruptcy = v.holderBankruptcy[slot];
    const lots = Math.abs(v.pos[account]);
    if (lots === 0) return;
    const qty = v.qtyOf(lots);
    const sign = v.pos[account] > 0 ? 1 : -1;
    const close = Number.isNaN(bankruptcy) ? mark : bankruptcy;
    const equityBefore = v.cash[account] + sign * qty * mark;
    // Transfer at the bankruptcy price: holder out, engine in; no fee (the venue's own book entry).
    v.cash[account] += sign * qty * close;
    v.setPos(account, 0);
    v.cash[LIQUIDATION_ENGINE] -= sign * qty * close;
    v.setPos(LIQUIDATION_ENGINE, v.pos[LIQUIDATION_ENGINE] + sign * lots);
    const equityAfter = v.cash[account];
    this.liquidatedLog?.push({ venue: v.index, account, margin, realizedPnl: -margin, bankruptcyPrice: close, equityBefore, equityAfter });
    v.closeHolder(account);
    this.forcedOrder(v, sign > 0 ? 'sell' : 'buy', lots);
  }

  private forcedOrder(v: SimVenue, side: Side, lots: number): void {
    const filled = this.take(v, side, lots, LIQUIDATION_ENGINE, true);
    if (filled === 0) return;
    const ts = Math.floor(this.now);
    const f: ForcedOrder = { ts, venue: v.index, side, qty: filled, avgPrice: this.lastTakeAvg, minPrice: this.lastTakeMin, maxPrice: this.lastTakeMax };
    this.forced.push(f);
    this.printLiquidation(v, f);
  }

  /**
   * Each venue's liquidation feed: Binance the latest forced order per symbol per 1000 ms window
   * (at its average price), OKX at most one per second (a subset, at the order's average price as
   * well: the bankruptcy price it prints is not modelled), Bybit every one.
   */
  private printLiquidation(v: SimVenue, f: ForcedOrder): void {
    const price = v.priceOf(v.levelOf(f.avgPrice));
    if (v.venue === 'binance') {
      const w = Math.floor(f.ts / 1000);
      if (w !== v.pendingWindow) this.flushBinanceWindow(true);
      v.pendingWindow = w;
      v.pendingLiquidation = { ts: f.ts, price, qty: f.qty, side: f.side };
      return;
    }
    if (v.venue === 'okx') {
      const s = Math.floor(f.ts / 1000);
      if (s === v.lastLiquidationSecond) return;
      v.lastLiquidationSecond = s;
    }
    this.out.push(this.liquidationEvent(v, f.ts, price, f.qty, f.side));
  }

  /** Pushes Binance's pending liquidation once its window has closed (or `force`: a new window began). */
  private flushBinanceWindow(force: boolean): void {
    for (const v of this.venues) {
      const p = v.pendingLiquidation;
      if (!p) continue;
      if (!force && Math.floor(this.now / 1000) === v.pendingWindow) continue;
      this.late.push(this.liquidationEvent(v, p.ts, p.price, p.qty, p.side));
      v.pendingLiquidation = undefined;
    }
  }

  private liquidationEvent(v: SimVenue, ts: number, price: number, qty: number, side: Side): LiquidationEvent {
    return { type: 'liquidation', venue: v.venue, symbol: v.symbol, ts, localTs: ts, price, qty, side, id: '' };
  }

  /** Book diffs of the levels that changed (or the whole book), sorted as the venues send them. */
  printBook(v: SimVenue, snapshot: boolean): void {
    const book = v.book;
    let bids: BookLevel[];
    let asks: BookLevel[];
    if (snapshot) {
      bids = [];
      asks = [];
      book.takeDirtySorted();
      const levels = [new Int32Array(1024)];
      for (let n = book.occupiedLevels(BID, levels), k = 0; k < n; k++) {
        const i = levels[0][k];
        if (book.levelLots[i] > 0) bids.push([v.priceOf(i), v.qtyOf(book.levelLots[i])]);
      }
      for (let n = book.occupiedLevels(ASK, levels), k = 0; k < n; k++) {
        const i = levels[0][k];
        if (book.levelLots[book.size + i] > 0) asks.push([v.priceOf(i), v.qtyOf(book.levelLots[book.size + i])]);
      }
    } else {
      // Keys are side × size + level: sorted numerically, bids come first in ascending price.
      const n = book.takeDirtySorted();
      if (n === 0) return;
      const dirty = book.dirtyKeys;
      const size = book.size;
      let j = 0;
      while (j < n && dirty[j] < size) j++;
      // Sized once (a diff is a few levels a side): no growth while filling.
      bids = new Array<BookLevel>(j);
      asks = new Array<BookLevel>(n - j);
      const lots = book.levelLots;
      const tickInv = v.tickInv;
      const lotInv = v.lotInv;
      if (tickInv > 0 && lotInv > 0) {
        // priceOf and qtyOf written out (the same divisions) for the venues whose tick and lot are
        // 10^-k, which is every bundled BTC, ETH and SOL contract.
        const origin = v.origin;
        for (let i = j - 1, k = 0; i >= 0; i--, k++) bids[k] = [(origin + dirty[i]) / tickInv, lots[dirty[i]] / lotInv];
        for (let i = j, k = 0; i < n; i++, k++) asks[k] = [(origin + dirty[i] - size) / tickInv, lots[dirty[i]] / lotInv];
      } else {
        for (let i = j - 1, k = 0; i >= 0; i--, k++) bids[k] = [v.priceOf(dirty[i]), v.qtyOf(lots[dirty[i]])];
        for (let i = j, k = 0; i < n; i++, k++) asks[k] = [v.priceOf(dirty[i] - size), v.qtyOf(lots[dirty[i]])];
      }
    }
    const ts = Math.floor(this.now);
    this.out.push({ type: 'book', venue: v.venue, symbol: v.symbol, ts, localTs: ts, isSnapshot: snapshot, bids, asks, seq: v.seq++ });
  }

  private printTicker(v: SimVenue): void {
    const ts = Math.floor(this.now);
    const book = v.book;
    const oi = v.openInterest();
    const mark = round2(v.mark);
    const hasBid = book.bestBid >= 0;
    const hasAsk = book.bestAsk < book.size;
    this.out.push({
      type: 'ticker',
      venue: v.venue,
      symbol: v.symbol,
      ts,
      localTs: ts,
      // EMPTY_TICKER_FIELDS' keys in its order, written out (a spread copied all fifteen and then
      // overwrote eleven, per ticker); the fields the simulator does not model stay NaN.
      markPrice: mark,
      indexPrice: round2(v.indexPrice),
      lastPrice: v.lastPrice,
      fundingRate: roundRate(this.fundingRate(v)),
      nextFundingTs: this.nextFunding,
      openInterest: oi,
      openInterestValue: round2(oi * mark),
      bestBid: hasBid ? v.priceOf(book.bestBid) : NaN,
      bestBidQty: hasBid ? v.qtyOf(book.levelLots[book.bestBid]) : NaN,
      bestAsk: hasAsk ? v.priceOf(book.bestAsk) : NaN,
      bestAskQty: hasAsk ? v.qtyOf(book.levelLots[book.size + book.bestAsk]) : NaN,
      longShortRatio: NaN,
      topTraderAccountRatio: NaN,
      topTraderPositionRatio: NaN,
      takerBuySellRatio: NaN,
    } satisfies TickerEvent);
  }

  /**
   * Binance's formula, which OKX and Bybit share in shape: F = P + clamp(I − P, −0.05 %, 0.05 %),
   * P the average premium of the mid over the index this interval, I = 0.01 % per 8 h.
   */
  fundingRate(v: SimVenue): number {
    const p = v.premiumCount > 0 ? v.premiumSum / v.premiumCount : 0;
    const r = p + Math.min(0.0005, Math.max(-0.0005, 0.0001 - p));
    return Math.min(0.0075, Math.max(-0.0075, r));
  }

  /**
   * Every position pays (long, rate > 0) or receives position × mark × rate; positions net to
   * zero, so cash is conserved. A holder settles through its wallet (a deposit or withdrawal), so
   * its isolated margin, and the liquidation price solved from it, stay as they were.
   */
  private settleFunding(): void {
    for (const v of this.venues) {
      const rate = roundRate(this.fundingRate(v));
      for (let a = 0; a < v.accountCount; a++) {
        if (v.pos[a] === 0) continue;
        const pay = v.qtyOf(v.pos[a]) * v.mark * rate;
        if (a < FIXED_ACCOUNTS) v.cash[a] -= pay;
        else if (pay > 0) v.deposits += pay;
        else v.withdrawals -= pay;
      }
      v.premiumSum = 0;
      v.premiumCount = 0;
    }
    this.nextFunding += FUNDING_INTERVAL_MS;
  }

  // -------------------------------------------------------------------------------------------
  // The run.

  /** Every event, ts non-decreasing; the market is simulated as it is read. `onEnd` is called after the last one is read. */
  *run(onEnd?: () => void): Generator<MarketEvent> {
    this.addAgent({ wake: (now) => (this.clock(), now + CLOCK_MS) }, this.startMs);
    for (const v of this.venues) this.printBook(v, true);
    while (!this.agenda.empty && this.agenda.nextTime() < this.endMs) {
      const t = this.agenda.nextTime();
      const id = this.agenda.pop();
      this.now = t;
      const next = this.agents[id].wake(t);
      if (next < this.endMs) this.agenda.schedule(next > t ? next : t, id);
      // Inline rather than `yield*` a helper generator: one generator object per wake was a
      // measurable share of the run (docs/BENCHMARKS.md "sim").
      const upTo = Math.floor(t) - LATE_MS;
      for (let e = this.release(upTo); e !== undefined; e = this.release(upTo)) yield e;
      this.compact();
    }
    this.now = this.endMs;
    this.flushBinanceWindow(true);
    for (let e = this.release(Infinity); e !== undefined; e = this.release(Infinity)) yield e;
    onEnd?.();
  }

  /**
   * The next event up to `upTo` (inclusive), the acts' events merged with the late liquidation
   * prints; undefined when none is due. A released slot is cleared at once: the consumer may be
   * done with the event long before the queue is compacted, and a queue holding thousands of read
   * events (with their book levels) made them survive the young generation (the run's GC cost).
   */
  private release(upTo: number): MarketEvent | undefined {
    const a = this.outHead < this.out.length ? this.out[this.outHead] : undefined;
    const b = this.lateHead < this.late.length ? this.late[this.lateHead] : undefined;
    if (a !== undefined && a.ts <= upTo && (b === undefined || a.ts <= b.ts)) {
      this.out[this.outHead++] = undefined;
      return a;
    }
    if (b !== undefined && b.ts <= upTo) {
      this.late[this.lateHead++] = undefined;
      return b;
    }
    return undefined;
  }

  /** Drops the released prefix of the queues now and then (not per event: a shift is O(n)). */
  private compact(): void {
    if (this.outHead > 4096) {
      this.out = this.out.slice(this.outHead);
      this.outHead = 0;
    }
    if (this.lateHead > 256) {
      this.late = this.late.slice(this.lateHead);
      this.lateHead = 0;
    }
  }
}

/** The liquidation engine's account on every venue: it takes liquidated positions over. */
export const LIQUIDATION_ENGINE = 0;

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function roundRate(x: number): number {
  return Math.round(x * 1e8) / 1e8;
}
