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
import type { BookEvent, BookLevel, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent, Venue } from '../core/events.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import {
  combinedFrame,
  decimal,
  encodeBookTicker,
  encodeDepthSnapshot,
  encodeForceOrder,
  encodeMarkPrice,
  encodeOpenInterest,
} from '../venues/binance/encode.ts';
import { OPEN_INTEREST_STREAM } from '../venues/binance/parse.ts';
import {
  decimalText,
  encodeLiquidation,
  encodeTickerData,
  liquidationFrame,
  tickDirection,
  tickerFrame,
  toVenueSize,
} from '../venues/bybit/encode.ts';
import type { Contract } from '../venues/json-fields.ts';
import { WireBook } from '../venues/okx/book-sync.ts';
import type { WireLevel } from '../venues/okx/checksum.ts';
import { OkxEncoder, okxDecimal, okxMs } from '../venues/okx/encode.ts';

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
  /** The symbol and the hot streams' names as JSON strings (quoted once, not per frame). */
  readonly symbolJson: string;
  readonly aggTradeJson: string;
  readonly depthJson: string;
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
    return stateOf(this.symbols, symbol, () => {
      const stream = symbol.toLowerCase();
      return { stream, symbolJson: JSON.stringify(symbol), aggTradeJson: JSON.stringify(`${stream}@aggTrade`), depthJson: JSON.stringify(`${stream}@depth@100ms`), lastTradeId: 0, lastU: 0 };
    });
  }

  frames(ev: MarketEvent, out: FrameSink): void {
    const s = this.state(ev.symbol);
    switch (ev.type) {
      case 'trade': {
        const a = nextId(s.lastTradeId, numericId(ev.id));
        s.lastTradeId = a;
        out(aggTradeText(ev, a, s));
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
        else out(depthUpdateText(ev, prev + 1, u, prev, s));
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

/*
 * The frames of nearly every event (trades and book diffs) written as text directly: through
 * JSON.stringify of the encoders' payload objects they were most of `--out`'s cost. The same
 * bytes, key order for key order (test/sim/capture-frames.test.ts compares them with
 * JSON.stringify of the venue encoders' payloads); the values are the encoders' own decimal text
 * (digits, point, sign: nothing to escape), symbols and stream names are quoted once per symbol.
 */

/** `combinedFrame(<stream>@aggTrade, encodeAggTrade(ev, {a, f: a, l: a}))`. */
function aggTradeText(ev: TradeEvent, a: number, s: BinanceSymbol): string {
  const T = wholeMs(ev.ts);
  return `{"stream":${s.aggTradeJson},"data":{"e":"aggTrade","E":${T},"a":${a},"s":${s.symbolJson},"p":"${decimal(ev.price, 'price')}","q":"${decimal(ev.qty, 'qty')}","f":${a},"l":${a},"T":${T},"m":${ev.side === 'sell'}}}`;
}

/** `combinedFrame(<stream>@depth@100ms, encodeDepthUpdate(ev, {U, u, pu}))`. */
function depthUpdateText(ev: BookEvent, U: number, u: number, pu: number, s: BinanceSymbol): string {
  const T = wholeMs(ev.ts);
  return `{"stream":${s.depthJson},"data":{"e":"depthUpdate","E":${T},"T":${T},"s":${s.symbolJson},"U":${U},"u":${u},"pu":${pu},"b":${binanceLevelsText(ev.bids, 'bids')},"a":${binanceLevelsText(ev.asks, 'asks')}}}`;
}

function binanceLevelsText(levels: readonly BookLevel[], field: string): string {
  let t = '[';
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    t += `${i === 0 ? '' : ','}["${levelDecimal(l[0], field, i, 0)}","${levelDecimal(l[1], field, i, 1)}"]`;
  }
  return `${t}]`;
}

/** decimal() of a level's price or size, its field path (`bids[3][0]`) built only for the error. */
function levelDecimal(x: number, field: string, i: number, k: number): string {
  return decimal(x, Number.isFinite(x) ? field : `${field}[${i}][${k}]`);
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
  /** `"<instId>"`, quoted once. */
  readonly instIdJson: string;
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
      return { instType: kind === 'future' ? 'FUTURES' : 'SWAP', instIdJson: JSON.stringify(instId), book: new WireBook(), lastTradeId: 0, seqId: 0, lastMark: NaN, lastTrade: NaN };
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
    // JSON.stringify({ arg: { channel: 'trades', instId }, data: [this.enc.trade(ev, String(id))] }), written out.
    const j = s.instIdJson;
    out(`{"arg":{"channel":"trades","instId":${j}},"data":[{"instId":${j},"tradeId":"${id}","px":"${okxDecimal(ev.price)}","sz":"${this.enc.size(ev.symbol, ev.qty, ev.price)}","side":"${ev.side}","ts":"${okxMs(ev.ts)}","count":"1","source":"0"}]}`);
  }

  private book(ev: BookEvent, s: OkxSymbol, out: FrameSink): void {
    const bids = this.enc.levels(ev.symbol, ev.bids);
    const asks = this.enc.levels(ev.symbol, ev.asks);
    if (ev.isSnapshot) s.book.clear();
    // s.book.apply(bids, asks) without parsing the text back: the event's price is the number
    // its text stands for (okxDecimal round-trips), and only a zero size is written "0".
    for (let i = 0; i < bids.length; i++) s.book.bids.setParsed(ev.bids[i][0], ev.bids[i][1] === 0 ? 0 : 1, bids[i][0], bids[i][1]);
    for (let i = 0; i < asks.length; i++) s.book.asks.setParsed(ev.asks[i][0], ev.asks[i][1] === 0 ? 0 : 1, asks[i][0], asks[i][1]);
    const prev = s.seqId;
    s.seqId = nextId(prev, ev.seq);
    // JSON.stringify({ arg: { channel: 'books', instId }, action, data: [{ asks: asks.map(okxLevel4),
    // bids: bids.map(okxLevel4), ts, checksum, prevSeqId, seqId }] }), written out.
    const head = `{"arg":{"channel":"books","instId":${s.instIdJson}},"action":"${ev.isSnapshot ? 'snapshot' : 'update'}"`;
    out(`${head},"data":[{"asks":${okxLevelsText(asks)},"bids":${okxLevelsText(bids)},"ts":"${okxMs(ev.ts)}","checksum":${s.book.checksum()},"prevSeqId":${ev.isSnapshot ? -1 : prev},"seqId":${s.seqId}}]}`);
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

/** Wire levels as `books` sends them, okxLevel4's `[px, sz, "0", numOrders]`, as JSON text. */
function okxLevelsText(levels: readonly WireLevel[]): string {
  let t = '[';
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    t += `${i === 0 ? '' : ','}["${l[0]}","${l[1]}","0","${l[1] === '0' ? '0' : '1'}"]`;
  }
  return `${t}]`;
}

// ---------------------------------------------------------------------------------------------
// Bybit v5: `{"topic":"...","type":"snapshot"|"delta","ts":..,"data":...}`

interface BybitSymbol {
  readonly contract: Contract;
  /** The symbol, and the trade and book topics, as JSON strings (quoted once). */
  readonly symbolJson: string;
  readonly tradeTopicJson: string;
  readonly bookTopicJson: string;
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
      symbolJson: JSON.stringify(symbol),
      tradeTopicJson: JSON.stringify(`publicTrade.${symbol}`),
      bookTopicJson: JSON.stringify(`orderbook.${this.depth}.${symbol}`),
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
        // JSON.stringify(tradeFrame(symbol, ts, [encodeTrade({ ...ev, ts, id }, contract, { tickDirection, seq })])), written out.
        const item = `{"T":${ts},"s":${s.symbolJson},"S":"${ev.side === 'buy' ? 'Buy' : 'Sell'}","v":"${decimalText(toVenueSize(s.contract, ev.qty, ev.price))}","p":"${decimalText(ev.price)}","L":"${direction}","i":"${this.tradeId(ev, s)}","BT":false,"RPI":false,"seq":${s.cross}}`;
        out(`{"topic":${s.tradeTopicJson},"type":"snapshot","ts":${ts},"data":[${item}]}`);
        return;
      }
      case 'liquidation':
        out(JSON.stringify(liquidationFrame(ev.symbol, ts, [encodeLiquidation(liquidation(ev, ts), s.contract)])));
        return;
      case 'book': {
        // A delta's u is the last + 1 (the rule BybitBookSync holds a stream to); a snapshot may start anywhere after.
        s.u = ev.isSnapshot ? nextId(s.u, ev.seq) : s.u + 1;
        s.cross++;
        // JSON.stringify(encodeBook({ ...ev, ts, seq: u }, depth, contract, cross)), written out.
        const data = `{"s":${s.symbolJson},"b":${bybitLevelsText(ev.bids, s.contract)},"a":${bybitLevelsText(ev.asks, s.contract)},"u":${s.u},"seq":${s.cross}}`;
        out(`{"topic":${s.bookTopicJson},"type":"${ev.isSnapshot ? 'snapshot' : 'delta'}","ts":${ts},"data":${data},"cts":${ts}}`);
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

/** encodeLevels' `[price, size]` strings (qty 0 -> "0") as JSON text. */
function bybitLevelsText(levels: readonly BookLevel[], contract: Contract): string {
  let t = '[';
  for (let i = 0; i < levels.length; i++) {
    const [p, q] = levels[i];
    t += `${i === 0 ? '' : ','}["${decimalText(p)}","${q === 0 ? '0' : decimalText(toVenueSize(contract, q, p))}"]`;
  }
  return `${t}]`;
}

function liquidation(ev: LiquidationEvent, ts: number): LiquidationEvent {
  return ts === ev.ts ? ev : { ...ev, ts };
}
