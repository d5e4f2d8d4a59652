/**
 * Binance USD-M futures: WebSocket frames (and the REST depth snapshot) -> normalized events.
 * Pure functions after tardis-node's `src/mappers/binance.ts`: one small mapper per output type,
 * the registry first. live.ts subscribes to exactly the streams the mappers name, and the capture
 * format (archive.ts) decodes recorded frames with the same mappers.
 *
 * Wire semantics, with evidence, are in docs/normalization/binance.md.
 */
import { ParseError, shorten } from '../../core/errors.ts';
import {
  EMPTY_TICKER_FIELDS,
  type BookEvent,
  type BookLevel,
  type CaptureRecord,
  type KlineCapture,
  type LiquidationEvent,
  type Side,
  type TickerEvent,
  type TradeEvent,
} from '../../core/events.ts';
import type { MessageMapper, ParseContext, VenueMessageParser } from '../../core/format.ts';
import { jsonNum, jsonStr, nonNegative, positive } from '../../core/parse-util.ts';
import { int, isObject, missingOr, ms, sideOf } from '../json-fields.ts';

// ---------------------------------------------------------------------------------------------
// Registry

/** Every Binance mapper, in the order frames are offered to them. */
export function binanceMappers(): readonly BinanceMapper[] {
  return [
    new BinanceTradesMapper(),
    new BinanceAggTradesMapper(),
    new BinanceLiquidationsMapper(),
    new BinanceBookDiffMapper(),
    new BinanceBookSnapshotMapper(),
    new BinanceBookTickerMapper(),
    new BinanceMarkPriceMapper(),
    new BinanceKlinesMapper(),
  ];
}

/** Events we know and deliberately keep out: 24h rolling statistics are noise for order flow. */
const KEPT_OUT: ReadonlySet<string> = new Set(['24hrTicker']);

/** The stream names for these symbols: what live.ts subscribes to (deduplicated). */
export function binanceStreams(symbols: readonly string[], mappers: readonly BinanceMapper[] = binanceMappers()): string[] {
  return [...new Set(mappers.flatMap((m) => m.streams(symbols)))];
}

// ---------------------------------------------------------------------------------------------
// Frames and mappers

/** One Binance payload, unwrapped, with where it sits in the frame (for error paths). */
export interface BinanceFrame {
  /** The payload: the combined stream's `data` (or one element of it), or the bare frame. */
  readonly data: Readonly<Record<string, unknown>>;
  /** JSON path of `data` in the frame, as a prefix: `data.`, `data[3].` or `` (bare). */
  readonly at: string;
  /** For payloads without a symbol (REST depth snapshot): the one the parser resolved, if any. */
  readonly symbol?: string;
}

/** A mapper in tardis-node's shape: `canHandle`, `map` (0..n events) and the streams it needs. */
export interface BinanceMapper extends MessageMapper<BinanceFrame> {
  /** Stream names (lower-case symbol) this mapper needs, as tardis `getFilters`. */
  streams(symbols: readonly string[]): string[];
}

const VENUE = 'binance' as const;

/** A mapper of one event type `e`, subscribed to as `<symbol>@<stream>`. */
abstract class EventMapper implements BinanceMapper {
  /** The payload's event type `e`. */
  abstract readonly event: string;
  /** The stream name after `<symbol>@`; undefined for a decode-only event (no subscription). */
  abstract readonly stream: string | undefined;

  canHandle(f: BinanceFrame): boolean {
    return f.data.e === this.event;
  }

  streams(symbols: readonly string[]): string[] {
    const stream = this.stream;
    return stream === undefined ? [] : symbols.map((s) => `${s.toLowerCase()}@${stream}`);
  }

  abstract map(f: BinanceFrame, localTs: number): Iterable<CaptureRecord>;
}

/** `@trade` -> trade. Off-book prints (ADL, insurance fund, NA placeholders) are dropped. */
export class BinanceTradesMapper extends EventMapper {
  readonly event = 'trade';
  readonly stream = 'trade';

  *map(f: BinanceFrame, localTs: number): Iterable<TradeEvent> {
    const { data: d, at } = f;
    const type = d.X;
    // `X` is the trade type. MARKET is a normal match; RPI is a taker matching a Retail Price
    // Improvement order, real aggressor flow that Binance also aggregates into @aggTrade ("RPI
    // orders are aggregated and without special tags", Aggregate Trade Streams doc). 2019 frames
    // have no `X` (tardis-node sample, trade 10934580) and were all normal matches.
    if (type !== undefined && type !== 'MARKET' && type !== 'RPI') {
      if (type === 'ADL' || type === 'INSURANCE_FUND' || type === 'NA') {
        // Off-book prints: auto-deleverage and insurance-fund transfers are not aggressive
        // orders (and are not aggregated into @aggTrade: "insurance fund trades and ADL trades
        // won't be aggregated"); NA frames carry price and qty "0". Not order flow: no event.
        return;
      }
      throw new ParseError('E_MESSAGE', 'unknown trade type', `${at}X`, String(type));
    }
    yield trade(f, localTs, 't');
  }
}

/**
 * `@aggTrade` -> trade, id = aggregate id `a`, else the first trade id `f` (2019 frames have no
 * `a`). Binance aggregates MARKET and RPI fills only.
 */
export class BinanceAggTradesMapper extends EventMapper {
  readonly event = 'aggTrade';
  readonly stream = 'aggTrade';

  *map(f: BinanceFrame, localTs: number): Iterable<TradeEvent> {
    // Frames recorded in 2019 carry no aggregate id `a` (tardis-node sample, BTCUSDT 2019-09-17,
    // test/fixtures/binance/tardisnode-binance-futures-ws-samples.jsonl:1). The first trade id
    // `f` of the aggregate names it as uniquely and increases the same way.
    yield trade(f, localTs, f.data.a === undefined ? 'f' : 'a');
  }
}

/** A `trade` or `aggTrade` payload: they differ only in the key of the id. */
function trade(f: BinanceFrame, localTs: number, idKey: 't' | 'a' | 'f'): TradeEvent {
  const { data: d, at } = f;
  return {
    type: 'trade',
    venue: VENUE,
    symbol: jsonStr(d.s, `${at}s`),
    ts: ms(d.T, `${at}T`),
    localTs,
    price: jsonPositive(d.p, `${at}p`),
    qty: jsonPositive(d.q, `${at}q`),
    side: takerSide(d.m, `${at}m`),
    id: jsonStr(d[idKey], `${at}${idKey}`),
  };
}

/**
 * `@forceOrder` -> liquidation. `o.S` is the side of the forced ORDER (SELL closes a long), which
 * is our convention as is. Price: the average fill price `o.ap` when > 0, else the order price
 * `o.p`; qty: the accumulated filled quantity `o.z` when > 0, else the original `o.q`. `p` is the
 * limit the engine set for the IOC order, `ap`/`z` are what actually traded (tardis-node's
 * BinanceLiquidationsMapper uses `ap`/`z` for the same reason: "Average Price that matches trade").
 */
export class BinanceLiquidationsMapper extends EventMapper {
  readonly event = 'forceOrder';
  readonly stream = 'forceOrder';

  *map(f: BinanceFrame, localTs: number): Iterable<LiquidationEvent> {
    const at = `${f.at}o.`;
    const o = f.data.o;
    if (!isObject(o)) throw missingOr('E_MESSAGE', o, 'expected the order object', `${f.at}o`);
    const ap = jsonNonNegative(o.ap, `${at}ap`);
    const z = jsonNonNegative(o.z, `${at}z`);
    yield {
      type: 'liquidation',
      venue: VENUE,
      symbol: jsonStr(o.s, `${at}s`),
      ts: ms(o.T, `${at}T`),
      localTs,
      price: ap > 0 ? ap : jsonPositive(o.p, `${at}p`),
      qty: z > 0 ? z : jsonPositive(o.q, `${at}q`),
      side: sideOf(o.S, `${at}S`, 'BUY', 'SELL'),
      id: '',
    };
  }
}

/** `@depth` diff -> book diff, seq = final update id `u`, ts = transaction time `T`. */
export class BinanceBookDiffMapper extends EventMapper {
  readonly event = 'depthUpdate';
  readonly stream = 'depth@100ms';

  *map(f: BinanceFrame, localTs: number): Iterable<BookEvent> {
    const { data: d, at } = f;
    yield {
      type: 'book',
      venue: VENUE,
      symbol: jsonStr(d.s, `${at}s`),
      ts: ms(d.T, `${at}T`),
      localTs,
      isSnapshot: false,
      bids: levels(d.b, `${at}b`),
      asks: levels(d.a, `${at}a`),
      seq: jsonNum(d.u, `${at}u`),
    };
  }
}

/**
 * REST `GET /fapi/v1/depth` response -> book snapshot, seq = `lastUpdateId`, ts = `T`. It names
 * no symbol: the parser resolves one (ParseContext.symbol, else the only symbol of the streams).
 * Not a stream: live.ts fetches it over REST.
 */
export class BinanceBookSnapshotMapper implements BinanceMapper {
  canHandle(f: BinanceFrame): boolean {
    return f.data.e === undefined && f.data.lastUpdateId !== undefined;
  }

  streams(): string[] {
    return [];
  }

  *map(f: BinanceFrame, localTs: number): Iterable<BookEvent> {
    const { data: d, at } = f;
    if (f.symbol === undefined) {
      throw new ParseError('E_FIELD', 'REST depth snapshot names no symbol and the capture has not one single stream symbol: pass --symbol', `${at}lastUpdateId`);
    }
    yield {
      type: 'book',
      venue: VENUE,
      symbol: f.symbol,
      ts: ms(d.T, `${at}T`),
      localTs,
      isSnapshot: true,
      bids: levels(d.bids, `${at}bids`),
      asks: levels(d.asks, `${at}asks`),
      seq: jsonNum(d.lastUpdateId, `${at}lastUpdateId`),
    };
  }
}

/** `@bookTicker` -> ticker with best bid/ask and their sizes, ts = transaction time `T`. */
export class BinanceBookTickerMapper extends EventMapper {
  readonly event = 'bookTicker';
  readonly stream = 'bookTicker';

  *map(f: BinanceFrame, localTs: number): Iterable<TickerEvent> {
    const { data: d, at } = f;
    yield {
      type: 'ticker',
      venue: VENUE,
      symbol: jsonStr(d.s, `${at}s`),
      ts: ms(d.T, `${at}T`),
      localTs,
      ...EMPTY_TICKER_FIELDS,
      bestBid: jsonPositive(d.b, `${at}b`),
      bestBidQty: jsonNonNegative(d.B, `${at}B`),
      bestAsk: jsonPositive(d.a, `${at}a`),
      bestAskQty: jsonNonNegative(d.A, `${at}A`),
    };
  }
}

/**
 * `@markPrice` -> ticker: mark `p`, index `i`, funding rate `r`, next funding time `T`; ts = event
 * time `E` (the frame has no other). Delivery contracts send `T` 0 and `r` "" or "0": no funding
 * (tardis-node: "only perpetual futures have funding rate info in mark price").
 */
export class BinanceMarkPriceMapper extends EventMapper {
  readonly event = 'markPriceUpdate';
  readonly stream = 'markPrice@1s';

  *map(f: BinanceFrame, localTs: number): Iterable<TickerEvent> {
    const { data: d, at } = f;
    const nextFunding = jsonNum(d.T, `${at}T`);
    const hasFunding = nextFunding !== 0 && d.r !== '';
    yield {
      type: 'ticker',
      venue: VENUE,
      symbol: jsonStr(d.s, `${at}s`),
      ts: ms(d.E, `${at}E`),
      localTs,
      ...EMPTY_TICKER_FIELDS,
      markPrice: jsonPositive(d.p, `${at}p`),
      // 2019 frames have no index price (tardis-node sample, 2019-10-01).
      indexPrice: d.i === undefined ? NaN : jsonPositive(d.i, `${at}i`),
      fundingRate: hasFunding ? jsonNum(d.r, `${at}r`) : NaN,
      nextFundingTs: hasFunding ? ms(d.T, `${at}T`) : NaN,
    };
  }
}

/** Intervals of the USD-M kline streams (Kline/Candlestick Streams doc). */
const KLINE_INTERVALS: ReadonlySet<string> = new Set(['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M']);

/**
 * `@kline_<interval>` -> candle (`type: 'kline'`, kind `trade`): every update of the open candle
 * (pushed every 250 ms) and the final one (`k.x` true); the capture format keeps the last update
 * of each candle. Fields as the archive's klines: `v` base volume, `q` quote volume, `n` trades,
 * `V` / `Q` taker buy base / quote volume. Decode-only: live.ts subscribes to no kline stream
 * (candles are rebuilt from trades, and the archives publish them).
 */
export class BinanceKlinesMapper extends EventMapper {
  readonly event = 'kline';
  readonly stream = undefined;

  *map(f: BinanceFrame, _localTs: number): Iterable<KlineCapture> {
    const { data: d } = f;
    const at = `${f.at}k.`;
    const k = d.k;
    if (!isObject(k)) throw missingOr('E_MESSAGE', k, 'expected the candle object', `${f.at}k`);
    const openTime = ms(k.t, `${at}t`);
    const closeTime = ms(k.T, `${at}T`);
    if (closeTime < openTime) throw new ParseError('E_NUMBER', 'close time before open time', `${at}T`, String(k.T));
    const interval = jsonStr(k.i, `${at}i`);
    if (!KLINE_INTERVALS.has(interval)) throw new ParseError('E_MESSAGE', 'unknown kline interval', `${at}i`, interval);
    const trades = jsonNum(k.n, `${at}n`);
    if (!Number.isSafeInteger(trades) || trades < 0) throw new ParseError('E_NUMBER', 'expected a trade count', `${at}n`, String(k.n));
    yield {
      type: 'kline',
      venue: VENUE,
      symbol: jsonStr(d.s, `${f.at}s`),
      kind: 'trade',
      interval,
      openTime,
      closeTime,
      open: jsonPositive(k.o, `${at}o`),
      high: jsonPositive(k.h, `${at}h`),
      low: jsonPositive(k.l, `${at}l`),
      close: jsonPositive(k.c, `${at}c`),
      volume: jsonNonNegative(k.v, `${at}v`),
      quoteVolume: jsonNonNegative(k.q, `${at}q`),
      trades,
      takerBuyVolume: jsonNonNegative(k.V, `${at}V`),
      takerBuyQuoteVolume: jsonNonNegative(k.Q, `${at}Q`),
      closed: jsonBool(k.x, `${at}x`),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The parser: unwraps frames, remembers stream symbols, offers payloads to the mappers

/**
 * A parser for one file or connection. State: the symbols named by the stream names seen so far,
 * for the REST depth snapshot line that carries none.
 */
export function createBinanceParser(ctx: ParseContext, mappers: readonly BinanceMapper[] = binanceMappers()): VenueMessageParser {
  const streamSymbols = new Set<string>();

  const snapshotSymbol = (): string | undefined => {
    if (ctx.symbol !== undefined) return ctx.symbol;
    if (streamSymbols.size === 1) for (const s of streamSymbols) return s;
    return undefined;
  };

  const mapOne = (data: Record<string, unknown>, at: string, localTs: number, streamSymbol?: string): CaptureRecord[] | null => {
    const frame: BinanceFrame = data.e === undefined && data.lastUpdateId !== undefined ? { data, at, symbol: streamSymbol ?? snapshotSymbol() } : { data, at };
    for (const m of mappers) if (m.canHandle(frame)) return [...m.map(frame, localTs)];
    const e = data.e;
    if (typeof e !== 'string') throw missingOr('E_MESSAGE', e, 'no event type', `${at}e`);
    if (KEPT_OUT.has(e)) return null;
    throw new ParseError('E_MESSAGE', 'unknown Binance event type', `${at}e`, e);
  };

  const mapMany = (list: readonly unknown[], at: string, localTs: number): CaptureRecord[] | null => {
    let out: CaptureRecord[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const path = `${at}[${i}]`;
      if (!isObject(item)) throw missingOr('E_MESSAGE', item, 'expected an event object', path);
      const evs = mapOne(item, `${path}.`, localTs);
      if (evs) (out ??= []).push(...evs);
    }
    return out;
  };

  return {
    venue: VENUE,

    parse(msg: unknown, localTs: number): CaptureRecord[] | null {
      // Raw `/ws/!markPrice@arr` connections push a bare array of events.
      if (Array.isArray(msg)) return mapMany(msg, '', localTs);
      if (!isObject(msg)) throw new ParseError('E_MESSAGE', 'not a Binance frame: expected a JSON object', undefined, shorten(JSON.stringify(msg) ?? String(msg)));
      if (msg.stream !== undefined) {
        const stream = jsonStr(msg.stream, 'stream');
        const name = stream.slice(0, stream.indexOf('@'));
        if (name !== '' && !name.startsWith('!')) streamSymbols.add(name.toUpperCase());
        // Tardis.dev inserts frames of its own (REST polls it made while recording: depthSnapshot,
        // openInterest) flagged `generated`. They are not exchange stream frames: known, kept out.
        if (msg.generated === true) return null;
        // Our recorder's back-filled trades (`"backfill": "<endpoint>"`, onRestFrame): written when
        // the back-fill ends, after the live frames held meanwhile, so out of exchange-time order in
        // the capture; the store that recorded the capture has them. Known, kept out of a re-import.
        if (typeof msg.backfill === 'string') return null;
        const data = msg.data;
        if (Array.isArray(data)) return mapMany(data, 'data', localTs);
        if (!isObject(data)) throw missingOr('E_MESSAGE', data, 'expected the payload object', 'data');
        // `<symbol>@openInterest`: a REST open-interest answer our recorder keeps in raw captures
        // (Tardis's frames of that name are `generated`, kept out above).
        if (stream.endsWith(OPEN_INTEREST_STREAM)) return [openInterestFrame(data, name.toUpperCase(), localTs)];
        // `<symbol>@depthSnapshot`: a REST depth snapshot our recorder keeps in raw captures; the
        // stream name says whose it is.
        return mapOne(data, 'data.', localTs, stream.endsWith('@depthSnapshot') && name !== '' ? name.toUpperCase() : undefined);
      }
      if (msg.id !== undefined) {
        // Replies to SUBSCRIBE / UNSUBSCRIBE: `{"result":null,"id":1}`; a refusal carries `error`.
        if ('result' in msg) return null;
        if (msg.error !== undefined) throw new ParseError('E_MESSAGE', 'request refused by Binance', 'error', JSON.stringify(msg.error));
      }
      return mapOne(msg, '', localTs);
    },

    recognizes(msg: unknown): boolean {
      if (Array.isArray(msg)) return msg.length > 0 && isStreamEvent(msg[0]);
      if (!isObject(msg)) return false;
      if (typeof msg.stream === 'string') {
        if (msg.generated === true || typeof msg.backfill === 'string') return true;
        const d = msg.data;
        if (Array.isArray(d)) return d.length > 0 && isObject(d[0]) && typeof d[0].e === 'string';
        if (msg.stream.endsWith(OPEN_INTEREST_STREAM)) return isObject(d) && typeof d.openInterest === 'string';
        return isObject(d) && (typeof d.e === 'string' || isDepthSnapshot(d));
      }
      if (typeof msg.id === 'number' && 'result' in msg) return Object.keys(msg).length === 2;
      return isStreamEvent(msg) || isDepthSnapshot(msg);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// REST responses and stream replies (live.ts; the loopback server answers the same shapes)

/**
 * REST `GET /fapi/v1/depth` body -> book snapshot of `symbol` (the body names none), seq =
 * `lastUpdateId`: the same mapper as the capture format's snapshot line.
 */
export function parseBinanceDepthSnapshot(body: unknown, symbol: string, localTs: number): BookEvent {
  if (!isObject(body)) throw missingOr('E_MESSAGE', body, 'expected the depth snapshot object', 'lastUpdateId');
  const [ev] = new BinanceBookSnapshotMapper().map({ data: body, at: '', symbol }, localTs);
  return ev;
}

/**
 * REST `GET /fapi/v1/aggTrades` body -> trades of `symbol`, id = aggregate id `a`. Elements are
 * the stream's aggTrade without `e`/`E`/`s`, so they go through the same field mapping; errors
 * name the element (`[3].p`).
 */
export function parseBinanceRestAggTrades(body: unknown, symbol: string, localTs: number): TradeEvent[] {
  if (!Array.isArray(body)) throw missingOr('E_MESSAGE', body, 'expected an array of aggregate trades', '[]');
  const out: TradeEvent[] = new Array(body.length);
  for (let i = 0; i < body.length; i++) {
    const item: unknown = body[i];
    const at = `[${i}].`;
    if (!isObject(item)) throw missingOr('E_MESSAGE', item, 'expected an aggregate trade object', `[${i}]`);
    int(item.a, `${at}a`);
    out[i] = trade({ data: { ...item, s: symbol }, at }, localTs, 'a');
  }
  return out;
}

/** REST `GET /fapi/v1/openInterest` body -> ticker with `openInterest` (base units), ts = `time`. */
export function parseBinanceOpenInterest(body: unknown, localTs: number, at = ''): TickerEvent {
  if (!isObject(body)) throw missingOr('E_MESSAGE', body, 'expected the open interest object', at === '' ? 'openInterest' : at.slice(0, -1));
  return {
    type: 'ticker',
    venue: VENUE,
    symbol: jsonStr(body.symbol, `${at}symbol`),
    ts: ms(body.time, `${at}time`),
    localTs,
    ...EMPTY_TICKER_FIELDS,
    openInterest: jsonNonNegative(body.openInterest, `${at}openInterest`),
  };
}

/**
 * The stream name our recorder gives a REST open-interest answer in a raw capture
 * (`{"stream":"btcusdt@openInterest","data":<GET /fapi/v1/openInterest body>}`). Binance has no
 * such stream: docs/NORMALIZATION.md.
 */
export const OPEN_INTEREST_STREAM = '@openInterest';

/** A captured `<symbol>@openInterest` frame -> its ticker; the body must name the stream's symbol. */
function openInterestFrame(data: Record<string, unknown>, streamSymbol: string, localTs: number): TickerEvent {
  const ev = parseBinanceOpenInterest(data, localTs, 'data.');
  if (ev.symbol !== streamSymbol) throw new ParseError('E_FIELD', `open interest of ${ev.symbol} in the stream of ${streamSymbol}`, 'data.symbol', ev.symbol);
  return ev;
}

/** The sequencing ids of a depthUpdate: first `U`, final `u`, previous final `pu` (integers, U <= u). */
export interface BinanceDepthIds {
  readonly U: number;
  readonly u: number;
  readonly pu: number;
}

/** Read `U`, `u`, `pu` of a depthUpdate payload at JSON path prefix `at` (`data.`). */
export function binanceDepthIds(data: Readonly<Record<string, unknown>>, at: string): BinanceDepthIds {
  const U = int(data.U, `${at}U`);
  const u = int(data.u, `${at}u`);
  const pu = int(data.pu, `${at}pu`);
  if (U > u) throw new ParseError('E_NUMBER', 'first update id U after final update id u', `${at}U`, `${U} > ${u}`);
  return { U, u, pu };
}

/** A reply to a stream request: `{"result":..,"id":N}` or `{"error":{"code":..,"msg":..},"id":N}`. */
export type BinanceReply =
  | { readonly kind: 'result'; readonly id: number | string | null; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number | string | null; readonly code: number; readonly msg: string };

/** The reply in a decoded frame, or undefined when the frame is not one (no `id`, or a stream frame). */
export function binanceReply(msg: unknown): BinanceReply | undefined {
  if (!isObject(msg) || !('id' in msg) || msg.stream !== undefined) return undefined;
  const id = msg.id;
  if (id !== null && typeof id !== 'number' && typeof id !== 'string') throw new ParseError('E_MESSAGE', 'reply id must be a number, a string or null', 'id', JSON.stringify(id));
  if ('result' in msg) return { kind: 'result', id, result: msg.result };
  const err = msg.error;
  if (!isObject(err)) throw missingOr('E_MESSAGE', err, 'expected `result` or an `error` object', 'error');
  return { kind: 'error', id, code: int(err.code, 'error.code'), msg: jsonStr(err.msg, 'error.msg') };
}

// ---------------------------------------------------------------------------------------------
// Field helpers (each names the JSON path)

/** A bare stream event: `{"e":"...","E":ms,...}`. */
function isStreamEvent(v: unknown): boolean {
  return isObject(v) && typeof v.e === 'string' && typeof v.E === 'number';
}

/** REST depth snapshot: `{"lastUpdateId":n,"E":..,"T":..,"bids":[..],"asks":[..]}`. */
function isDepthSnapshot(v: Record<string, unknown>): boolean {
  return typeof v.lastUpdateId === 'number' && Array.isArray(v.bids) && Array.isArray(v.asks);
}

function jsonPositive(value: unknown, field: string): number {
  const v = jsonNum(value, field);
  if (!(v > 0)) throw new ParseError('E_NUMBER', 'must be > 0', field, String(value));
  return v;
}

function jsonNonNegative(value: unknown, field: string): number {
  const v = jsonNum(value, field);
  if (v < 0) throw new ParseError('E_NUMBER', 'must be >= 0', field, String(value));
  return v;
}

/** A JSON boolean (`k.x`, `m`); anything else is `E_SIDE`, as for the archives' flags. */
function jsonBool(v: unknown, field: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === undefined) throw new ParseError('E_FIELD', 'missing field', field);
  throw new ParseError('E_SIDE', 'expected true or false', field, JSON.stringify(v));
}

/** `m` = "is the buyer the market maker?": true means the taker (aggressor) SOLD. */
function takerSide(m: unknown, field: string): Side {
  return jsonBool(m, field) ? 'sell' : 'buy';
}

/** `[[price, qty], ...]` -> levels; price > 0, qty >= 0 (0 deletes). */
function levels(value: unknown, field: string): BookLevel[] {
  if (!Array.isArray(value)) throw missingOr('E_MESSAGE', value, 'expected an array of [price, qty]', field);
  const out: BookLevel[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const lv: unknown = value[i];
    if (!Array.isArray(lv) || lv.length !== 2 || typeof lv[0] !== 'string' || typeof lv[1] !== 'string') {
      throw new ParseError('E_MESSAGE', 'expected a level ["price", "qty"]', `${field}[${i}]`, shorten(JSON.stringify(lv) ?? String(lv)));
    }
    let j = 0;
    try {
      const price = positive(lv[0], field);
      j = 1;
      out[i] = [price, nonNegative(lv[1], field)];
    } catch (e) {
      // Name the exact element; the path is built only when something is wrong.
      if (e instanceof ParseError) throw new ParseError(e.code, e.detail, `${field}[${i}][${j}]`, e.value);
      throw e;
    }
  }
  return out;
}
