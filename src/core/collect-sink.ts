/**
 * An EventSink that keeps everything as plain objects: for tests, golden files and small reads.
 * Book levels of one message are regrouped into one BookEvent.
 */
import type { BookLevel, DepthBandRecord, KlineRecord, MarketEvent, Side, TickerEvent, TickerFields, Venue } from './events.ts';
import type { EventSink } from './format.ts';

export class CollectSink implements EventSink {
  readonly events: MarketEvent[] = [];
  readonly klines: KlineRecord[] = [];
  readonly depthBands: DepthBandRecord[] = [];
  private openBook: { msg: number; bids: BookLevel[]; asks: BookLevel[] } | undefined;

  trade(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void {
    this.events.push({ type: 'trade', venue, symbol, ts, localTs, price, qty, side, id });
  }

  liquidation(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void {
    this.events.push({ type: 'liquidation', venue, symbol, ts, localTs, price, qty, side, id });
  }

  bookLevel(venue: Venue, symbol: string, ts: number, localTs: number, msg: number, isSnapshot: boolean, side: Side, price: number, qty: number, seq: number): void {
    if (!this.openBook || this.openBook.msg !== msg) {
      const bids: BookLevel[] = [];
      const asks: BookLevel[] = [];
      this.openBook = { msg, bids, asks };
      this.events.push({ type: 'book', venue, symbol, ts, localTs, isSnapshot, bids, asks, seq });
    }
    (side === 'buy' ? this.openBook.bids : this.openBook.asks).push([price, qty]);
  }

  ticker(venue: Venue, symbol: string, ts: number, localTs: number, fields: Readonly<TickerFields>): void {
    const ev: TickerEvent = { type: 'ticker', venue, symbol, ts, localTs, ...fields };
    this.events.push(ev);
  }

  kline(record: KlineRecord): void {
    this.klines.push(record);
  }

  depthBand(record: DepthBandRecord): void {
    this.depthBands.push(record);
  }

  private nextMsg = -1;
  event(ev: MarketEvent): void {
    if (ev.type === 'book') {
      // Own message ids, negative so they never collide with a format's own numbering.
      const msg = this.nextMsg--;
      this.openBook = { msg, bids: [...ev.bids], asks: [...ev.asks] };
      this.events.push({ ...ev, bids: this.openBook.bids, asks: this.openBook.asks });
    } else {
      this.events.push(ev);
    }
  }
}
