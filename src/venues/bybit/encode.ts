/**
 * Normalized events -> Bybit v5 public frames: the inverse of parse.ts, used by the loopback
 * server (mock-server.ts) so that any event source (a capture, the simulator, a test) can be
 * spoken to a client in Bybit's own protocol. encode then parse gives the event back (tested);
 * prices and sizes are written as plain decimal strings, as Bybit writes them.
 *
 * Shapes and key order are copied from real frames (in test/fixtures/bybit/):
 *   publicTrade     publicTrade-2026-08-09-head20.jsonl:1
 *   orderbook       orderbook200-2026-08-09-head4.jsonl:1 (snapshot), :2 (delta)
 *   tickers         tickers-2026-08-09-head12.jsonl:1 (snapshot), :2 (delta)
 *   allLiquidation  tardisnode-bybit-v5-ws-samples.jsonl:15
 */
import type { BookEvent, BookLevel, LiquidationEvent, TickerEvent, TradeEvent } from '../../core/events.ts';
import { fromBaseQty, unscale } from '../../core/instruments.ts';
import type { Contract } from '../json-fields.ts';
import type { BybitAllLiquidation, BybitFrame, BybitOrderBook, BybitTicker, BybitTrade } from './wire.ts';

/** A finite number as a plain decimal string, never exponent notation: 1e-7 -> "0.0000001". Exact: it parses back to the same double. */
export function decimalText(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s[0] === '-' ? '-' : '';
  const mantissa = s.slice(sign.length, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Base units -> the venue's size unit (the inverse of core/instruments `toBaseQty`). */
export function toVenueSize(contract: Contract, qty: number, price: number): number {
  return fromBaseQty(contract, qty, price);
}

/** Tick direction of a print against the previous one (`L`): Bybit's four values. */
export function tickDirection(price: number, previous: number | undefined, previousDirection: string | undefined): string {
  if (previous === undefined || price > previous) return 'PlusTick';
  if (price < previous) return 'MinusTick';
  return previousDirection === 'MinusTick' || previousDirection === 'ZeroMinusTick' ? 'ZeroMinusTick' : 'ZeroPlusTick';
}

/** One `publicTrade` item. `S` is the taker side, so the event's side as is. */
export function encodeTrade(e: TradeEvent, contract: Contract, extra: { readonly tickDirection: string; readonly seq: number }): BybitTrade {
  return {
    T: e.ts,
    s: e.symbol,
    S: e.side === 'buy' ? 'Buy' : 'Sell',
    v: decimalText(toVenueSize(contract, e.qty, e.price)),
    p: decimalText(e.price),
    L: extra.tickDirection,
    i: e.id,
    BT: false,
    RPI: false,
    seq: extra.seq,
  };
}

/** `publicTrade.{symbol}` frame (always `snapshot`). */
export function tradeFrame(symbol: string, ts: number, data: readonly BybitTrade[]): BybitFrame<readonly BybitTrade[]> {
  return { topic: `publicTrade.${symbol}`, type: 'snapshot', ts, data };
}

/** One `allLiquidation` item. `S` is the POSITION side: a forced SELL closed a long, so `Buy`. */
export function encodeLiquidation(e: LiquidationEvent, contract: Contract): BybitAllLiquidation {
  return {
    T: e.ts,
    s: e.symbol,
    S: e.side === 'sell' ? 'Buy' : 'Sell',
    v: decimalText(toVenueSize(contract, e.qty, e.price)),
    p: decimalText(e.price),
  };
}

/** `allLiquidation.{symbol}` frame (always `snapshot`). */
export function liquidationFrame(symbol: string, ts: number, data: readonly BybitAllLiquidation[]): BybitFrame<readonly BybitAllLiquidation[]> {
  return { topic: `allLiquidation.${symbol}`, type: 'snapshot', ts, data };
}

/** Levels as `[price, size]` strings; qty 0 -> "0" (delete). */
export function encodeLevels(levels: readonly BookLevel[], contract: Contract): [string, string][] {
  return levels.map(([p, q]) => [decimalText(p), q === 0 ? '0' : decimalText(toVenueSize(contract, q, p))]);
}

/**
 * `orderbook.{depth}.{symbol}` frame: `u` = the event's `seq`, `seq` = the cross sequence given;
 * `ts` (system time of the frame) = the event's `ts`, `cts` (matching-engine time of the book
 * state) = `cts`, by default the same.
 */
export function encodeBook(e: BookEvent, depth: number, contract: Contract, crossSeq: number, cts = e.ts): BybitFrame<BybitOrderBook> {
  return {
    topic: `orderbook.${depth}.${e.symbol}`,
    type: e.isSnapshot ? 'snapshot' : 'delta',
    ts: e.ts,
    data: { s: e.symbol, b: encodeLevels(e.bids, contract), a: encodeLevels(e.asks, contract), u: e.seq, seq: crossSeq },
    cts,
  };
}

/** The ticker fields we map, as Bybit names them (a `tickers` data object without the 24h statistics). */
export type BybitTickerData = { -readonly [K in keyof BybitTicker]: BybitTicker[K] };

/**
 * The ticker fields an event gives (NaN = not given, left out, as in a delta). Open interest is
 * written both ways Bybit does: `singleOpenInterest` (one side, what parse.ts reads) and
 * `openInterest` = both sides = twice it (docs/normalization/bybit.md, [oi]).
 */
export function encodeTickerData(e: TickerEvent, contract: Contract): BybitTickerData {
  const d: BybitTickerData = { symbol: e.symbol };
  const put = (k: keyof BybitTickerData, v: number) => {
    if (!Number.isNaN(v)) (d as Record<string, string>)[k] = decimalText(v);
  };
  const inverse = contract.contractType === 'inverse';
  // Inverse: open interest counts USD contracts and its value is base coin (parse.ts swaps them back).
  const singleOi = inverse ? unscale(e.openInterestValue, contract.contractValue) : toVenueSize(contract, e.openInterest, NaN);
  const singleOiv = inverse ? e.openInterest : e.openInterestValue;
  put('lastPrice', e.lastPrice);
  put('markPrice', e.markPrice);
  put('indexPrice', e.indexPrice);
  put('openInterest', singleOi * 2);
  put('openInterestValue', singleOiv * 2);
  put('singleOpenInterest', singleOi);
  put('singleOpenInterestValue', singleOiv);
  put('nextFundingTime', e.nextFundingTs);
  put('fundingRate', e.fundingRate);
  put('bid1Price', e.bestBid);
  put('bid1Size', toVenueSize(contract, e.bestBidQty, e.bestBid));
  put('ask1Price', e.bestAsk);
  put('ask1Size', toVenueSize(contract, e.bestAskQty, e.bestAsk));
  return d;
}

/** `tickers.{symbol}` frame; `cs` = cross sequence. Key order as the capture: topic, type, data, cs, ts. */
export function tickerFrame(type: 'snapshot' | 'delta', data: BybitTicker, cs: number, ts: number): BybitFrame<BybitTicker> {
  return { topic: `tickers.${data.symbol}`, type, data, cs, ts };
}
