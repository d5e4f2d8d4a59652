/**
 * The paper kernel's input in memory (docs/PAPER.md, "The push path"): the decoded records the
 * live clients hand to the recorder are also kept here, columnar, and released into the kernel
 * up to the watermark, in the order the store path (stored-feed.ts) would read the same rows:
 *
 * 1. `ts` as the store keeps it (a TIMESTAMP: microseconds, so a ms time is rounded to the µs);
 * 2. at equal `ts`, the kind: trades, liquidations, open interest, marks, quotes, book messages
 *    (the replay merge's ranks: the same `ReplayMerge` walks both paths, src/engine/replay.ts);
 * 3. within trades and liquidations, the session's venue order, then arrival (the store's
 *    `rowid` is the recorder's append order, which is arrival); within the ticker kinds, venue
 *    order, then symbol order, then arrival; book messages by arrival.
 *
 * It filters as the readers do: the session's venues and symbols (OKX sends every swap's
 * liquidations), a mark is a ticker row with a mark price or a funding rate, open interest one
 * with open interest, a quote one with both best bid and ask on the execution market, book
 * messages of the execution market from `bookFromMs` with at least one level; and it refuses what
 * the recorder refuses before the store (`rowProblem`), so a dead-lettered row reaches neither.
 */
import type { BookColumns, LiquidationColumns, MarkColumns, OpenInterestColumns, OpenInterestMarket, QuoteColumns, TradeColumns } from '../core/columns.ts';
import type { BookEvent, CaptureRecord, Venue } from '../core/events.ts';
import type { Engine } from '../engine/engine.ts';
import { ReplayMerge } from '../engine/replay.ts';
import { rowProblem } from '../store/row-check.ts';
import type { Store } from '../store/store.ts';
import type { FeedMarket } from './stored-feed.ts';

/** What the last `release` handed the kernel, by kind (the benchmark's breakdown of a push; overwritten by each release). */
export interface ReleaseMix {
  trades: number;
  liquidations: number;
  tickers: number;
  bookMessages: number;
  bookLevels: number;
  /** Rows still held after it (stamped at or past the watermark): what each release scans. */
  held: number;
}

/** A ms time as the store gives it back: rounded to the µs (epoch_us / 1000). */
export const storedMs = (ts: number): number => Math.round(ts * 1000) / 1000;

/**
 * Rows of one kind and one tie order (a venue; a venue's market for the ticker kinds), float
 * columns, column 0 the stored time, in arrival order; rows [head, n) are held. A stream delivers
 * in time order, so its rows stamped before a limit are usually a prefix: taken and dropped by
 * moving `head`, a release costs the rows it releases, not the rows still held behind the
 * watermark (thousands while a slow stream holds it). Rows out of time order (`inOrder` false
 * until the lane empties) are scanned and sorted as a whole.
 */
class Rows {
  cols: Float64Array[];
  head = 0;
  n = 0;
  /** Every held row is stamped at or after the one before it. */
  private inOrder = true;
  /** Indices released by the last `take`, in (time, arrival) order. */
  readonly idx: number[] = [];

  constructor(readonly width: number) {
    this.cols = Array.from({ length: width }, () => new Float64Array(256));
  }

  get held(): number {
    return this.n - this.head;
  }

  /** A new row stamped `ts`: its slot (the caller fills the other columns). */
  slot(ts: number): number {
    if (this.n === this.cols[0].length) {
      // Slide the held rows to the front, or grow when they fill half the columns (amortized O(1) a row).
      const live = this.n - this.head;
      const size = live * 2 > this.n ? this.n * 2 : this.n;
      this.cols = this.cols.map((c) => {
        if (size === c.length) return c.copyWithin(0, this.head, this.n);
        const b = new Float64Array(size);
        b.set(c.subarray(this.head, this.n));
        return b;
      });
      this.n = live;
      this.head = 0;
    }
    const ts0 = this.cols[0];
    if (this.n > this.head && ts < ts0[this.n - 1]) this.inOrder = false;
    ts0[this.n] = ts;
    return this.n++;
  }

  /** The rows stamped before `limit`, in (time, arrival) order, as indices into the current columns (`idx`, valid until `compact`). */
  take(limit: number): readonly number[] {
    const ts = this.cols[0];
    const idx = this.idx;
    idx.length = 0;
    if (this.inOrder) {
      for (let i = this.head; i < this.n && ts[i] < limit; i++) idx.push(i);
      return idx;
    }
    for (let i = this.head; i < this.n; i++) if (ts[i] < limit) idx.push(i);
    idx.sort((a, b) => ts[a] - ts[b] || a - b);
    return idx;
  }

  /** Drop the rows stamped before `limit`, keeping the others in arrival order; returns the oldest time kept (Infinity: none). */
  compact(limit: number): number {
    const ts = this.cols[0];
    if (this.inOrder) {
      while (this.head < this.n && ts[this.head] < limit) this.head++;
    } else {
      let k = this.head;
      let sorted = true;
      for (let i = this.head; i < this.n; i++) {
        if (ts[i] < limit) continue;
        if (k > this.head && ts[i] < ts[k - 1]) sorted = false;
        if (k !== i) for (let c = 0; c < this.width; c++) this.cols[c][k] = this.cols[c][i];
        k++;
      }
      this.n = k;
      this.inOrder = sorted;
    }
    if (this.head === this.n) {
      this.head = this.n = 0;
      this.inOrder = true;
      return Infinity;
    }
    if (this.inOrder) return ts[this.head];
    let min = Infinity;
    for (let i = this.head; i < this.n; i++) if (ts[i] < min) min = ts[i];
    return min;
  }

  /** Rows held stamped before `limit`. */
  count(limit: number): number {
    let n = 0;
    for (let i = this.head; i < this.n; i++) if (this.cols[0][i] < limit) n++;
    return n;
  }
}

/**
 * The rows before a limit of every lane of a kind (index = tie order), merged in (time, tie
 * order, arrival) order: `lane[j]`, `row[j]` (reused between releases).
 */
class Merged {
  readonly lane: number[] = [];
  readonly row: number[] = [];
  private readonly at: number[] = [];

  of(lanes: readonly Rows[], limit: number): number {
    const lane = this.lane;
    const row = this.row;
    lane.length = 0;
    row.length = 0;
    let only = -1;
    let lanesWith = 0;
    for (let l = 0; l < lanes.length; l++) {
      this.at[l] = 0;
      if (lanes[l].held > 0 && lanes[l].take(limit).length > 0) {
        only = l;
        lanesWith++;
      } else lanes[l].idx.length = 0;
    }
    if (lanesWith === 0) return 0;
    if (lanesWith === 1) {
      for (const i of lanes[only].idx) {
        lane.push(only);
        row.push(i);
      }
      return row.length;
    }
    // A k-way merge (k: the venues, or their markets): the smallest time first, the lower tie order at equal times.
    for (;;) {
      let best = -1;
      let bestTs = Infinity;
      for (let l = 0; l < lanes.length; l++) {
        const idx = lanes[l].idx;
        const a = this.at[l];
        if (a >= idx.length) continue;
        const t = lanes[l].cols[0][idx[a]];
        if (t < bestTs) {
          bestTs = t;
          best = l;
        }
      }
      if (best < 0) return row.length;
      lane.push(best);
      row.push(lanes[best].idx[this.at[best]++]);
    }
  }
}

// Columns of each kind (the tie order is the lane).
const T = { ts: 0, price: 1, qty: 2, side: 3, hash: 4 } as const;
const K = { ts: 0, oi: 1, mark: 2, funding: 3, nextFunding: 4, bid: 5, ask: 6, hash: 7 } as const;

export class PushFeed {
  /** Per venue (its tie order). */
  private readonly trades: Rows[];
  private readonly liquidations: Rows[];
  /** Per market (venue order x symbols + symbol order). */
  private readonly tickers: Rows[];
  /** Each kind's rows of one release, merged across its lanes. */
  private readonly merged = new Merged();
  /** Book messages held (from `bookHead` on), each with its level rows' summed hash (the shadow check's). */
  private books: { readonly ts: number; readonly ev: BookEvent; readonly h: number }[] = [];
  private bookHead = 0;
  /** Every held book message is stamped at or after the one before it (one stream: the usual case). */
  private booksInOrder = true;
  private readonly venueOrd = new Map<Venue, number>();
  private readonly symbolOrd = new Map<string, number>();
  /** Every (venue, symbol) in tie order: the ticker columns' `markets` (index = venue order x symbols + symbol order). */
  private readonly markets: OpenInterestMarket[] = [];
  private readonly execMarket: number;
  private readonly bookFrom: number;
  /** Rows stamped before this have been released (or dropped at the handover). */
  private released = -Infinity;
  /** The oldest stored time held (Infinity when none): a frame that releases nothing costs one comparison. */
  private minHeld = Infinity;
  /** Columns of no rows, shared (most releases have rows of one or two kinds only). */
  private readonly empty: { readonly trades: TradeColumns; readonly ticker: OpenInterestColumns & MarkColumns & QuoteColumns; readonly book: BookColumns };
  /** Rows released into the kernel so far. */
  events = 0;
  /** The last release's rows by kind. */
  readonly mix: ReleaseMix = { trades: 0, liquidations: 0, tickers: 0, bookMessages: 0, bookLevels: 0, held: 0 };
  /** Rows the recorder refuses (rowProblem): refused here too. */
  refused = 0;
  /** Rows that came stamped before what was released already: the kernel never sees them (the store and a backtest do). */
  late = 0;
  /** The shadow check's tally (shadow-check.ts): rows released (and late ones the store has) stamped from `from` on, not yet taken. */
  private shadow = { from: -Infinity, n: 0, h: 0 };

  constructor(private readonly m: FeedMarket) {
    m.venues.forEach((v, i) => this.venueOrd.set(v, i));
    m.symbols.forEach((s, i) => this.symbolOrd.set(s, i));
    for (const v of m.venues) for (const s of m.symbols) this.markets.push({ venue: v, symbol: s });
    this.trades = m.venues.map(() => new Rows(5));
    this.liquidations = m.venues.map(() => new Rows(5));
    this.tickers = this.markets.map(() => new Rows(8));
    this.execMarket = this.venueOrd.get(m.execVenue)! * m.symbols.length + this.symbolOrd.get(m.execSymbol)!;
    this.bookFrom = storedMs(m.bookFromMs);
    const none = new Float64Array(0);
    this.empty = {
      trades: { length: 0, ts: none, price: none, qty: none, side: new Int8Array(0), venue: new Uint8Array(0), venues: m.venues },
      ticker: { length: 0, ts: none, openInterest: none, markPrice: none, fundingRate: none, nextFundingTs: none, bid: none, ask: none, market: new Uint16Array(0), markets: this.markets },
      book: { length: 0, ts: none, isSnapshot: new Uint8Array(0), seq: none, levelStart: new Uint32Array(1), side: new Int8Array(0), price: none, qty: none },
    };
  }

  /** Rows held, not yet released. */
  get held(): number {
    let n = this.books.length - this.bookHead;
    for (const lanes of [this.trades, this.liquidations, this.tickers]) for (const l of lanes) n += l.held;
    return n;
  }

  /** Rows stamped before this have been released (or dropped at the handover). */
  get position(): number {
    return this.released;
  }

  /** One record as the recorder got it; false when it is not for the kernel (another market, a kind it does not read, refused, late). */
  add(r: CaptureRecord): boolean {
    if (r.type === 'kline') return false;
    const vo = this.venueOrd.get(r.venue);
    const so = this.symbolOrd.get(r.symbol);
    if (vo === undefined || so === undefined) return false;
    if (rowProblem(r) !== undefined) {
      this.refused++;
      return false;
    }
    const ts = storedMs(r.ts);
    const held = this.hold(r, ts, vo, so);
    if (held && ts < this.minHeld) this.minHeld = ts;
    return held;
  }

  private hold(r: Exclude<CaptureRecord, { type: 'kline' }>, ts: number, vo: number, so: number): boolean {
    switch (r.type) {
      case 'trade':
      case 'liquidation': {
        const h = rowHash(r.type === 'trade' ? KIND_TRADE : KIND_LIQUIDATION, ts, vo, r.price, r.qty, r.side === 'buy' ? 1 : 2);
        if (this.tooLate(ts, h, 1)) return false;
        const rows = (r.type === 'trade' ? this.trades : this.liquidations)[vo];
        const i = rows.slot(ts);
        const c = rows.cols;
        c[T.price][i] = r.price;
        c[T.qty][i] = r.qty;
        c[T.side][i] = r.side === 'buy' ? 1 : -1;
        c[T.hash][i] = h;
        return true;
      }
      case 'ticker': {
        const oi = given(r.openInterest);
        const mark = given(r.markPrice) || given(r.fundingRate);
        const ord = vo * this.m.symbols.length + so;
        const quote = ord === this.execMarket && given(r.bestBid) && given(r.bestAsk);
        if (!oi && !mark && !quote) return false;
        const h = rowHash(KIND_TICKER, ts, ord, given(r.markPrice) ? r.markPrice : 0, oi ? r.openInterest : 0, 0);
        if (this.tooLate(ts, h, 1)) return false;
        const rows = this.tickers[ord];
        const i = rows.slot(ts);
        const c = rows.cols;
        c[K.oi][i] = r.openInterest;
        c[K.mark][i] = r.markPrice;
        c[K.funding][i] = r.fundingRate;
        c[K.nextFunding][i] = storedMs(r.nextFundingTs);
        c[K.bid][i] = quote ? r.bestBid : NaN;
        c[K.ask][i] = quote ? r.bestAsk : NaN;
        c[K.hash][i] = h;
        return true;
      }
      case 'book': {
        if (!this.m.needBook || r.venue !== this.m.execVenue || r.symbol !== this.m.execSymbol || ts < this.bookFrom) return false;
        const n = r.bids.length + r.asks.length;
        if (n === 0) return false;
        const h = bookHash(ts, r);
        if (this.tooLate(ts, h, n)) return false;
        if (this.books.length > this.bookHead && ts < this.books[this.books.length - 1].ts) this.booksInOrder = false;
        this.books.push({ ts, ev: r, h });
        return true;
      }
    }
  }

  /**
   * A row of stored time `ts` (a book message: its `rows` levels) comes after rows of that time
   * were released: the kernel never sees it (the store and a backtest do). The shadow check
   * expects it in the store when its span is not taken yet.
   */
  private tooLate(ts: number, hash: number, rows: number): boolean {
    if (!(ts < this.released)) return false;
    this.late++;
    if (ts >= this.shadow.from) this.tally(hash, rows);
    else this.lateSinceTake += rows;
    return true;
  }

  /**
   * Late rows (trades, liquidations, tickers, book levels) that came since the last `takeShadow` stamped in a
   * span already taken: whether the store has them when that span is checked depends on which
   * flush took them, so a check may find up to this many rows more than memory pushed.
   */
  lateSinceTake = 0;

  private tally(h: number, rows: number): void {
    this.shadow.n += rows;
    this.shadow.h = (this.shadow.h + h) % HASH_P;
  }

  /**
   * The shadow check's span: every trade, liquidation, ticker and book level row stamped in [from, to) that
   * memory released into the kernel (or refused as late: the store has it), counted and hashed
   * (`rowHash`, summed); the next span starts at `to`. Taken when the recorder takes its rows, so
   * the store holds every one of them once that flush commits.
   */
  takeShadow(): { readonly from: number; readonly to: number; readonly n: number; readonly h: number } {
    const s = { from: this.shadow.from, to: this.released, n: this.shadow.n, h: this.shadow.h };
    this.shadow = { from: this.released, n: 0, h: 0 };
    this.lateSinceTake = 0;
    return s;
  }

  /**
   * The handover from the store path: the kernel has had every stored row stamped before `ts`,
   * so the rows held here stamped before it are dropped (they are the stored ones, or ones that
   * came too late for it: returned, to be counted late), and from here on rows are released from memory.
   */
  handOver(ts: number): number {
    const limit = storedMs(ts);
    const dropped = this.count(limit);
    this.drop(limit);
    if (limit > this.released) this.released = limit;
    this.shadow = { from: this.released, n: 0, h: 0 };
    return dropped;
  }

  /** While catching up: rows held stamped before `ts` go (the store gives the kernel that span), so memory holds what is ahead of the store's read only. */
  dropBefore(ts: number): void {
    this.drop(storedMs(ts));
  }

  /** A release up to `toMs` would push rows (one held is stamped before it). */
  holdsBefore(toMs: number): boolean {
    const limit = storedMs(toMs);
    return limit > this.released && this.minHeld < limit;
  }

  /** Every held row stamped before `toMs` into the kernel, in the store path's order; returns how many. */
  release(kernel: Engine, toMs: number): number {
    const limit = storedMs(toMs);
    if (!(limit > this.released)) return 0;
    this.released = limit;
    if (!(this.minHeld < limit)) return 0;
    const trades = this.tradeColumns(this.trades, limit);
    const liquidations = this.tradeColumns(this.liquidations, limit);
    const { openInterest, marks, quotes } = this.tickerColumns(limit);
    const book = this.bookColumns(limit);
    const n = trades.length + liquidations.length + openInterest.length + marks.length + quotes.length + book.length;
    if (n === 0) return 0;
    const mix = this.mix;
    mix.trades = trades.length;
    mix.liquidations = liquidations.length;
    mix.tickers = openInterest.length + marks.length + quotes.length;
    mix.bookMessages = book.length;
    mix.bookLevels = book.levelStart[book.length];
    this.drop(limit);
    mix.held = this.held;
    const merge = new ReplayMerge({ liquidations, openInterest, marks, quotes, books: book.length > 0 ? [{ venue: this.m.execVenue, cols: book }] : [] });
    for (const runs of [merge.chunk(trades), merge.end()]) for (const run of runs) if (run.kind !== 'timer') kernel.onEvent(run);
    this.events += n;
    return n;
  }

  private count(limit: number): number {
    let n = 0;
    for (const lanes of [this.trades, this.liquidations, this.tickers]) for (const l of lanes) n += l.count(limit);
    for (let i = this.bookHead; i < this.books.length; i++) if (this.books[i].ts < limit) n++;
    return n;
  }

  private drop(limit: number): void {
    if (!(this.minHeld < limit)) return;
    let min = Infinity;
    for (const lanes of [this.trades, this.liquidations, this.tickers]) for (const l of lanes) if (l.held > 0) min = Math.min(min, l.compact(limit));
    this.dropBooks(limit);
    for (let i = this.bookHead; i < this.books.length; i++) if (this.books[i].ts < min) min = this.books[i].ts;
    this.minHeld = min;
  }

  /** Book messages stamped before `limit` leave: from the front while in order (the array shortened now and then), else filtered. */
  private dropBooks(limit: number): void {
    const books = this.books;
    if (this.booksInOrder) {
      while (this.bookHead < books.length && books[this.bookHead].ts < limit) this.bookHead++;
      if (this.bookHead === books.length) this.books = [];
      else if (this.bookHead * 2 < books.length) return;
      else this.books = books.slice(this.bookHead);
    } else {
      this.books = books.slice(this.bookHead).filter((b) => !(b.ts < limit));
      this.booksInOrder = this.books.every((b, i) => i === 0 || b.ts >= this.books[i - 1].ts);
    }
    this.bookHead = 0;
  }

  private tradeColumns(lanes: readonly Rows[], limit: number): TradeColumns & LiquidationColumns {
    const m = this.merged;
    const k = m.of(lanes, limit);
    if (k === 0) return this.empty.trades;
    const out = { length: k, ts: new Float64Array(k), price: new Float64Array(k), qty: new Float64Array(k), side: new Int8Array(k), venue: new Uint8Array(k), venues: this.m.venues };
    let h = this.shadow.h;
    for (let j = 0; j < k; j++) {
      const c = lanes[m.lane[j]].cols;
      const i = m.row[j];
      out.ts[j] = c[T.ts][i];
      out.price[j] = c[T.price][i];
      out.qty[j] = c[T.qty][i];
      out.side[j] = c[T.side][i];
      out.venue[j] = m.lane[j];
      h = (h + c[T.hash][i]) % HASH_P;
    }
    this.shadow.h = h;
    this.shadow.n += k;
    return out;
  }

  private tickerColumns(limit: number): { openInterest: OpenInterestColumns; marks: MarkColumns; quotes: QuoteColumns } {
    const lanes = this.tickers;
    const m = this.merged;
    const k = m.of(lanes, limit);
    if (k === 0) return { openInterest: this.empty.ticker, marks: this.empty.ticker, quotes: this.empty.ticker };
    let h = this.shadow.h;
    let nOi = 0;
    let nMark = 0;
    let nQuote = 0;
    for (let j = 0; j < k; j++) {
      const c = lanes[m.lane[j]].cols;
      const i = m.row[j];
      h = (h + c[K.hash][i]) % HASH_P;
      if (given(c[K.oi][i])) nOi++;
      if (given(c[K.mark][i]) || given(c[K.funding][i])) nMark++;
      if (given(c[K.bid][i])) nQuote++;
    }
    this.shadow.h = h;
    this.shadow.n += k;
    const markets = this.markets;
    // A kind with no row shares the empty columns (most releases carry one or two of the three).
    const none = this.empty.ticker;
    const oi = nOi === 0 ? none : { length: nOi, ts: new Float64Array(nOi), openInterest: new Float64Array(nOi), markPrice: new Float64Array(nOi), market: new Uint16Array(nOi), markets };
    const marks = nMark === 0 ? none : { length: nMark, ts: new Float64Array(nMark), markPrice: new Float64Array(nMark), fundingRate: new Float64Array(nMark), nextFundingTs: new Float64Array(nMark), market: new Uint16Array(nMark), markets };
    const quotes = nQuote === 0 ? none : { length: nQuote, ts: new Float64Array(nQuote), bid: new Float64Array(nQuote), ask: new Float64Array(nQuote), market: new Uint16Array(nQuote), markets };
    let a = 0;
    let b = 0;
    let q = 0;
    for (let j = 0; j < k; j++) {
      const ord = m.lane[j];
      const c = lanes[ord].cols;
      const i = m.row[j];
      const ts = c[K.ts][i];
      if (given(c[K.oi][i])) {
        oi.ts[a] = ts;
        oi.openInterest[a] = c[K.oi][i];
        oi.markPrice[a] = c[K.mark][i];
        oi.market[a++] = ord;
      }
      if (given(c[K.mark][i]) || given(c[K.funding][i])) {
        marks.ts[b] = ts;
        marks.markPrice[b] = c[K.mark][i];
        marks.fundingRate[b] = c[K.funding][i];
        marks.nextFundingTs[b] = c[K.nextFunding][i];
        marks.market[b++] = ord;
      }
      if (given(c[K.bid][i])) {
        quotes.ts[q] = ts;
        quotes.bid[q] = c[K.bid][i];
        quotes.ask[q] = c[K.ask][i];
        quotes.market[q++] = ord;
      }
    }
    return { openInterest: oi, marks, quotes };
  }

  /** Book messages before `limit` by (time, arrival); levels as the store keeps them (bids, then asks). */
  private bookColumns(limit: number): BookColumns {
    const books = this.books;
    if (books.length === this.bookHead) return this.empty.book;
    let msgs: typeof books;
    if (this.booksInOrder) {
      let j = this.bookHead;
      while (j < books.length && books[j].ts < limit) j++;
      msgs = books.slice(this.bookHead, j);
    } else msgs = books.slice(this.bookHead).filter((b) => b.ts < limit).sort((x, y) => x.ts - y.ts);
    if (msgs.length === 0) return this.empty.book;
    let levels = 0;
    for (const b of msgs) levels += b.ev.bids.length + b.ev.asks.length;
    const out = {
      length: msgs.length,
      ts: new Float64Array(msgs.length),
      isSnapshot: new Uint8Array(msgs.length),
      seq: new Float64Array(msgs.length),
      levelStart: new Uint32Array(msgs.length + 1),
      side: new Int8Array(levels),
      price: new Float64Array(levels),
      qty: new Float64Array(levels),
    };
    let l = 0;
    let h = this.shadow.h;
    for (const b of msgs) h = (h + b.h) % HASH_P;
    this.shadow.h = h;
    this.shadow.n += levels;
    for (let m = 0; m < msgs.length; m++) {
      const ev = msgs[m].ev;
      out.ts[m] = msgs[m].ts;
      out.isSnapshot[m] = ev.isSnapshot ? 1 : 0;
      out.seq[m] = ev.seq;
      out.levelStart[m] = l;
      l = copyLevels(ev.bids, 1, out, l);
      l = copyLevels(ev.asks, -1, out, l);
    }
    out.levelStart[msgs.length] = l;
    return out;
  }
}

/**
 * The shadow check's row hash, integer arithmetic modulo a prime below 2^30 so every step stays
 * exact in a double (and in DuckDB's BIGINT: shadow-check.ts computes the same over the stored
 * rows): kind, time (µs), tie order (venue; venue x symbol for tickers; the snapshot flag for book
 * levels), price (or mark) in 1e-6, quantity (or open interest) in 1e-8, side (1 buy or bid, 2
 * sell or ask; 0 for tickers).
 */
export const HASH_P = 1_000_000_007;
export const KIND_TRADE = 1;
export const KIND_LIQUIDATION = 2;
export const KIND_TICKER = 3;
export const KIND_BOOK = 4;
export function rowHash(kind: number, ts: number, ord: number, price: number, qty: number, side: number): number {
  let h = kind;
  h = (h * 31 + (Math.round(ts * 1000) % HASH_P)) % HASH_P;
  h = (h * 31 + ord) % HASH_P;
  h = (h * 31 + (Math.floor(price * 1e6) % HASH_P)) % HASH_P;
  h = (h * 31 + (Math.floor(qty * 1e8) % HASH_P)) % HASH_P;
  return (h * 31 + side) % HASH_P;
}

/**
 * A book message's level rows as the store keeps them (one row a level, bids then asks), each
 * hashed as `rowHash` with the kind, the µs time, the snapshot flag (1 or 0) in the tie-order
 * slot, price, quantity and side (1 bid, 2 ask), then the sequence (its floor modulo the prime,
 * made non-negative; 0 when none: stored NULL); summed.
 */
export function bookHash(ts: number, b: Pick<BookEvent, 'isSnapshot' | 'bids' | 'asks' | 'seq'>): number {
  const seq = b.seq === b.seq ? ((Math.floor(b.seq) % HASH_P) + HASH_P) % HASH_P : 0;
  // rowHash's steps, the message's (kind, time, snapshot flag) once rather than per level.
  let head = (KIND_BOOK * 31 + (Math.round(ts * 1000) % HASH_P)) % HASH_P;
  head = (head * 31 + (b.isSnapshot ? 1 : 0)) % HASH_P;
  return (levelsHash(head, b.bids, 1, seq) + levelsHash(head, b.asks, 2, seq)) % HASH_P;
}

/** bookHash's sum over one side's levels, from the hash of the fields before price. */
function levelsHash(head: number, levels: BookEvent['bids'], side: number, seq: number): number {
  let sum = 0;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    let h = (head * 31 + (Math.floor(l[0] * 1e6) % HASH_P)) % HASH_P;
    h = (h * 31 + (Math.floor(l[1] * 1e8) % HASH_P)) % HASH_P;
    h = (h * 31 + side) % HASH_P;
    sum = (sum + ((h * 31 + seq) % HASH_P)) % HASH_P;
  }
  return sum;
}

/** One side's levels into the book columns from level `l`; returns the next level. */
function copyLevels(levels: BookEvent['bids'], side: number, out: { side: Int8Array; price: Float64Array; qty: Float64Array }, l: number): number {
  for (let i = 0; i < levels.length; i++) {
    out.side[l] = side;
    out.price[l] = levels[i][0];
    out.qty[l++] = levels[i][1];
  }
  return l;
}

/** A field the store keeps (NaN is written as NULL, which the readers skip or read back as NaN). */
const given = (x: number): boolean => x === x;

/**
 * The newest stored time of the markets' rows, -Infinity when none: read before this process
 * stores anything, it bounds the rows memory will never have (other processes' rows, a crashed
 * session's), so the handover waits until the store's read has passed it.
 */
export async function storedUntil(store: Store, m: FeedMarket): Promise<number> {
  const values: (string | number)[] = [];
  const param = (v: string | number) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where = `venue::VARCHAR IN (${m.venues.map(param).join(', ')}) AND symbol IN (${m.symbols.map(param).join(', ')})`;
  const book = `venue::VARCHAR = ${param(m.execVenue)} AND symbol = ${param(m.execSymbol)}`;
  const [r] = await store.rows<{ t: number | null }>(
    `SELECT max(t) AS t FROM (
       SELECT max(epoch_us(ts))::DOUBLE / 1000 AS t FROM trades WHERE ${where}
       UNION ALL SELECT max(epoch_us(ts))::DOUBLE / 1000 FROM liquidations WHERE ${where}
       UNION ALL SELECT max(epoch_us(ts))::DOUBLE / 1000 FROM tickers WHERE ${where}
       UNION ALL SELECT max(epoch_us(ts))::DOUBLE / 1000 FROM book WHERE ${book})`,
    values,
  );
  return r?.t ?? -Infinity;
}
