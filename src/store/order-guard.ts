/**
 * Checks every file format gets for free: every row has a finite exchange time and a symbol
 * of the shape core/symbol.ts accepts (symbols come from file content), trade timestamps
 * never go backwards and trade ids are never repeated, per venue and symbol. Many trades in one millisecond is normal and passes.
 *
 * Numeric ids (Binance, OKX, Tardis) must strictly increase, so a duplicate or a reordered row
 * is caught with O(1) state. Non-numeric ids (Bybit UUIDs) are checked against the last
 * RECENT_IDS ids: a replayed or duplicated frame repeats recent ids, and a whole-file set would
 * cost hundreds of MB on a busy day.
 */
import { ParseError } from '../core/errors.ts';
import type { DepthBandRecord, KlineRecord, MarketEvent, Side, TickerFields, Venue } from '../core/events.ts';
import type { EventSink } from '../core/format.ts';
import { checkSymbol } from '../core/symbol.ts';

const RECENT_IDS = 4096;
/** Symbols already checked, so a row costs one Set lookup; cleared past this many. */
const CHECKED_SYMBOLS = 4096;

class SeriesState {
  lastTs = -Infinity;
  lastNumericId = -Infinity;
  readonly recent = new Set<string>();
  readonly ring: string[] = [];
  ringPos = 0;
}

/** Every stored row needs its exchange time: a parser that lost it must not write NULL or NaN. */
function requireTime(ts: number): void {
  if (!Number.isFinite(ts)) throw new ParseError('E_FIELD', 'no exchange time for this row', 'ts', String(ts));
}

export class OrderGuard implements EventSink {
  private readonly series = new Map<string, SeriesState>();
  private lastVenue: Venue | undefined;
  private lastSymbol: string | undefined;
  private last: SeriesState | undefined;

  private readonly goodSymbols = new Set<string>();
  private lastGoodSymbol = '';

  constructor(private readonly inner: EventSink) {}

  private symbol(symbol: string): void {
    if (symbol === this.lastGoodSymbol) return;
    if (!this.goodSymbols.has(symbol)) {
      checkSymbol(symbol);
      if (this.goodSymbols.size >= CHECKED_SYMBOLS) this.goodSymbols.clear();
      this.goodSymbols.add(symbol);
    }
    this.lastGoodSymbol = symbol;
  }

  private state(venue: Venue, symbol: string): SeriesState {
    if (venue === this.lastVenue && symbol === this.lastSymbol) return this.last!;
    const key = `${venue}\u0000${symbol}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new SeriesState()));
    this.lastVenue = venue;
    this.lastSymbol = symbol;
    this.last = s;
    return s;
  }

  trade(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void {
    requireTime(ts);
    this.symbol(symbol);
    const s = this.state(venue, symbol);
    if (ts < s.lastTs) {
      throw new ParseError('E_TIME_BACKWARDS', `trade time goes backwards (previous ${new Date(s.lastTs).toISOString()})`, 'timestamp', new Date(ts).toISOString());
    }
    const n = +id;
    if (n === n && id.length > 0) {
      if (n <= s.lastNumericId) {
        throw new ParseError('E_DUPLICATE_ID', n === s.lastNumericId ? 'duplicate trade id' : `trade id goes backwards (previous ${s.lastNumericId})`, 'id', id);
      }
      s.lastNumericId = n;
    } else if (id.length > 0) {
      if (s.recent.has(id)) throw new ParseError('E_DUPLICATE_ID', 'duplicate trade id', 'id', id);
      if (s.ring.length < RECENT_IDS) s.ring.push(id);
      else {
        s.recent.delete(s.ring[s.ringPos]);
        s.ring[s.ringPos] = id;
        s.ringPos = (s.ringPos + 1) % RECENT_IDS;
      }
      s.recent.add(id);
    }
    s.lastTs = ts;
    this.inner.trade(venue, symbol, ts, localTs, price, qty, side, id);
  }

  liquidation(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void {
    requireTime(ts);
    this.symbol(symbol);
    this.inner.liquidation(venue, symbol, ts, localTs, price, qty, side, id);
  }

  bookLevel(venue: Venue, symbol: string, ts: number, localTs: number, msg: number, isSnapshot: boolean, side: Side, price: number, qty: number, seq: number): void {
    requireTime(ts);
    this.symbol(symbol);
    this.inner.bookLevel(venue, symbol, ts, localTs, msg, isSnapshot, side, price, qty, seq);
  }

  ticker(venue: Venue, symbol: string, ts: number, localTs: number, fields: Readonly<TickerFields>): void {
    requireTime(ts);
    this.symbol(symbol);
    this.inner.ticker(venue, symbol, ts, localTs, fields);
  }

  kline(record: KlineRecord): void {
    requireTime(record.openTime);
    this.symbol(record.symbol);
    this.inner.kline(record);
  }

  depthBand(record: DepthBandRecord): void {
    requireTime(record.ts);
    this.symbol(record.symbol);
    this.inner.depthBand(record);
  }

  event(ev: MarketEvent): void {
    if (ev.type === 'trade') this.trade(ev.venue, ev.symbol, ev.ts, ev.localTs, ev.price, ev.qty, ev.side, ev.id);
    else {
      this.symbol(ev.symbol);
      this.inner.event(ev);
    }
  }
}
