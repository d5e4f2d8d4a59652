/**
 * Bybit v5 public frames -> normalized events. Pure functions in tardis-node's mapper shape: one
 * small mapper per output type, each knowing the topics it needs (`topics()`, what live.ts
 * subscribes to) and how to map a frame. Wire types: wire.ts. Evidence for every field:
 * docs/normalization/bybit.md.
 *
 * Traps handled here:
 *   - trade `S` is the TAKER side, used as is;
 *   - liquidation `S` / `side` is the POSITION side (`Buy` = a long was liquidated), so the
 *     forced order's side is the opposite;
 *   - current tickers' `openInterest` counts both sides; `singleOpenInterest` is one side;
 *   - inverse symbols (`BTCUSD`, `BTCUSDH24`) size in USD contracts, not base coin.
 */
import { ParseError } from '../../core/errors.ts';
import { EMPTY_TICKER_FIELDS } from '../../core/events.ts';
import type { CaptureRecord, KlineCapture, MarketEvent, TickerFields, TradeEvent } from '../../core/events.ts';
import type { MessageMapper, ParseContext, VenueMessageParser } from '../../core/format.ts';
import { InstrumentRegistry, scale, toBaseQty } from '../../core/instruments.ts';
import { arr, bookLevels, bool, dec, flip, int, isObject, ms, obj, optDec, optMs, sideOf, str } from '../json-fields.ts';
import type { Contract, JsonObject } from '../json-fields.ts';

// ---------------------------------------------------------------------------------------------
// Registry

/** A Bybit mapper: tardis-node's `Mapper` plus the subscription topics it needs. */
export interface BybitMapper extends MessageMapper<JsonObject> {
  /** Topic prefix: `publicTrade`, `orderbook`, ... */
  readonly channel: string;
  /** Topics live.ts subscribes to for these symbols; [] for decode-only (deprecated) topics. */
  topics(symbols: readonly string[]): string[];
}

/** Options of the mappers: which `orderbook.{depth}` topic `topics()` names (Bybit linear: 1, 50, 200, 1000; default 200). */
export interface BybitMapperOptions {
  readonly bookDepth?: number;
}

/** Every mapper, in the order frames are offered to them. */
export function bybitMappers(instruments: Pick<InstrumentRegistry, 'get'>, options: BybitMapperOptions = {}): BybitMapper[] {
  const units = new BybitUnits(instruments);
  return [
    new BybitTradesMapper(units),
    new BybitBookMapper(units, options.bookDepth),
    new BybitTickerMapper(units),
    new BybitAllLiquidationMapper(units),
    new BybitLegacyLiquidationMapper(units),
    new BybitKlineMapper(units),
  ];
}

/** All subscription topics for these symbols. */
export function bybitTopics(symbols: readonly string[]): string[] {
  return bybitMappers(new InstrumentRegistry()).flatMap((m) => m.topics(symbols));
}

export function createBybitParser(ctx: ParseContext): VenueMessageParser {
  const mappers = bybitMappers(ctx.instruments);
  return {
    venue: 'bybit',
    // A capture by `record --raw` starts with the subscribe ack: an op reply opens a Bybit capture too.
    recognizes: (msg) => isBybitFrame(msg) || isBybitOpReply(msg),
    parse(msg: unknown, localTs: number): CaptureRecord[] | null {
      if (!isObject(msg)) throw new ParseError('E_MESSAGE', 'expected a JSON object', undefined, JSON.stringify(msg) ?? String(msg));
      if (msg.op !== undefined && msg.topic === undefined) return opReply(msg);
      const topic = str(msg.topic, 'topic');
      // Our recorder's back-filled trades (`"backfill": "<endpoint>"`, onRestFrame): out of time
      // order in the capture (written after the live frames held meanwhile); the store has them.
      if (typeof msg.backfill === 'string') return null;
      for (const m of mappers) if (m.canHandle(msg)) return [...m.map(msg, localTs)];
      throw new ParseError('E_MESSAGE', 'unknown Bybit topic', 'topic', topic);
    },
  };
}

/** A Bybit public data frame: `topic` + `data`. */
export function isBybitFrame(msg: unknown): boolean {
  return isObject(msg) && typeof msg.topic === 'string' && msg.data !== undefined;
}

/** `{"success":true,"ret_msg":"","conn_id":"..","req_id":"sub-1","op":"subscribe"}`: every v5 op reply has `conn_id`. */
function isBybitOpReply(msg: unknown): boolean {
  return isObject(msg) && typeof msg.op === 'string' && typeof msg.success === 'boolean' && typeof msg.conn_id === 'string' && msg.topic === undefined;
}

/** `{"success":true,"op":"subscribe",...}` and pongs: no data. A refused op is an error. */
function opReply(msg: JsonObject): null {
  const op = str(msg.op, 'op');
  if (!bool(msg.success, 'success')) {
    throw new ParseError('E_MESSAGE', `Bybit refused ${op}: ${typeof msg.ret_msg === 'string' ? msg.ret_msg : ''}`, 'success', 'false');
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// REST

/**
 * `GET /v5/market/recent-trade` reply -> trades, OLDEST first (Bybit lists newest first). Same
 * meaning as `publicTrade` ([recent-trade] in docs/normalization/bybit.md): `side` is the taker
 * side, `execId` is the WebSocket's `i`, block trades are dropped. Used by live.ts to back-fill
 * the trades a disconnect missed. Errors name the JSON path (`result.list[3].price`).
 */
export function parseBybitRecentTrades(body: unknown, instruments: Pick<InstrumentRegistry, 'get'>, localTs: number): TradeEvent[] {
  const list = restResult(body, 'recent-trade').list;
  const rows = arr(list, 'result.list');
  const units = new BybitUnits(instruments);
  const out: TradeEvent[] = [];
  for (let i = rows.length - 1; i >= 0; i--) {
    const at = `result.list[${i}]`;
    const t = obj(rows[i], at);
    if (bool(t.isBlockTrade, `${at}.isBlockTrade`)) continue;
    const symbol = str(t.symbol, `${at}.symbol`);
    const price = dec(t.price, `${at}.price`, 'positive');
    const size = dec(t.size, `${at}.size`, 'positive');
    out.push({
      type: 'trade',
      venue: 'bybit',
      symbol,
      ts: ms(t.time, `${at}.time`),
      localTs,
      price,
      qty: toBaseQty(units.contract(symbol, `${at}.symbol`), size, price),
      side: sideOf(t.side, `${at}.side`, 'Buy', 'Sell'),
      id: str(t.execId, `${at}.execId`),
    });
  }
  return out;
}

/** The `result` object of a v5 REST reply; `retCode` other than 0 is an error carrying `retMsg`. */
function restResult(body: unknown, what: string): JsonObject {
  const b = obj(body, '(body)');
  if (b.retCode !== 0) {
    const msg = typeof b.retMsg === 'string' ? b.retMsg : '';
    throw b.retCode === undefined
      ? new ParseError('E_FIELD', 'missing field', 'retCode')
      : new ParseError('E_MESSAGE', `Bybit ${what} failed: ${msg}`, 'retCode', JSON.stringify(b.retCode));
  }
  return obj(b.result, 'result');
}

// ---------------------------------------------------------------------------------------------
// Units

const BASE_UNITS: Contract = { contractType: 'linear', contractValue: 1 };
/** Bybit inverse perpetuals and futures: `BTCUSD`, `BTCUSDH24` (month code + year). */
const INVERSE_SYMBOL = /^[A-Z0-9]+USD(?:[FGHJKMNQUVXZ]\d{2})?$/;

/**
 * Sizes: linear (USDT/USDC) and spot trade base coin; inverse trades USD contracts. The
 * registry's instrument decides when present; otherwise an inverse-shaped symbol is an error,
 * anything else is base units.
 */
export class BybitUnits {
  constructor(private readonly instruments: Pick<InstrumentRegistry, 'get'>) {}

  contract(symbol: string, path: string): Contract {
    const inst = this.instruments.get('bybit', symbol);
    if (inst) return inst;
    if (INVERSE_SYMBOL.test(symbol)) {
      throw new ParseError('E_INSTRUMENT', `${symbol} is inverse (sizes in USD contracts): its instrument is needed to convert to base units`, path, symbol);
    }
    return BASE_UNITS;
  }
}

// ---------------------------------------------------------------------------------------------
// Mappers

abstract class TopicMapper implements BybitMapper {
  abstract readonly channel: string;
  constructor(protected readonly units: BybitUnits) {}
  canHandle(msg: JsonObject): boolean {
    return typeof msg.topic === 'string' && msg.topic.startsWith(`${this.channel}.`);
  }
  abstract topics(symbols: readonly string[]): string[];
  abstract map(msg: JsonObject, localTs: number): Iterable<CaptureRecord>;
}

/** `publicTrade.{symbol}` -> trade. `S` is the taker side. */
class BybitTradesMapper extends TopicMapper {
  readonly channel = 'publicTrade';

  topics(symbols: readonly string[]): string[] {
    return symbols.map((s) => `publicTrade.${s}`);
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const t = obj(data[i], at);
      // Block trades are negotiated off the book (RFQ) and printed afterwards: they never hit
      // resting liquidity, so they are not aggressive flow. Dropped on purpose.
      if (bool(t.BT, `${at}.BT`)) continue;
      // RPI trades (`RPI: true`) are kept: a web/app taker did lift or hit an RPI maker quote.
      const symbol = str(t.s, `${at}.s`);
      const price = dec(t.p, `${at}.p`, 'positive');
      const size = dec(t.v, `${at}.v`, 'positive');
      yield {
        type: 'trade',
        venue: 'bybit',
        symbol,
        ts: ms(t.T, `${at}.T`),
        localTs,
        price,
        qty: toBaseQty(this.units.contract(symbol, `${at}.s`), size, price),
        side: sideOf(t.S, `${at}.S`, 'Buy', 'Sell'),
        id: str(t.i, `${at}.i`),
      };
    }
  }
}

/** `orderbook.{depth}.{symbol}` snapshot/delta -> book; seq = `u`. Also the `_ob500.data` archive lines. */
class BybitBookMapper extends TopicMapper {
  readonly channel = 'orderbook';

  constructor(units: BybitUnits, private readonly depth = 200) {
    super(units);
  }

  topics(symbols: readonly string[]): string[] {
    return symbols.map((s) => `orderbook.${this.depth}.${s}`);
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const isSnapshot = snapshotOrDelta(msg.type);
    const d = obj(msg.data, 'data');
    const symbol = str(d.s, 'data.s');
    const contract = this.units.contract(symbol, 'data.s');
    // `cts` is the matching engine's time of this book state, the clock trades' `T` are on; the
    // frame `ts` is when the push was generated (later). 2023 frames have no `cts`: `ts` then.
    const cts = optMs(msg.cts, 'cts');
    yield {
      type: 'book',
      venue: 'bybit',
      symbol,
      ts: Number.isNaN(cts) ? ms(msg.ts, 'ts') : cts,
      localTs,
      isSnapshot,
      bids: bookLevels(d.b, 'data.b', 2, '[price, size]', contract),
      asks: bookLevels(d.a, 'data.a', 2, '[price, size]', contract),
      seq: int(d.u, 'data.u'),
    };
  }
}

function snapshotOrDelta(v: unknown): boolean {
  if (v === 'snapshot') return true;
  if (v === 'delta') return false;
  throw v === undefined ? new ParseError('E_FIELD', 'missing field', 'type') : new ParseError('E_MESSAGE', 'expected snapshot or delta', 'type', JSON.stringify(v));
}

/**
 * `tickers.{symbol}` snapshot/delta -> ticker. A delta carries only the fields that changed:
 * the others stay NaN (merging deltas into a full state is the consumer's job). A frame that
 * changes none of our fields yields nothing.
 */
class BybitTickerMapper extends TopicMapper {
  readonly channel = 'tickers';

  topics(symbols: readonly string[]): string[] {
    return symbols.map((s) => `tickers.${s}`);
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    snapshotOrDelta(msg.type);
    const d = obj(msg.data, 'data');
    const symbol = str(d.symbol, 'data.symbol');
    const contract = this.units.contract(symbol, 'data.symbol');
    const f: TickerFields = { ...EMPTY_TICKER_FIELDS };
    f.lastPrice = optDec(d.lastPrice, 'data.lastPrice', 'positive');
    f.markPrice = optDec(d.markPrice, 'data.markPrice', 'positive');
    f.indexPrice = optDec(d.indexPrice, 'data.indexPrice', 'positive');
    f.fundingRate = optDec(d.fundingRate, 'data.fundingRate', 'any');
    f.nextFundingTs = optMs(d.nextFundingTime, 'data.nextFundingTime');
    // Current frames: `openInterest` is both sides summed, `singleOpenInterest` one side (they
    // always arrive together). 2023 frames have only `openInterest`, then one side.
    const oiKey = d.singleOpenInterest !== undefined ? 'singleOpenInterest' : 'openInterest';
    const oivKey = d.singleOpenInterestValue !== undefined ? 'singleOpenInterestValue' : 'openInterestValue';
    const oi = optDec(d[oiKey], `data.${oiKey}`, 'nonNegative');
    const oiv = optDec(d[oivKey], `data.${oivKey}`, 'nonNegative');
    if (contract.contractType === 'inverse') {
      // Inverse: open interest counts USD contracts and its "value" is in base coin.
      f.openInterest = oiv;
      f.openInterestValue = scale(oi, contract.contractValue);
    } else {
      f.openInterest = scale(oi, contract.contractValue);
      f.openInterestValue = oiv;
    }
    f.bestBid = optDec(d.bid1Price, 'data.bid1Price', 'positive');
    f.bestBidQty = toBaseQty(contract, optDec(d.bid1Size, 'data.bid1Size', 'nonNegative'), f.bestBid);
    f.bestAsk = optDec(d.ask1Price, 'data.ask1Price', 'positive');
    f.bestAskQty = toBaseQty(contract, optDec(d.ask1Size, 'data.ask1Size', 'nonNegative'), f.bestAsk);
    if (!Object.values(f).some((x) => !Number.isNaN(x))) return;
    yield { type: 'ticker', venue: 'bybit', symbol, ts: ms(msg.ts, 'ts'), localTs, ...f };
  }
}

/** `allLiquidation.{symbol}` -> liquidation. `S` is the POSITION side: flipped. `p` is the bankruptcy price. */
class BybitAllLiquidationMapper extends TopicMapper {
  readonly channel = 'allLiquidation';

  topics(symbols: readonly string[]): string[] {
    return symbols.map((s) => `allLiquidation.${s}`);
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const l = obj(data[i], at);
      const symbol = str(l.s, `${at}.s`);
      const price = dec(l.p, `${at}.p`, 'positive');
      yield {
        type: 'liquidation',
        venue: 'bybit',
        symbol,
        ts: ms(l.T, `${at}.T`),
        localTs,
        price,
        qty: toBaseQty(this.units.contract(symbol, `${at}.s`), dec(l.v, `${at}.v`, 'positive'), price),
        // "Buy" = a long position was liquidated, so the forced order SELLS.
        side: flip(sideOf(l.S, `${at}.S`, 'Buy', 'Sell')),
        id: '',
      };
    }
  }
}

/** Deprecated `liquidation.{symbol}` (one object per frame) -> liquidation, same side flip. Decode-only. */
class BybitLegacyLiquidationMapper extends TopicMapper {
  readonly channel = 'liquidation';

  topics(): string[] {
    return [];
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const l = obj(msg.data, 'data');
    const symbol = str(l.symbol, 'data.symbol');
    const price = dec(l.price, 'data.price', 'positive');
    yield {
      type: 'liquidation',
      venue: 'bybit',
      symbol,
      ts: ms(l.updatedTime, 'data.updatedTime'),
      localTs,
      price,
      qty: toBaseQty(this.units.contract(symbol, 'data.symbol'), dec(l.size, 'data.size', 'positive'), price),
      side: flip(sideOf(l.side, 'data.side', 'Buy', 'Sell')),
      id: '',
    };
  }
}

/** Bybit kline interval codes -> the interval codes KlineRecord uses (Binance's). */
const KLINE_INTERVALS: ReadonlyMap<string, string> = new Map([
  ['1', '1m'], ['3', '3m'], ['5', '5m'], ['15', '15m'], ['30', '30m'], ['60', '1h'], ['120', '2h'],
  ['240', '4h'], ['360', '6h'], ['720', '12h'], ['D', '1d'], ['W', '1w'], ['M', '1M'],
]);

/**
 * `kline.{interval}.{symbol}` -> candles (`type: 'kline'`, kind `trade`), one per `data[]` item:
 * every update of the open candle (`confirm: false`) and the final one (`confirm: true`); the
 * capture format keeps the last update of each candle. The items carry no symbol: it is the
 * topic's. `volume` is contracts (base coin for linear, USD for inverse) and `turnover` the
 * other unit (quote for linear, base coin for inverse), as the ticker's open interest.
 * No trade count or taker volume: NaN. Decode-only: live.ts subscribes to no kline topic.
 */
class BybitKlineMapper extends TopicMapper {
  readonly channel = 'kline';

  topics(): string[] {
    return [];
  }

  *map(msg: JsonObject): Iterable<KlineCapture> {
    const topic = str(msg.topic, 'topic');
    const parts = topic.split('.');
    if (parts.length !== 3 || parts[2] === '') throw new ParseError('E_MESSAGE', 'expected kline.{interval}.{symbol}', 'topic', topic);
    const symbol = parts[2];
    const contract = this.units.contract(symbol, 'topic');
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const k = obj(data[i], at);
      const code = str(k.interval, `${at}.interval`);
      const interval = KLINE_INTERVALS.get(code);
      if (interval === undefined || code !== parts[1]) {
        throw new ParseError('E_MESSAGE', interval === undefined ? 'unknown kline interval' : `interval differs from the topic's (${parts[1]})`, `${at}.interval`, code);
      }
      const openTime = ms(k.start, `${at}.start`);
      const closeTime = ms(k.end, `${at}.end`);
      if (closeTime < openTime) throw new ParseError('E_NUMBER', 'end before start', `${at}.end`, String(k.end));
      const volume = dec(k.volume, `${at}.volume`, 'nonNegative');
      const turnover = dec(k.turnover, `${at}.turnover`, 'nonNegative');
      const inverse = contract.contractType === 'inverse';
      yield {
        type: 'kline',
        venue: 'bybit',
        symbol,
        kind: 'trade',
        interval,
        openTime,
        closeTime,
        open: dec(k.open, `${at}.open`, 'positive'),
        high: dec(k.high, `${at}.high`, 'positive'),
        low: dec(k.low, `${at}.low`, 'positive'),
        close: dec(k.close, `${at}.close`, 'positive'),
        volume: inverse ? turnover : scale(volume, contract.contractValue),
        quoteVolume: inverse ? scale(volume, contract.contractValue) : turnover,
        trades: NaN,
        takerBuyVolume: NaN,
        takerBuyQuoteVolume: NaN,
        closed: bool(k.confirm, `${at}.confirm`),
      };
    }
  }
}
