/**
 * Normalized events -> the WebSocket frames each venue would have sent, as `orderflow record
 * --raw` keeps them: the simulator's output goes through the same parsers and importer as a real
 * capture. Payloads come from the venues' own encoders (src/venues/<venue>/encode.ts, the ones the
 * loopback servers speak); this file owns only what a stream adds around them: sequencing (book
 * update ids, checksums, cross sequences), trade ids the store accepts, and which channel carries
 * which ticker field.
 *
 * What a venue's capture cannot carry is counted in `unwritten` (`binance.lastPrice`), never
 * written in a shape the importer would refuse: see docs/SIMULATOR.md "Output (`--out`)".
 */
import type { BookEvent, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent, Venue } from '../core/events.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import {
  combinedFrame,
  encodeAggTrade,
  encodeBookTicker,
  encodeDepthSnapshot,
  encodeDepthUpdate,
  encodeForceOrder,
  encodeMarkPrice,
  encodeOpenInterest,
} from '../venues/binance/encode.ts';
import { OPEN_INTEREST_STREAM } from '../venues/binance/parse.ts';
import {
  encodeBook,
  encodeLiquidation,
  encodeTickerData,
  encodeTrade,
  liquidationFrame,
  tickDirection,
  tickerFrame,
  tradeFrame,
} from '../venues/bybit/encode.ts';
import type { Contract } from '../venues/json-fields.ts';
import { WireBook } from '../venues/okx/book-sync.ts';
import { OkxEncoder, okxLevel4, okxMs } from '../venues/okx/encode.ts';

/** Receives each frame's JSON text, in stream order. */
export type FrameSink = (json: string) => void;

/** One venue's frame encoder: stateful (sequences), one per venue and capture. */
export interface VenueFrames {
  readonly venue: Venue;
  /** The frames `ev` becomes (none when its venue could not have printed any of it). */
  frames(ev: MarketEvent, out: FrameSink): void;
}

/** Ticker fields (and other parts of events) a venue's capture has no frame for, counted as `<venue>.<field>`. */
export class Unwritten {
  readonly counts = new Map<string, number>();
  add(venue: Venue, field: string): void {
    const key = `${venue}.${field}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

export interface FrameOptions {
  readonly instruments: Pick<InstrumentRegistry, 'get'>;
  readonly unwritten: Unwritten;
  /** OKX funding interval (for `nextFundingTime`). Default 8 h. */
  readonly okxFundingIntervalMs?: number;
  /** Bybit `orderbook.{depth}` topic depth. Default 200. */
  readonly bybitBookDepth?: number;
}

export function venueFrames(venue: Venue, o: FrameOptions): VenueFrames {
  switch (venue) {
    case 'binance':
      return new BinanceFrames(o);
    case 'okx':
      return new OkxFrames(o);
    case 'bybit':
      return new BybitFrames(o);
    default:
      throw new RangeError(`the simulator writes captures of binance, okx and bybit, not ${venue}`);
  }
}

/**
 * The next id of a strictly increasing sequence: the event's own when it is an integer after the
 * last one, else the last + 1. The store refuses numeric trade ids that do not increase, and
 * the venues' book ids only go up.
 */
export function nextId(last: number, own: number): number {
  return Number.isSafeInteger(own) && own > last ? own : last + 1;
}

/** A numeric id text (`"123"`) as a number, NaN otherwise. */
function numericId(id: string): number {
  return /^\d{1,15}$/.test(id) ? Number(id) : NaN;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Exchange time as the wire's whole milliseconds. */
function wholeMs(ts: number): number {
  return Math.round(ts);
}

function contractOf(o: FrameOptions, venue: Venue, symbol: string): Contract {
  const inst = o.instruments.get(venue, symbol);
  if (!inst) throw new RangeError(`no ${venue} instrument ${symbol}: its contract value is needed to write sizes in the venue's units`);
  return inst;
}

/** Per-symbol state, created on first sight. */
function stateOf<T>(map: Map<string, T>, symbol: string, create: () => T): T {
  let s = map.get(symbol);
  if (s === undefined) map.set(symbol, (s = create()));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Binance: combined-stream frames `{"stream":"btcusdt@...","data":...}`

interface BinanceSymbol {
  readonly stream: string;
  lastTradeId: number;
  /** Last book update id `u` (0 before the first book). */
  lastU: number;
}

/**
 * Binance USD-M: `@aggTrade`, `@forceOrder`, `@depth@100ms` diffs (U = previous u + 1, pu =
 * previous u) after a `@depthSnapshot` frame (the REST `GET /fapi/v1/depth` body, as the recorder
 * keeps it), `@markPrice@1s` (mark, index, funding), `@bookTicker` (best bid/ask) and
 * `@openInterest` (the REST `GET /fapi/v1/openInterest` body, as the recorder keeps the live
 * connector's polls). Last price and open-interest value have neither a stream nor a poll.
 */
class BinanceFrames implements VenueFrames {
  readonly venue = 'binance' as const;
  private readonly symbols = new Map<string, BinanceSymbol>();

  constructor(private readonly o: FrameOptions) {}

  private state(symbol: string): BinanceSymbol {
    return stateOf(this.symbols, symbol, () => ({ stream: symbol.toLowerCase(), lastTradeId: 0, lastU: 0 }));
  }

  frames(ev: MarketEvent, out: FrameSink): void {
    const s = this.state(ev.symbol);
    switch (ev.type) {
      case 'trade': {
        const a = nextId(s.lastTradeId, numericId(ev.id));
        s.lastTradeId = a;
        out(combinedFrame(`${s.stream}@aggTrade`, encodeAggTrade(ev, { a, f: a, l: a })));
        return;
      }
      case 'liquidation':
        out(combinedFrame(`${s.stream}@forceOrder`, encodeForceOrder(ev)));
        return;
      case 'book': {
        const prev = s.lastU;
        const u = nextId(prev, ev.seq);
        s.lastU = u;
        if (ev.isSnapshot) out(combinedFrame(`${s.stream}@depthSnapshot`, encodeDepthSnapshot({ ts: ev.ts, seq: u, bids: ev.bids, asks: ev.asks })));
        else out(combinedFrame(`${s.stream}@depth@100ms`, encodeDepthUpdate(ev, { U: prev + 1, u, pu: prev })));
        return;
      }
      case 'ticker':
        this.ticker(ev, s, out);
    }
  }

  private ticker(ev: TickerEvent, s: BinanceSymbol, out: FrameSink): void {
    const u = this.o.unwritten;
    // `@markPrice` carries index and funding only beside a mark, and funding only as rate + time.
    const hasMark = Number.isFinite(ev.markPrice);
    if (hasMark) out(combinedFrame(`${s.stream}@markPrice@1s`, encodeMarkPrice(ev)));
    else if (!Number.isNaN(ev.indexPrice)) u.add('binance', 'indexPrice');
    const rate = !Number.isNaN(ev.fundingRate);
    if (rate && (!hasMark || Number.isNaN(ev.nextFundingTs))) u.add('binance', 'fundingRate');
    const top = [ev.bestBid, ev.bestBidQty, ev.bestAsk, ev.bestAskQty];
    if (top.every(Number.isFinite)) out(combinedFrame(`${s.stream}@bookTicker`, encodeBookTicker(ev, s.lastU)));
    else if (top.some((x) => !Number.isNaN(x))) u.add('binance', 'bestBidAsk');
    if (!Number.isNaN(ev.openInterest)) out(combinedFrame(`${s.stream}${OPEN_INTEREST_STREAM}`, encodeOpenInterest(ev.symbol, ev.openInterest, ev.ts)));
    if (!Number.isNaN(ev.openInterestValue)) u.add('binance', 'openInterestValue');
    if (!Number.isNaN(ev.lastPrice)) u.add('binance', 'lastPrice');
    countRatios('binance', ev, u);
  }
}

/** The Binance `metrics` archive's ratios: no venue streams them. */
function countRatios(venue: Venue, ev: TickerEvent, u: Unwritten): void {
  if (!Number.isNaN(ev.longShortRatio)) u.add(venue, 'longShortRatio');
  if (!Number.isNaN(ev.topTraderAccountRatio)) u.add(venue, 'topTraderAccountRatio');
  if (!Number.isNaN(ev.topTraderPositionRatio)) u.add(venue, 'topTraderPositionRatio');
  if (!Number.isNaN(ev.takerBuySellRatio)) u.add(venue, 'takerBuySellRatio');
}

// ---------------------------------------------------------------------------------------------
// OKX v5: `{"arg":{...},"data":[...]}` pushes

interface OkxSymbol {
  readonly instType: string;
  readonly book: WireBook;
  lastTradeId: number;
  seqId: number;
  /** Last mark and trade prices: an inverse contract's open interest is converted at the mark (else the last trade). */
  lastMark: number;
  lastTrade: number;
}

/**
 * OKX: `trades`, `liquidation-orders` (per instType), `books` (a `snapshot` with prevSeqId -1,
 * then `update`s chained by prevSeqId = the previous seqId, each with the CRC32 checksum of the
 * best 25 levels after it), `mark-price`, `funding-rate`, `open-interest` (oiCcy = base units)
 * and `tickers` (last price, best bid/ask). The index price is published under the index's id
 * (`index-tickers`, `BTC-USDT`), another market: not written; nor the open-interest value.
 */
class OkxFrames implements VenueFrames {
  readonly venue = 'okx' as const;
  private readonly enc: OkxEncoder;
  private readonly symbols = new Map<string, OkxSymbol>();
  private readonly fundingIntervalMs: number;

  constructor(private readonly o: FrameOptions) {
    this.enc = new OkxEncoder(o.instruments);
    this.fundingIntervalMs = o.okxFundingIntervalMs ?? 8 * 3_600_000;
  }

  private state(instId: string): OkxSymbol {
    return stateOf(this.symbols, instId, () => {
      const kind = this.o.instruments.get('okx', instId)?.kind;
      return { instType: kind === 'future' ? 'FUTURES' : 'SWAP', book: new WireBook(), lastTradeId: 0, seqId: 0, lastMark: NaN, lastTrade: NaN };
    });
  }

  frames(ev: MarketEvent, out: FrameSink): void {
    const s = this.state(ev.symbol);
    switch (ev.type) {
      case 'trade':
        this.trade(ev, s, out);
        return;
      case 'liquidation':
        out(JSON.stringify({ arg: { channel: 'liquidation-orders', instType: s.instType }, data: [this.enc.liquidation(ev, s.instType)] }));
        return;
      case 'book':
        this.book(ev, s, out);
        return;
      case 'ticker':
        this.ticker(ev, s, out);
    }
  }

  private trade(ev: TradeEvent, s: OkxSymbol, out: FrameSink): void {
    const id = nextId(s.lastTradeId, numericId(ev.id));
    s.lastTradeId = id;
    s.lastTrade = ev.price;
    out(JSON.stringify({ arg: { channel: 'trades', instId: ev.symbol }, data: [this.enc.trade(ev, String(id))] }));
  }

  private book(ev: BookEvent, s: OkxSymbol, out: FrameSink): void {
    const bids = this.enc.levels(ev.symbol, ev.bids);
    const asks = this.enc.levels(ev.symbol, ev.asks);
    if (ev.isSnapshot) s.book.clear();
    s.book.apply(bids, asks);
    const prev = s.seqId;
    s.seqId = nextId(prev, ev.seq);
    const item = {
      asks: asks.map(okxLevel4),
      bids: bids.map(okxLevel4),
      ts: okxMs(ev.ts),
      checksum: s.book.checksum(),
      prevSeqId: ev.isSnapshot ? -1 : prev,
      seqId: s.seqId,
    };
    out(JSON.stringify({ arg: { channel: 'books', instId: ev.symbol }, action: ev.isSnapshot ? 'snapshot' : 'update', data: [item] }));
  }

  private ticker(ev: TickerEvent, s: OkxSymbol, out: FrameSink): void {
    const arg = (channel: string) => ({ channel, instId: ev.symbol });
    const u = this.o.unwritten;
    if (!Number.isNaN(ev.markPrice)) {
      s.lastMark = ev.markPrice;
      out(JSON.stringify({ arg: arg('mark-price'), data: [this.enc.markPrice(ev, s.instType)] }));
    }
    if (!Number.isNaN(ev.fundingRate) && !Number.isNaN(ev.nextFundingTs)) {
      out(JSON.stringify({ arg: arg('funding-rate'), data: [this.enc.fundingRate(ev, s.instType, this.fundingIntervalMs)] }));
    } else if (!Number.isNaN(ev.fundingRate) || !Number.isNaN(ev.nextFundingTs)) u.add('okx', 'fundingRate');
    if (!Number.isNaN(ev.openInterest)) out(JSON.stringify({ arg: arg('open-interest'), data: [this.enc.openInterest(ev, s.instType, Number.isFinite(s.lastMark) ? s.lastMark : s.lastTrade)] }));
    if (!Number.isNaN(ev.lastPrice) || !Number.isNaN(ev.bestBid) || !Number.isNaN(ev.bestAsk)) {
      out(JSON.stringify({ arg: arg('tickers'), data: [this.enc.ticker(ev, s.instType)] }));
    }
    if (!Number.isNaN(ev.indexPrice)) u.add('okx', 'indexPrice');
    if (!Number.isNaN(ev.openInterestValue)) u.add('okx', 'openInterestValue');
    countRatios('okx', ev, u);
  }
}

// ---------------------------------------------------------------------------------------------
// Bybit v5: `{"topic":"...","type":"snapshot"|"delta","ts":..,"data":...}`

interface BybitSymbol {
  readonly contract: Contract;
  lastTradeId: number;
  lastPrice: number | undefined;
  lastDirection: string | undefined;
  /** Book update id `u`. */
  u: number;
  /** Cross sequence: every trade and book change moves it (trade `seq`, book `seq`, ticker `cs`). */
  cross: number;
  tickerSeen: boolean;
}

/**
 * Bybit linear: `publicTrade` (UUID ids), `allLiquidation` (`S` = the position side),
 * `orderbook.{depth}` snapshot/delta (a delta's `u` the previous + 1, `seq` the cross sequence, `cts` = the
 * event's time) and `tickers` (the first a snapshot, then deltas carrying the fields given).
 * Every field of a normalized ticker but the `metrics` ratios has a Bybit frame.
 */
class BybitFrames implements VenueFrames {
  readonly venue = 'bybit' as const;
  private readonly symbols = new Map<string, BybitSymbol>();
  private readonly depth: number;

  constructor(private readonly o: FrameOptions) {
    this.depth = o.bybitBookDepth ?? 200;
  }

  private state(symbol: string): BybitSymbol {
    return stateOf(this.symbols, symbol, () => ({
      contract: contractOf(this.o, 'bybit', symbol),
      lastTradeId: 0, lastPrice: undefined, lastDirection: undefined, u: 0, cross: 0, tickerSeen: false,
    }));
  }

  frames(ev: MarketEvent, out: FrameSink): void {
    const s = this.state(ev.symbol);
    const ts = wholeMs(ev.ts);
    switch (ev.type) {
      case 'trade': {
        const direction = tickDirection(ev.price, s.lastPrice, s.lastDirection);
        s.lastPrice = ev.price;
        s.lastDirection = direction;
        s.cross++;
        const item = encodeTrade({ ...ev, ts, id: this.tradeId(ev, s) }, s.contract, { tickDirection: direction, seq: s.cross });
        out(JSON.stringify(tradeFrame(ev.symbol, ts, [item])));
        return;
      }
      case 'liquidation':
        out(JSON.stringify(liquidationFrame(ev.symbol, ts, [encodeLiquidation(liquidation(ev, ts), s.contract)])));
        return;
      case 'book': {
        // A delta's u is the last + 1 (the rule BybitBookSync holds a stream to); a snapshot may start anywhere after.
        s.u = ev.isSnapshot ? nextId(s.u, ev.seq) : s.u + 1;
        s.cross++;
        out(JSON.stringify(encodeBook({ ...ev, ts, seq: s.u }, this.depth, s.contract, s.cross)));
        return;
      }
      case 'ticker': {
        const data = encodeTickerData(ev, s.contract);
        countRatios('bybit', ev, this.o.unwritten);
        if (Object.keys(data).length === 1) return;
        out(JSON.stringify(tickerFrame(s.tickerSeen ? 'delta' : 'snapshot', data, s.cross, ts)));
        s.tickerSeen = true;
      }
    }
  }

  /** The event's id when it is a UUID (what Bybit prints), else one made from a per-symbol counter. */
  private tradeId(ev: TradeEvent, s: BybitSymbol): string {
    if (UUID.test(ev.id)) return ev.id;
    s.lastTradeId++;
    return `00000000-0000-4000-8000-${s.lastTradeId.toString(16).padStart(12, '0')}`;
  }
}

function liquidation(ev: LiquidationEvent, ts: number): LiquidationEvent {
  return ts === ev.ts ? ev : { ...ev, ts };
}
