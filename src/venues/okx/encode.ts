/**
 * Normalized events -> OKX v5 wire items: the inverse of parse.ts, used by mock-server.ts so
 * any event source (fixtures, the simulator, another venue's capture) can speak OKX. Base units
 * go back to contracts with the instrument's contract value; numbers become decimal strings.
 * `parse(encode(e))` gives `e` back bit for bit for events whose sizes are venue decimals of
 * contracts (core/instruments `fromBaseQty` is the exact inverse of `toBaseQty`; tested). Shapes, with the capture lines they copy, are on each
 * function; wire types are in wire.ts.
 */
import type { BookEvent, LiquidationEvent, TickerEvent, TradeEvent } from '../../core/events.ts';
import { fromBaseQty, type InstrumentRegistry } from '../../core/instruments.ts';
import type { Contract } from '../json-fields.ts';
import type { WireLevel } from './checksum.ts';
import { OkxUnits } from './parse.ts';
import type { OkxFundingRate, OkxLiquidationOrders, OkxMarkPrice, OkxOpenInterest, OkxTicker, OkxTrade } from './wire.ts';

/**
 * A decimal string without exponent, as OKX writes numbers. `significant` rounds away the float
 * noise of unit conversion (727 contracts x 0.01 / 0.01 = 726.9999999999999).
 */
export function okxDecimal(x: number, significant?: number): string {
  if (!Number.isFinite(x)) throw new Error(`cannot write ${x} as an OKX decimal`);
  let s = String(x);
  // A number whose shortest text has at most `significant` (<= 15) digits is its own rounding to
  // that many (a double's half-ulp is below half a unit of the 15th digit): toPrecision, the
  // slow part of writing a size, is needed only for the others.
  if (significant !== undefined && !(significant <= 15 && significantDigits(s) <= significant)) s = String(Number(x.toPrecision(significant)));
  const e = s.indexOf('e');
  if (e < 0) return s;
  // 1e-7 -> 0.0000001, 1.5e+21 -> 1500000000000000000000
  const mantissa = s.slice(0, e);
  const exp = Number(s.slice(e + 1));
  const neg = mantissa.startsWith('-');
  const digits = (neg ? mantissa.slice(1) : mantissa).replace('.', '');
  const point = (neg ? mantissa.slice(1) : mantissa).indexOf('.');
  const intLen = (point < 0 ? digits.length : point) + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}

/** Significant digits of a number's text without exponent (Infinity with one: it takes the slow path). */
function significantDigits(s: string): number {
  let digits = 0;
  let leading = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 101 /* e */) return Infinity;
    if (c < 48 || c > 57) continue; // sign, point
    if (leading && c === 48) continue;
    leading = false;
    digits++;
  }
  return digits;
}

/**
 * Contracts (or base for spot) are written to 15 significant digits, as many as a venue decimal
 * has: a size converted exactly (`fromBaseQty`) is unchanged by it, so parse(encode(e)) gives
 * e's double back; a quantity carrying float noise from its producer is cut to the decimal it
 * stands for.
 */
const SIZE_DIGITS = 15;

/**
 * A book level as OKX sends it in `books`: `[px, sz, "0", numOrders]` (the third is deprecated,
 * always "0"); one order per level, none for a deletion.
 */
export function okxLevel4(l: WireLevel): [string, string, string, string] {
  return [l[0], l[1], '0', l[1] === '0' ? '0' : '1'];
}

/** An OKX epoch-ms string. */
export function okxMs(ts: number): string {
  return String(Math.round(ts));
}

export class OkxEncoder {
  private readonly units: OkxUnits;

  constructor(instruments: Pick<InstrumentRegistry, 'get'>) {
    this.units = new OkxUnits(instruments);
  }

  /** Base units -> the venue's size unit (contracts; base for spot), as text. */
  size(instId: string, qty: number, price: number): string {
    return okxDecimal(fromBaseQty(this.units.contract(instId, 'instId'), qty, price), SIZE_DIGITS);
  }

  /**
   * `trades` item: `okx-v5-ws-trades-2022-05-13.jsonl:1` (`instId, tradeId, px, sz, side, ts`)
   * plus `count` and `source` of current frames (OKX docs, "WS / Trades channel").
   */
  trade(e: TradeEvent, tradeId: string): OkxTrade & { readonly source: string } {
    return {
      instId: e.symbol,
      tradeId,
      px: okxDecimal(e.price),
      sz: this.size(e.symbol, e.qty, e.price),
      side: e.side,
      ts: okxMs(e.ts),
      count: '1',
      source: '0',
    };
  }

  /**
   * `liquidation-orders` item: `tardisnode-okex-futures-v5-ws-samples.jsonl:13`
   * (`details[{bkLoss, bkPx, ccy, posSide, side, sz, ts}], instFamily, instId, instType, uly`).
   * `posSide` in hedge-mode spelling: a sell closes a long, a buy a short.
   */
  liquidation(e: LiquidationEvent, instType: string): OkxLiquidationOrders {
    const family = e.symbol.split('-').slice(0, 2).join('-');
    return {
      details: [{
        bkLoss: '0',
        bkPx: okxDecimal(e.price),
        ccy: '',
        posSide: e.side === 'sell' ? 'long' : 'short',
        side: e.side,
        sz: this.size(e.symbol, e.qty, e.price),
        ts: okxMs(e.ts),
      }],
      instFamily: family,
      instId: e.symbol,
      instType,
      uly: family,
    };
  }

  /** Book levels -> `[px, sz]` wire text (qty 0 -> "0": delete). */
  levels(instId: string, levels: BookEvent['bids']): WireLevel[] {
    // The contract looked up once per message (at its first size), not per level.
    let contract: Contract | undefined;
    return levels.map(([price, qty]) => {
      const px = okxDecimal(price);
      if (qty === 0) return [px, '0'] as const;
      contract ??= this.units.contract(instId, 'instId');
      return [px, okxDecimal(fromBaseQty(contract, qty, price), SIZE_DIGITS)] as const;
    });
  }

  /** `mark-price` item: `tardisnode-okex-swap-v5-ws-samples.jsonl:6`. */
  markPrice(e: TickerEvent, instType: string): OkxMarkPrice {
    return { instId: e.symbol, instType, markPx: okxDecimal(e.markPrice), ts: okxMs(e.ts) };
  }

  /**
   * `funding-rate` item: the keys of `tardisnode-okex-swap-v5-ws-samples.jsonl:2` with `ts`,
   * `method` and `nextFundingTime` as current frames have them (OKX docs, "Funding rate
   * channel"); `nextFundingTime` = `fundingTime` + the funding interval.
   */
  fundingRate(e: TickerEvent, instType: string, intervalMs: number): OkxFundingRate & { readonly method: string } {
    return {
      fundingRate: okxDecimal(e.fundingRate),
      fundingTime: okxMs(e.nextFundingTs),
      instId: e.symbol,
      instType,
      method: 'current_period',
      nextFundingRate: '',
      nextFundingTime: okxMs(e.nextFundingTs + intervalMs),
      ts: okxMs(e.ts),
    };
  }

  /**
   * `open-interest` item: `tardisnode-okex-swap-v5-ws-samples.jsonl:7` (`instId, instType, oi,
   * oiCcy, ts`). `oi` (contracts) needs a price for inverse contracts: `price`, else "".
   */
  openInterest(e: TickerEvent, instType: string, price: number): OkxOpenInterest {
    const contract = this.units.contract(e.symbol, 'instId');
    const oi = contract.contractType === 'inverse' && !(price > 0) ? '' : okxDecimal(fromBaseQty(contract, e.openInterest, price), SIZE_DIGITS);
    return { instId: e.symbol, instType, oi, oiCcy: okxDecimal(e.openInterest, SIZE_DIGITS), ts: okxMs(e.ts) };
  }

  /**
   * `tickers` item: `okx-v5-ws-tickers-2022-05-13.jsonl:1` without the 24 h statistics, which
   * no normalized event carries.
   */
  ticker(e: TickerEvent, instType: string): OkxTicker {
    const opt = (v: number) => (Number.isNaN(v) ? '' : okxDecimal(v));
    const sz = (qty: number, px: number) => (Number.isNaN(qty) || !(px > 0) ? '' : this.size(e.symbol, qty, px));
    return {
      instType,
      instId: e.symbol,
      last: opt(e.lastPrice),
      lastSz: '0',
      askPx: opt(e.bestAsk),
      askSz: sz(e.bestAskQty, e.bestAsk),
      bidPx: opt(e.bestBid),
      bidSz: sz(e.bestBidQty, e.bestBid),
      ts: okxMs(e.ts),
    };
  }
}

