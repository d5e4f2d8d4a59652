/**
 * Reusable column buffers that turn a stream of event objects back into the columnar runs the
 * operators take (src/core/columns.ts): filled one event at a time, handed to the operators as
 * `[0, length)`, then cleared and refilled. The operators keep no reference to a batch
 * (src/features/operator.ts), so one buffer serves the whole stream: memory stays one chunk.
 */
import type { BookColumns, OpenInterestColumns, OpenInterestMarket, TradeColumns } from '../../core/columns.ts';
import { VENUES, type BookEvent, type LiquidationEvent, type TickerEvent, type TradeEvent, type Venue } from '../../core/events.ts';

/** Rows per chunk before a buffer is handed on even without a reason to. */
export const CHUNK = 4096;

function venueIndex(v: Venue): number {
  const i = VENUES.indexOf(v);
  if (i < 0) throw new RangeError(`sim eval: unknown venue ${JSON.stringify(v)}`);
  return i;
}

/** Trades or liquidations (same columns; `side` +1 buy / -1 sell, what it means is the event's). */
export class PriceEventBuffer implements TradeColumns {
  length = 0;
  readonly ts = new Float64Array(CHUNK);
  readonly price = new Float64Array(CHUNK);
  readonly qty = new Float64Array(CHUNK);
  readonly side = new Int8Array(CHUNK);
  readonly venue = new Uint8Array(CHUNK);
  readonly venues = VENUES;

  /** Appends; true when the buffer is now full. */
  add(e: TradeEvent | LiquidationEvent): boolean {
    const i = this.length++;
    this.ts[i] = e.ts;
    this.price[i] = e.price;
    this.qty[i] = e.qty;
    this.side[i] = e.side === 'buy' ? 1 : -1;
    this.venue[i] = venueIndex(e.venue);
    return this.length === CHUNK;
  }
}

/** Open-interest observations (tickers that carry one), markets numbered as first seen. */
export class OpenInterestBuffer implements OpenInterestColumns {
  length = 0;
  readonly ts = new Float64Array(CHUNK);
  readonly openInterest = new Float64Array(CHUNK);
  readonly markPrice = new Float64Array(CHUNK);
  readonly market = new Uint16Array(CHUNK);
  readonly markets: OpenInterestMarket[] = [];

  add(e: TickerEvent): boolean {
    let m = this.markets.findIndex((x) => x.venue === e.venue && x.symbol === e.symbol);
    if (m < 0) m = this.markets.push({ venue: e.venue, symbol: e.symbol }) - 1;
    const i = this.length++;
    this.ts[i] = e.ts;
    this.openInterest[i] = e.openInterest;
    this.markPrice[i] = e.markPrice;
    this.market[i] = m;
    return this.length === CHUNK;
  }
}

/** Book messages of one market; level rows grow with the largest snapshot seen. */
export class BookBuffer implements BookColumns {
  length = 0;
  readonly ts = new Float64Array(CHUNK);
  readonly isSnapshot = new Uint8Array(CHUNK);
  readonly seq = new Float64Array(CHUNK);
  readonly levelStart = new Uint32Array(CHUNK + 1);
  side = new Int8Array(CHUNK);
  price = new Float64Array(CHUNK);
  qty = new Float64Array(CHUNK);

  add(e: BookEvent): boolean {
    const m = this.length++;
    const r0 = this.levelStart[m];
    const need = r0 + e.bids.length + e.asks.length;
    if (need > this.side.length) this.grow(need);
    this.ts[m] = e.ts;
    this.isSnapshot[m] = e.isSnapshot ? 1 : 0;
    this.seq[m] = e.seq;
    let r = r0;
    for (const [p, q] of e.bids) r = this.level(r, 1, p, q);
    for (const [p, q] of e.asks) r = this.level(r, -1, p, q);
    this.levelStart[m + 1] = r;
    return this.length === CHUNK;
  }

  clear(): void {
    this.length = 0;
  }

  private level(r: number, side: number, p: number, q: number): number {
    this.side[r] = side;
    this.price[r] = p;
    this.qty[r] = q;
    return r + 1;
  }

  private grow(need: number): void {
    const n = Math.max(need, this.side.length * 2);
    const side = new Int8Array(n);
    side.set(this.side);
    const price = new Float64Array(n);
    price.set(this.price);
    const qty = new Float64Array(n);
    qty.set(this.qty);
    this.side = side;
    this.price = price;
    this.qty = qty;
  }
}
