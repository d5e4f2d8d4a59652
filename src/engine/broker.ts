/**
 * The simulated venue account: one market (venue + symbol), one-way mode, isolated margin, at
 * most one position. Orders arrive `latencyMs` after the decision. Market orders walk the
 * recorded book when one is live; else pay the quoted ask or bid (bookTicker) when fresh; else
 * fill at the next trade on their side (a buy on a buy-aggressor trade, a sell on a
 * sell-aggressor one); a slippage on top. Limit orders fill only when the market trades through
 * (or touches) their price. An entry not filled within `staleAfterMs` of its decision is
 * cancelled (stale). After the entry fills, its stop and target are checked against the fill
 * price: a stop already crossed exits at once, a target already reached is sent as a market
 * (taker) order. Stops trigger on trades and send a market order; the position is liquidated as
 * the venue would (src/core/margin.ts) when the mark reaches its liquidation price; funding is
 * paid at each funding time. Every cost is on unless the config turns it off (and the report then
 * says so).
 *
 * Pure state machine over the calls it gets (trades, marks, quotes, books, clock): no I/O, no clock of its own.
 */
import type { TradeColumns } from '../core/columns.ts';
import type { L2Book } from '../features/book.ts';
import { isLiquidated, isolatedLiquidation, openIsolated, type IsolatedPosition, type MarginInstrument } from '../core/margin.ts';
import type { EntryRequest, ExecutionClient, ExecutionEvents, ExecutionPosition } from './execution.ts';
import type { OrderStatus } from './run-types.ts';

export interface BrokerOptions {
  readonly venue: string;
  readonly symbol: string;
  readonly instrument: MarginInstrument;
  readonly initialEquity: number;
  readonly latencyMs: number;
  readonly slippageBps: number;
  readonly limitFill: 'through' | 'touch';
  readonly fees: boolean;
  readonly slippage: boolean;
  /**
   * isolated: the position's margin is notional / leverage; cross: the whole wallet is its margin
   * (one position, so the venue's cross formula is the isolated one with the wallet balance as
   * margin; docs/MARGIN.md), re-solved when funding changes the wallet.
   */
  readonly marginMode?: 'isolated' | 'cross';
  /** A book older than this at a market order's arrival is not used. */
  readonly bookMaxAgeMs?: number;
  /** An entry not filled this long after its decision is cancelled as stale; default 5000. */
  readonly staleAfterMs?: number;
}

interface Order {
  readonly id: number;
  readonly ts: number;
  readonly arrivalTs: number;
  readonly side: 1 | -1;
  readonly type: 'market' | 'limit';
  readonly qty: number;
  readonly price: number;
  readonly reason: string;
  /** The entry it opens (entry orders only). */
  readonly entry?: EntryRequest;
  /** Last trade price when it arrived (slippage reference), NaN before arrival. */
  refPrice: number;
}

interface Position {
  readonly req: EntryRequest;
  iso: IsolatedPosition;
  readonly openTs: number;
  readonly entryFee: number;
  funding: number;
  /** The take-profit order resting at the venue, if any. */
  targetOrder: number | undefined;
  /** An exit (stop, time, end) is on its way: no second one. */
  exiting: boolean;
}

/** An entry not filled this long after its decision is cancelled (BrokerOptions.staleAfterMs). */
const STALE_AFTER_MS = 5_000;

const sign = (side: 'long' | 'short'): 1 | -1 => (side === 'long' ? 1 : -1);

/** The simulated venue account: the kernel's ExecutionClient for backtests and paper trading. */
export class Broker implements ExecutionClient {
  /** Realized balance: initial equity + realized PnL - fees - funding. */
  wallet: number;
  /** Last trade price of the execution market (NaN before its first trade). */
  lastPrice = NaN;
  mark = NaN;
  private pos: Position | undefined;
  /** An exit asked for while the entry was in flight: sent the moment the entry fills. */
  private exitOnFill: string | undefined;
  private orders: Order[] = [];
  private nextId = 1;
  private tradeId = 1;
  /** The execution venue's live book and when it last changed, when there is one. */
  private book: L2Book | undefined;
  private bookTs = -Infinity;
  /** The execution market's last best bid and ask (bookTicker) and their time. */
  private bid = NaN;
  private ask = NaN;
  private quoteTs = -Infinity;

  constructor(
    readonly o: BrokerOptions,
    private readonly ev: ExecutionEvents = {},
  ) {
    this.wallet = o.initialEquity;
  }

  get position(): ExecutionPosition | undefined {
    const p = this.pos;
    return p && { side: p.req.side, qty: p.iso.qty, entry: p.iso.entry, stop: p.req.stop, target: p.req.target, liquidationPrice: p.iso.liquidationPrice, openTs: p.openTs, signalId: p.req.signalId };
  }

  /** An entry or exit order is on its way or resting (besides the take-profit). */
  get busy(): boolean {
    return this.pos !== undefined || this.orders.length > 0;
  }

  /** Wallet + unrealized PnL at the mark (last trade price where no mark is known). */
  equity(): number {
    const p = this.pos;
    if (!p) return this.wallet;
    const m = Number.isFinite(this.mark) ? this.mark : this.lastPrice;
    return this.wallet + sign(p.req.side) * p.iso.qty * (m - p.iso.entry);
  }

  /** Open notional at the last price. */
  exposure(): number {
    return this.pos ? this.pos.iso.qty * this.lastPrice : 0;
  }

  /** Send a market entry at decision time `ts`. */
  enter(ts: number, req: EntryRequest): void {
    this.submit(ts, sign(req.side), 'market', req.qty, NaN, 'entry', req);
  }

  /** Close the position at market (reason: 'time', 'end', 'strategy'...); an entry in flight is closed the moment it fills. No-op when flat or already exiting. */
  exit(ts: number, reason: string): void {
    const p = this.pos;
    if (!p) {
      // The entry is on its way and cannot be recalled: close it as soon as it fills.
      if (this.orders.some((o) => o.entry)) this.exitOnFill ??= reason;
      return;
    }
    if (p.exiting) return;
    p.exiting = true;
    this.submit(ts, -sign(p.req.side) as 1 | -1, 'market', p.iso.qty, NaN, reason);
  }

  /** Clock: stale entries, time stops. Call at every timer. */
  onTime(ts: number): void {
    if (this.orders.length > 0) this.cancelStale(ts);
    const p = this.pos;
    if (p && ts >= p.req.timeStopTs) this.exit(ts, 'time');
  }

  /** The execution market's live book changed at `ts` (a book older than bookMaxAgeMs at an order's arrival is not used). */
  onBook(ts: number, book: L2Book): void {
    this.book = book;
    this.bookTs = ts;
  }

  /** The execution market's best bid and ask at `ts`; a quote older than bookMaxAgeMs at a fill is not used. */
  onQuote(ts: number, bid: number, ask: number): void {
    this.bid = bid;
    this.ask = ask;
    this.quoteTs = ts;
  }

  /**
   * Trade `row` of `c`, of the execution market; `c.side[row]` its aggressor (+1 buy, -1 sell,
   * 0 unknown); `markFresh` false: no recent mark, the trade price is the mark. Read by row: values
   * passed in would be boxed (one allocation per trade).
   */
  onTrade(c: TradeColumns, row: number, markFresh: boolean): void {
    // Rows, not numbers, go to the calls below: a call passing a trade's numbers, even one not
    // taken, made V8 box them for every trade (measured).
    if (this.orders.length > 0 && this.touches(c, row)) this.match(c, row);
    this.lastPrice = c.price[row];
    if (this.pos) this.positionTrade(c, row, markFresh);
  }

  /** onTrade with a position open: the trade price as the mark where none is fresh, the stop. */
  private positionTrade(c: TradeColumns, row: number, markFresh: boolean): void {
    const ts = c.ts[row];
    const price = c.price[row];
    const p = this.pos!;
    if (!markFresh) this.onMark(ts, price);
    if (this.pos && !p.exiting && (p.req.side === 'long' ? price <= p.req.stop : price >= p.req.stop)) this.exit(ts, 'stop');
  }

  /** A mark price of the execution market: liquidation check. */
  onMark(ts: number, mark: number): void {
    this.mark = mark;
    const p = this.pos;
    if (!p || !isLiquidated(p.iso, mark)) return;
    const liq = isolatedLiquidation(p.iso, mark)!;
    // Every order of the position dies with it.
    for (const o of this.orders) this.report(o, 'cancelled', null, null, 0, 'position liquidated');
    this.orders = [];
    this.close(ts, liq.closePrice, liq.realizedPnl, 0, 'liquidation', true);
  }

  /** Funding at a funding time: rate > 0 longs pay shorts. */
  onFunding(ts: number, rate: number): void {
    const p = this.pos;
    if (!p) return;
    const m = Number.isFinite(this.mark) ? this.mark : this.lastPrice;
    const pay = sign(p.req.side) * p.iso.qty * m * rate;
    this.wallet -= pay;
    p.funding += pay;
    if (this.o.marginMode === 'cross') {
      // The wallet backs the position: its liquidation price moves with every payment.
      const i = p.iso;
      p.iso = openIsolated({ instrument: i.instrument, side: i.side, qty: i.qty, entry: i.entry, leverage: i.leverage, margin: Math.max(i.margin - pay, Number.MIN_VALUE) });
      this.onMark(ts, m);
    }
  }

  /** End of the run: close what is open at the last price (no latency: the data ends). */
  finish(ts: number): void {
    for (const o of this.orders) this.report(o, 'expired', null, null, 0, 'run ended');
    this.orders = [];
    const p = this.pos;
    if (!p || !Number.isFinite(this.lastPrice)) return;
    const fee = this.o.fees ? p.iso.qty * this.lastPrice * this.o.instrument.takerFee : 0;
    this.close(ts, this.lastPrice, sign(p.req.side) * p.iso.qty * (this.lastPrice - p.iso.entry), fee, 'end', false);
  }

  private submit(ts: number, side: 1 | -1, type: 'market' | 'limit', qty: number, price: number, reason: string, entry?: EntryRequest): number {
    const id = this.nextId++;
    this.orders.push({ id, ts, arrivalTs: ts + this.o.latencyMs, side, type, qty, price, reason, entry, refPrice: NaN });
    return id;
  }

  private staleMs(): number {
    return this.o.staleAfterMs ?? STALE_AFTER_MS;
  }

  /** Entries not filled within staleAfterMs of their decision are cancelled (never filled hours after their signal). */
  private cancelStale(ts: number): void {
    const limit = this.staleMs();
    for (let k = 0; k < this.orders.length; ) {
      const o = this.orders[k];
      if (o.entry && ts - o.ts > limit) {
        this.orders.splice(k, 1);
        this.report(o, 'cancelled', null, null, 0, `stale: not filled within ${limit} ms of the decision`);
      } else k++;
    }
  }

  /**
   * Whether trade `row` changes any order: an entry gone stale, an arrived order seeing its first
   * trade, a market order, a limit order this trade fills. Most trades change none (a resting
   * take-profit), and this answers without a call: a call passing the trade's numbers, even one
   * not taken, had V8 box them at every trade (hoisted out of the order loop; measured).
   */
  private touches(c: TradeColumns, row: number): boolean {
    const ts = c.ts[row];
    const price = c.price[row];
    const stale = this.o.staleAfterMs ?? STALE_AFTER_MS;
    const touch = this.o.limitFill === 'touch';
    for (let k = 0; k < this.orders.length; k++) {
      const o = this.orders[k];
      if (o.entry && ts - o.ts > stale) return true;
      if (o.arrivalTs > ts) continue;
      if (o.type === 'market' || Number.isNaN(o.refPrice)) return true;
      if (o.side > 0 ? price < o.price || (touch && price === o.price) : price > o.price || (touch && price === o.price)) return true;
    }
    return false;
  }

  private match(c: TradeColumns, row: number): void {
    const ts = c.ts[row];
    const price = c.price[row];
    const side = c.side[row];
    this.cancelStale(ts);
    // Orders are kept in submission order; each trade can fill any that has arrived.
    for (let k = 0; k < this.orders.length; ) {
      const o = this.orders[k];
      if (o.arrivalTs > ts) {
        k++;
        continue;
      }
      if (Number.isNaN(o.refPrice)) o.refPrice = Number.isFinite(this.lastPrice) ? this.lastPrice : price;
      let fill = NaN;
      if (o.type === 'market') fill = this.marketPrice(o, ts, price, side);
      else if (o.side > 0 ? price < o.price || (this.o.limitFill === 'touch' && price === o.price) : price > o.price || (this.o.limitFill === 'touch' && price === o.price)) fill = o.price;
      if (Number.isNaN(fill)) {
        k++;
        continue;
      }
      this.orders.splice(k, 1);
      this.filled(o, ts, fill);
    }
  }

  /**
   * Book walk when a fresh book is live; else the fresh best ask (buy) or bid (sell) from
   * bookTicker, half the spread from the mid, with the slippage; else this trade's price with the
   * slippage when the trade is on the order's side (a buy takes the ask: it fills with
   * buy-aggressor trades), else NaN (not yet: the order waits for one).
   */
  private marketPrice(o: Order, ts: number, tradePrice: number, side: number): number {
    const b = this.book;
    const maxAge = this.o.bookMaxAgeMs ?? 5_000;
    if (b && b.ready && ts - this.bookTs <= maxAge) {
      const side = o.side > 0 ? b.asks : b.bids;
      let left = o.qty;
      let cost = 0;
      let lastPx = NaN;
      for (let k = 0; left > 0 && k < side.size; k++) {
        const px = side.indexAt(k) * b.tick;
        const take = Math.min(left, side.qtyAt(k));
        cost += take * px;
        left -= take;
        lastPx = px;
      }
      if (Number.isFinite(lastPx)) {
        // What the visible book cannot hold fills beyond its last level, with the slippage.
        if (left > 0) cost += left * lastPx * (1 + (o.side * this.slip()) / 1e4);
        return cost / o.qty;
      }
    }
    if (ts - this.quoteTs <= maxAge && this.ask >= this.bid && this.bid > 0) return (o.side > 0 ? this.ask : this.bid) * (1 + (o.side * this.slip()) / 1e4);
    if (side !== 0 && side !== o.side) return NaN;
    return tradePrice * (1 + (o.side * this.slip()) / 1e4);
  }

  private slip(): number {
    return this.o.slippage ? this.o.slippageBps : 0;
  }

  private filled(o: Order, ts: number, price: number): void {
    const inst = this.o.instrument;
    const maker = o.type === 'limit';
    const fee = this.o.fees ? o.qty * price * (maker ? inst.makerFee : inst.takerFee) : 0;
    if (o.entry) {
      if (this.pos) {
        this.report(o, 'rejected', null, null, 0, 'a position is already open');
        return;
      }
      let iso: IsolatedPosition;
      try {
        iso = openIsolated({ instrument: inst, side: o.entry.side, qty: o.qty, entry: price, leverage: o.entry.leverage });
        if (this.o.marginMode === 'cross') {
          if (iso.margin + fee > this.wallet) throw new RangeError(`insufficient margin: needs ${(iso.margin + fee).toFixed(2)}, wallet ${this.wallet.toFixed(2)}`);
          iso = openIsolated({ instrument: inst, side: o.entry.side, qty: o.qty, entry: price, leverage: o.entry.leverage, margin: this.wallet - fee });
        }
      } catch (e) {
        this.report(o, 'rejected', null, null, 0, (e as Error).message);
        return;
      }
      if (iso.margin + fee > this.wallet) {
        this.report(o, 'rejected', null, null, 0, `insufficient margin: needs ${(iso.margin + fee).toFixed(2)}, wallet ${this.wallet.toFixed(2)}`);
        return;
      }
      this.wallet -= fee;
      this.report(o, 'filled', ts, price, fee, null);
      this.pos = { req: o.entry, iso, openTs: ts, entryFee: fee, funding: 0, targetOrder: undefined, exiting: false };
      // The bracket against the fill price: a stop already crossed exits now; a target already
      // reached would execute on arrival against the book, as a taker, not rest as a maker.
      const dir = o.side;
      const asked = this.exitOnFill;
      this.exitOnFill = undefined;
      if (asked !== undefined) this.exit(ts, asked);
      else if (dir * (price - o.entry.stop) <= 0) this.exit(ts, 'stop');
      else if (o.entry.target !== null && dir * (price - o.entry.target) >= 0) this.exit(ts, 'target');
      else if (o.entry.target !== null) this.pos.targetOrder = this.submit(ts, -o.side as 1 | -1, 'limit', o.qty, o.entry.target, 'target');
      return;
    }
    const p = this.pos;
    if (!p) {
      this.report(o, 'cancelled', null, null, 0, 'no position to close');
      return;
    }
    this.report(o, 'filled', ts, price, fee, null);
    // The other exit orders of the position are cancelled.
    for (const x of this.orders) this.report(x, 'cancelled', null, null, 0, `position closed by ${o.reason}`);
    this.orders = [];
    this.close(ts, price, sign(p.req.side) * p.iso.qty * (price - p.iso.entry), fee, o.reason, false);
  }

  private close(ts: number, price: number, gross: number, exitFee: number, reason: string, liquidated: boolean): void {
    const p = this.pos!;
    this.wallet += gross - exitFee;
    const fees = p.entryFee + exitFee;
    const r = p.req;
    this.pos = undefined;
    this.ev.onTradeClosed?.({
      id: this.tradeId++,
      venue: this.o.venue,
      symbol: this.o.symbol,
      side: r.side,
      entryTs: p.openTs,
      exitTs: ts,
      entryPrice: p.iso.entry,
      exitPrice: price,
      qty: p.iso.qty,
      grossPnl: gross,
      fees,
      funding: p.funding,
      pnl: gross - fees - p.funding,
      risk: Math.abs(p.iso.entry - r.stop) * p.iso.qty,
      session: r.session,
      signal: r.signal,
      exitReason: reason,
      liquidated,
      leverage: r.leverage,
      stop: r.stop,
      target: r.target,
      liquidationPrice: p.iso.liquidationPrice,
      signalId: r.signalId,
    });
  }

  private report(o: Order, status: OrderStatus, fillTs: number | null, fillPrice: number | null, fee: number, rejectReason: string | null): void {
    // An entry that will never fill takes a pending exit with it.
    if (o.entry && status !== 'filled') this.exitOnFill = undefined;
    const ref = o.refPrice;
    this.ev.onOrder?.({
      id: o.id,
      ts: o.ts,
      arrivalTs: o.arrivalTs,
      venue: this.o.venue,
      symbol: this.o.symbol,
      side: o.side > 0 ? 'buy' : 'sell',
      type: o.type,
      qty: o.qty,
      price: o.type === 'limit' ? o.price : null,
      reason: o.reason,
      status,
      fillTs,
      fillPrice,
      fee,
      slippageBps: fillPrice !== null && Number.isFinite(ref) ? (o.side * 1e4 * (fillPrice - ref)) / ref : null,
      rejectReason,
    });
  }
}
