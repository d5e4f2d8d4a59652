/**
 * Normalized events -> Binance USD-M wire payloads: the inverse of parse.ts, for the loopback
 * server (mock-server.ts) and anything else that must speak Binance (the offline demo, the market
 * simulator). For every event parse.ts can produce from these payloads, parse(encode(e)) == e
 * (test/venues/binance/mock-server.test.ts checks it with fast-check).
 *
 * Key order and field sets are copied from captured frames, cited per function. Decimals are
 * written as plain decimal text (never `1e-7`), times as whole milliseconds, as Binance does.
 */
import type { BookEvent, BookLevel, LiquidationEvent, TickerEvent, TradeEvent } from '../../core/events.ts';
import { LiveError } from '../live/errors.ts';
import type {
  BinanceAggTrade,
  BinanceBookTicker,
  BinanceDepthSnapshot,
  BinanceDepthUpdate,
  BinanceForceOrder,
  BinanceLevel,
  BinanceMarkPriceUpdate,
  BinanceOpenInterest,
  BinanceRestAggTrade,
} from './wire.ts';

/** A finite number as plain decimal text that parses back to exactly the same double. */
export function decimal(x: number, field: string): string {
  if (!Number.isFinite(x)) throw new LiveError('E_ENCODE', field, `not a finite number: ${x}`);
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // String(x) is the shortest text that round-trips; move its decimal point instead of rounding.
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** Epoch ms as the wire's integer (fractional µs sources are rounded to the millisecond). */
export function wireMs(ts: number, field: string): number {
  if (!Number.isFinite(ts)) throw new LiveError('E_ENCODE', field, `not a time: ${ts}`);
  return Math.round(ts);
}

/** An aggregate trade id from a TradeEvent id (digits), or undefined when it is not one. */
export function aggTradeId(ev: TradeEvent): number | undefined {
  if (!/^\d{1,15}$/.test(ev.id)) return undefined;
  return Number(ev.id);
}

function levels(ls: readonly BookLevel[], field: string): BinanceLevel[] {
  return ls.map((l, i) => [decimal(l[0], `${field}[${i}][0]`), decimal(l[1], `${field}[${i}][1]`)]);
}

export interface AggTradeIds {
  /** Aggregate trade id `a`. */
  readonly a: number;
  /** First and last trade ids `f`, `l`. */
  readonly f: number;
  readonly l: number;
}

/**
 * Trade -> `<symbol>@aggTrade` payload. Key order of
 * test/fixtures/binance/binance-um-ws-aggTrade-2021-07-22-head30.jsonl:1
 * (`{"e":"aggTrade","E":..,"a":..,"s":..,"p":..,"q":..,"f":..,"l":..,"T":..,"m":..}`). E = T.
 */
export function encodeAggTrade(ev: TradeEvent, ids: AggTradeIds): BinanceAggTrade {
  const T = wireMs(ev.ts, 'ts');
  return { e: 'aggTrade', E: T, a: ids.a, s: ev.symbol, p: decimal(ev.price, 'price'), q: decimal(ev.qty, 'qty'), f: ids.f, l: ids.l, T, m: ev.side === 'sell' };
}

/** Trade -> REST `GET /fapi/v1/aggTrades` element (Compressed/Aggregate Trades List example order). */
export function encodeRestAggTrade(ev: TradeEvent, ids: AggTradeIds): BinanceRestAggTrade {
  return { a: ids.a, p: decimal(ev.price, 'price'), q: decimal(ev.qty, 'qty'), f: ids.f, l: ids.l, T: wireMs(ev.ts, 'ts'), m: ev.side === 'sell' };
}

/**
 * Liquidation -> `<symbol>@forceOrder` payload. Shape of
 * test/fixtures/binance/tardisnode-binance-futures-ws-samples.jsonl:13. The order is written as one
 * IOC that filled completely at the event's price: p = ap = price, q = l = z = qty, X FILLED.
 * E = T = ts.
 */
export function encodeForceOrder(ev: LiquidationEvent): BinanceForceOrder {
  const T = wireMs(ev.ts, 'ts');
  const price = decimal(ev.price, 'price');
  const qty = decimal(ev.qty, 'qty');
  return {
    e: 'forceOrder',
    E: T,
    o: { s: ev.symbol, S: ev.side === 'sell' ? 'SELL' : 'BUY', o: 'LIMIT', f: 'IOC', q: qty, p: price, ap: price, X: 'FILLED', l: qty, z: qty, T },
  };
}

/**
 * Book diff -> `<symbol>@depth@100ms` payload with the given ids (the caller owns sequencing).
 * Key order of test/fixtures/binance/binance-um-ws-depthUpdate-100ms-2021-07-22-head20.jsonl:1
 * (`e,E,T,s,U,u,pu,b,a`). E = T = ts.
 */
export function encodeDepthUpdate(ev: BookEvent, ids: { readonly U: number; readonly u: number; readonly pu: number }): BinanceDepthUpdate {
  const T = wireMs(ev.ts, 'ts');
  return { e: 'depthUpdate', E: T, T, s: ev.symbol, U: ids.U, u: ids.u, pu: ids.pu, b: levels(ev.bids, 'bids'), a: levels(ev.asks, 'asks') };
}

/**
 * A book -> REST `GET /fapi/v1/depth` body. Key order of
 * test/fixtures/binance/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head60.txt:55
 * (`{"lastUpdateId":..,"E":..,"T":..,"bids":[..],"asks":[..]}`), bids best (highest) first, asks
 * best (lowest) first.
 */
export function encodeDepthSnapshot(book: { readonly ts: number; readonly seq: number; readonly bids: readonly BookLevel[]; readonly asks: readonly BookLevel[] }, eventTime = book.ts): BinanceDepthSnapshot {
  if (!Number.isSafeInteger(book.seq)) throw new LiveError('E_ENCODE', 'seq', `lastUpdateId must be an integer, got ${book.seq}`);
  return { lastUpdateId: book.seq, E: wireMs(eventTime, 'E'), T: wireMs(book.ts, 'ts'), bids: levels(book.bids, 'bids'), asks: levels(book.asks, 'asks') };
}

/**
 * Ticker with a mark price -> `<symbol>@markPrice@1s` payload. Key order of
 * test/fixtures/binance/tardisnode-binance-futures-ws-samples.jsonl:10 (`e,E,s,p,i,r,T`; `P`, the
 * estimated settle price, is left out as there). No funding (NaN) is written as a delivery
 * contract does: `r` "" and `T` 0 (parse.ts reads both as none). No index: `i` left out.
 */
export function encodeMarkPrice(ev: TickerEvent): BinanceMarkPriceUpdate {
  const hasFunding = Number.isFinite(ev.fundingRate) && Number.isFinite(ev.nextFundingTs);
  const e = 'markPriceUpdate' as const;
  const E = wireMs(ev.ts, 'ts');
  const s = ev.symbol;
  const p = decimal(ev.markPrice, 'markPrice');
  const r = hasFunding ? decimal(ev.fundingRate, 'fundingRate') : '';
  const T = hasFunding ? wireMs(ev.nextFundingTs, 'nextFundingTs') : 0;
  return Number.isFinite(ev.indexPrice) ? { e, E, s, p, i: decimal(ev.indexPrice, 'indexPrice'), r, T } : { e, E, s, p, r, T };
}

/**
 * Ticker with best bid and ask -> `<symbol>@bookTicker` payload, `u` the book update id. Key
 * order of test/fixtures/binance/tardisnode-binance-futures-ws-samples.jsonl:15. E = T = ts.
 */
export function encodeBookTicker(ev: TickerEvent, u: number): BinanceBookTicker {
  const T = wireMs(ev.ts, 'ts');
  return { e: 'bookTicker', u, s: ev.symbol, b: decimal(ev.bestBid, 'bestBid'), B: decimal(ev.bestBidQty, 'bestBidQty'), a: decimal(ev.bestAsk, 'bestAsk'), A: decimal(ev.bestAskQty, 'bestAskQty'), T, E: T };
}

/** Open interest -> REST `GET /fapi/v1/openInterest` body (Open Interest doc example order). */
export function encodeOpenInterest(symbol: string, openInterest: number, time: number): BinanceOpenInterest {
  return { openInterest: decimal(openInterest, 'openInterest'), symbol, time: wireMs(time, 'time') };
}

/** A combined-stream frame: `{"stream":"<name>","data":<payload>}`. */
export function combinedFrame(stream: string, data: unknown): string {
  return `{"stream":${JSON.stringify(stream)},"data":${JSON.stringify(data)}}`;
}
