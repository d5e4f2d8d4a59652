/**
 * OKX v5 public frames -> normalized events. Pure functions in tardis-node's mapper shape: one
 * small mapper per output type, each knowing the channels it handles and the subscription args
 * live.ts sends (`subscriptions()`). Wire types: wire.ts. Evidence: docs/normalization/okx.md.
 *
 * Traps handled here:
 *   - trade `side` is the TAKER side, used as is;
 *   - `sz` counts CONTRACTS for SWAP/FUTURES (base for SPOT): converted with the instrument's
 *     contract value; an inverse contract is worth USD, so base = sz x ctVal / px;
 *   - liquidation-orders `side` is the ORDER side (what we keep), `posSide` the position;
 *   - funding-rate `fundingTime` is the NEXT settlement (the one `fundingRate` is paid at);
 *   - every number is a string, timestamps included.
 */
import { ParseError } from '../../core/errors.ts';
import { EMPTY_TICKER_FIELDS } from '../../core/events.ts';
import type { CaptureRecord, LiquidationEvent, MarketEvent, Side, TickerFields } from '../../core/events.ts';
import type { MessageMapper, ParseContext, VenueMessageParser } from '../../core/format.ts';
import { toBaseQty } from '../../core/instruments.ts';
import type { InstrumentRegistry } from '../../core/instruments.ts';
import { arr, bookLevels, dec, int, isObject, ms, obj, optDec, sideOf, str } from '../json-fields.ts';
import type { Contract, JsonObject } from '../json-fields.ts';
import type { OkxArg } from './wire.ts';

// ---------------------------------------------------------------------------------------------
// Registry

/** An OKX mapper: tardis-node's `Mapper` plus the subscription args it needs. */
export interface OkxMapper extends MessageMapper<JsonObject> {
  /** The `arg.channel` values it handles. */
  readonly channels: readonly string[];
  /** What live.ts subscribes to for these instruments. */
  subscriptions(instIds: readonly string[]): OkxArg[];
}

/** Every mapper, in the order frames are offered to them. */
export function okxMappers(instruments: Pick<InstrumentRegistry, 'get'>): OkxMapper[] {
  const units = new OkxUnits(instruments);
  return [
    new OkxTradesMapper(units),
    new OkxBookMapper(units),
    new OkxTickerMapper(units),
    new OkxFundingRateMapper(),
    new OkxOpenInterestMapper(),
    new OkxMarkPriceMapper(),
    new OkxIndexTickerMapper(),
    new OkxLiquidationOrdersMapper(units),
    new TardisGeneratedLiquidationsMapper(units),
  ];
}

/**
 * OKX channels that are known and carry nothing we keep: `bbo-tbt` (top of book; tickers carry
 * it, and a one-level "snapshot" would wipe a depth book), `price-limit`, and candles.
 */
export function isOkxSkippedChannel(channel: string): boolean {
  return channel === 'bbo-tbt' || channel === 'price-limit' || channel.startsWith('candle')
    || channel.startsWith('mark-price-candle') || channel.startsWith('index-candle');
}

/** All subscription args for these instruments. */
export function okxSubscriptions(instIds: readonly string[]): OkxArg[] {
  return okxMappers({ get: () => undefined }).flatMap((m) => m.subscriptions(instIds));
}

export function createOkxParser(ctx: ParseContext): VenueMessageParser {
  const mappers = okxMappers(ctx.instruments);
  return {
    venue: 'okx',
    recognizes: isOkxFrame,
    parse(msg: unknown, localTs: number): CaptureRecord[] | null {
      if (!isObject(msg)) throw new ParseError('E_MESSAGE', 'expected a JSON object', undefined, JSON.stringify(msg) ?? String(msg));
      if (msg.event !== undefined) return okxEvent(msg);
      // Our recorder's back-filled trades (`"backfill": "<endpoint>"`, onRestFrame): out of time
      // order in the capture (written after the live frames held meanwhile); the store has them.
      if (typeof msg.backfill === 'string') return null;
      const channel = str(obj(msg.arg, 'arg').channel, 'arg.channel');
      if (isOkxSkippedChannel(channel)) return null;
      for (const m of mappers) if (m.canHandle(msg)) return [...m.map(msg, localTs)];
      throw new ParseError('E_MESSAGE', 'unknown OKX channel', 'arg.channel', channel);
    },
  };
}

/** An OKX push (`arg.channel` + `data`) or an event reply carrying `arg`. */
export function isOkxFrame(msg: unknown): boolean {
  if (!isObject(msg) || !isObject(msg.arg)) return false;
  return (typeof msg.arg.channel === 'string' && Array.isArray(msg.data)) || typeof msg.event === 'string';
}

/** Subscribe/unsubscribe replies carry no data; an error reply is an error. */
function okxEvent(msg: JsonObject): null {
  const event = str(msg.event, 'event');
  if (event === 'subscribe' || event === 'unsubscribe') return null;
  if (event === 'error') {
    const code = typeof msg.code === 'string' ? msg.code : JSON.stringify(msg.code);
    throw new ParseError('E_MESSAGE', `OKX error ${code}: ${typeof msg.msg === 'string' ? msg.msg : ''}`, 'event', code);
  }
  throw new ParseError('E_MESSAGE', 'unknown OKX event', 'event', event);
}

// ---------------------------------------------------------------------------------------------
// Units

const BASE_UNITS: Contract = { contractType: 'linear', contractValue: 1 };
/** A spot pair (`BTC-USDT`): two parts. Swaps, futures and options have three or more. */
const SPOT_ID = /^[A-Z0-9]+-[A-Z0-9]+$/;

/** Contract value per instrument: the registry's, or base units for a spot pair. */
export class OkxUnits {
  constructor(private readonly instruments: Pick<InstrumentRegistry, 'get'>) {}

  contract(instId: string, path: string): Contract {
    const inst = this.instruments.get('okx', instId);
    if (inst) return inst;
    if (SPOT_ID.test(instId)) return BASE_UNITS;
    throw new ParseError('E_INSTRUMENT', `unknown instrument ${instId}: its contract value is needed to convert contracts to base units`, path, instId);
  }
}

// ---------------------------------------------------------------------------------------------
// Mappers

abstract class ChannelMapper implements OkxMapper {
  abstract readonly channels: readonly string[];
  canHandle(msg: JsonObject): boolean {
    return isObject(msg.arg) && this.channels.includes(msg.arg.channel as string);
  }
  subscriptions(instIds: readonly string[]): OkxArg[] {
    return instIds.map((instId) => ({ channel: this.channels[0], instId }));
  }
  abstract map(msg: JsonObject, localTs: number): Iterable<MarketEvent>;
}

/** `trades` / `trades-all` -> trade. `side` is the taker side; `sz` contracts -> base. */
class OkxTradesMapper extends ChannelMapper {
  readonly channels = ['trades', 'trades-all'];
  constructor(private readonly units: OkxUnits) {
    super();
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const t = obj(data[i], at);
      const symbol = str(t.instId, `${at}.instId`);
      const price = dec(t.px, `${at}.px`, 'positive');
      const size = dec(t.sz, `${at}.sz`, 'positive');
      yield {
        type: 'trade',
        venue: 'okx',
        symbol,
        ts: ms(t.ts, `${at}.ts`),
        localTs,
        price,
        qty: toBaseQty(this.units.contract(symbol, `${at}.instId`), size, price),
        side: sideOf(t.side, `${at}.side`, 'buy', 'sell'),
        id: str(t.tradeId, `${at}.tradeId`),
      };
    }
  }
}

/**
 * `books` (400 levels), `books5`, `books-l2-tbt`, `books50-l2-tbt` -> book. `action` is
 * `snapshot` or `update`; books5 has none and every push is a full 5-level snapshot.
 */
class OkxBookMapper extends ChannelMapper {
  readonly channels = ['books', 'books5', 'books-l2-tbt', 'books50-l2-tbt'];
  constructor(private readonly units: OkxUnits) {
    super();
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const arg = obj(msg.arg, 'arg');
    const symbol = str(arg.instId, 'arg.instId');
    const isSnapshot = arg.channel === 'books5' || snapshotOrUpdate(msg.action);
    const contract = this.units.contract(symbol, 'arg.instId');
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const b = obj(data[i], at);
      yield {
        type: 'book',
        venue: 'okx',
        symbol,
        ts: ms(b.ts, `${at}.ts`),
        localTs,
        isSnapshot,
        bids: bookLevels(b.bids, `${at}.bids`, 4, OKX_LEVEL, contract),
        asks: bookLevels(b.asks, `${at}.asks`, 4, OKX_LEVEL, contract),
        // seqId exists in frames since 2023; the 2022 capture has only `checksum`.
        seq: b.seqId === undefined ? NaN : int(b.seqId, `${at}.seqId`),
      };
    }
  }
}

function snapshotOrUpdate(v: unknown): boolean {
  if (v === 'snapshot') return true;
  if (v === 'update') return false;
  throw v === undefined ? new ParseError('E_FIELD', 'missing field', 'action') : new ParseError('E_MESSAGE', 'expected snapshot or update', 'action', JSON.stringify(v));
}

/** An OKX book level: price, size, a deprecated "0", the number of orders. */
const OKX_LEVEL = '[px, sz, "0", numOrders]';

/** `tickers` -> ticker: last price and best bid/ask (sizes contracts -> base). */
class OkxTickerMapper extends ChannelMapper {
  readonly channels = ['tickers'];
  constructor(private readonly units: OkxUnits) {
    super();
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    yield* items(msg, localTs, (t, at, f) => {
      const contract = this.units.contract(str(t.instId, `${at}.instId`), `${at}.instId`);
      f.lastPrice = optDec(t.last, `${at}.last`, 'positive');
      f.bestBid = optDec(t.bidPx, `${at}.bidPx`, 'positive');
      f.bestBidQty = toBaseQty(contract, optDec(t.bidSz, `${at}.bidSz`, 'nonNegative'), f.bestBid);
      f.bestAsk = optDec(t.askPx, `${at}.askPx`, 'positive');
      f.bestAskQty = toBaseQty(contract, optDec(t.askSz, `${at}.askSz`, 'nonNegative'), f.bestAsk);
      return ms(t.ts, `${at}.ts`);
    });
  }
}

/**
 * `funding-rate` -> ticker fundingRate + nextFundingTs. `fundingTime` is when the current
 * `fundingRate` settles, i.e. the next funding. Frames from 2021 have no `ts`: the receive time
 * stands in, and without one (a plain JSONL capture) the frame has no time at all and is
 * ParseError `E_FIELD` naming `data[i].ts`. Some 2021 frames have no `fundingRate`.
 */
class OkxFundingRateMapper extends ChannelMapper {
  readonly channels = ['funding-rate'];

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    yield* items(msg, localTs, (t, at, f) => {
      f.fundingRate = optDec(t.fundingRate, `${at}.fundingRate`, 'any');
      f.nextFundingTs = ms(t.fundingTime, `${at}.fundingTime`);
      if (t.ts !== undefined) return ms(t.ts, `${at}.ts`);
      if (Number.isNaN(localTs)) {
        throw new ParseError('E_FIELD', 'funding-rate frame without ts, and the capture line has no receive time to stand in', `${at}.ts`);
      }
      return localTs;
    });
  }
}

/** `open-interest` -> ticker openInterest from `oiCcy` (base currency), not `oi` (contracts). */
class OkxOpenInterestMapper extends ChannelMapper {
  readonly channels = ['open-interest'];

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    yield* items(msg, localTs, (t, at, f) => {
      f.openInterest = dec(t.oiCcy, `${at}.oiCcy`, 'nonNegative');
      return ms(t.ts, `${at}.ts`);
    });
  }
}

/** `mark-price` -> ticker markPrice. */
class OkxMarkPriceMapper extends ChannelMapper {
  readonly channels = ['mark-price'];

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    yield* items(msg, localTs, (t, at, f) => {
      f.markPrice = dec(t.markPx, `${at}.markPx`, 'positive');
      return ms(t.ts, `${at}.ts`);
    });
  }
}

/**
 * `index-tickers` -> ticker indexPrice, under the INDEX's id (`BTC-USDT`), which is the swap's
 * underlying (`uly`), not the swap itself.
 */
class OkxIndexTickerMapper extends ChannelMapper {
  readonly channels = ['index-tickers'];

  /** The index of `BTC-USDT-SWAP` / `BTC-USDT-240628` is `BTC-USDT`. */
  override subscriptions(instIds: readonly string[]): OkxArg[] {
    const indexes = new Set(instIds.map((id) => id.split('-').slice(0, 2).join('-')));
    return [...indexes].map((instId) => ({ channel: 'index-tickers', instId }));
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    yield* items(msg, localTs, (t, at, f) => {
      f.indexPrice = dec(t.idxPx, `${at}.idxPx`, 'positive');
      return ms(t.ts, `${at}.ts`);
    });
  }
}

/** One ticker per `data[]` item; `fill` sets the fields it knows and returns the event time. */
function* items(
  msg: JsonObject,
  localTs: number,
  fill: (t: JsonObject, at: string, f: TickerFields) => number,
): Iterable<MarketEvent> {
  const data = arr(msg.data, 'data');
  for (let i = 0; i < data.length; i++) {
    const at = `data[${i}]`;
    const t = obj(data[i], at);
    const symbol = str(t.instId, `${at}.instId`);
    const f: TickerFields = { ...EMPTY_TICKER_FIELDS };
    const ts = fill(t, at, f);
    yield { type: 'ticker', venue: 'okx', symbol, ts, localTs, ...f };
  }
}

/**
 * `liquidation-orders` (subscribed per instType) -> one liquidation per `details[]` item.
 * `side` is the liquidation ORDER's side, already our convention; `posSide` must agree with it.
 * Price: `bkPx`, the bankruptcy price (the channel gives no fill price). Size: contracts -> base.
 */
class OkxLiquidationOrdersMapper extends ChannelMapper {
  readonly channels = ['liquidation-orders'];
  constructor(private readonly units: OkxUnits) {
    super();
  }

  override subscriptions(): OkxArg[] {
    return [{ channel: 'liquidation-orders', instType: 'SWAP' }];
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const item = obj(data[i], at);
      const symbol = str(item.instId, `${at}.instId`);
      const contract = this.units.contract(symbol, `${at}.instId`);
      const details = arr(item.details, `${at}.details`);
      for (let j = 0; j < details.length; j++) {
        const dat = `${at}.details[${j}]`;
        yield liquidationDetail(obj(details[j], dat), dat, symbol, contract, localTs);
      }
    }
  }
}

/**
 * Tardis's `liquidations` channel, `"generated": true` in `arg` -> liquidation per `data[]` item.
 * Not an OKX channel: while recording, Tardis.dev polled OKX's REST
 * `GET /api/v5/public/liquidation-orders` and wrote each result as a frame of this made-up
 * channel (SOURCES.md §5; tardis-node `OkexV5LiquidationsMapper` reads `arg.instId` and each
 * item's `bkPx`, `sz`, `side`, `ts`). Each `data[]` item is a liquidation-orders DETAIL
 * (`bkPx`, `side`, `posSide`, `sz`, `ts`), mapped by the same rules. The same channel name
 * without `generated` is nothing we know: E_MESSAGE.
 */
class TardisGeneratedLiquidationsMapper extends ChannelMapper {
  readonly channels = ['liquidations'];
  constructor(private readonly units: OkxUnits) {
    super();
  }

  override canHandle(msg: JsonObject): boolean {
    return isObject(msg.arg) && msg.arg.channel === 'liquidations' && msg.arg.generated === true;
  }

  /** Nothing to subscribe to: OKX has no such channel. */
  override subscriptions(): OkxArg[] {
    return [];
  }

  *map(msg: JsonObject, localTs: number): Iterable<MarketEvent> {
    const symbol = str(obj(msg.arg, 'arg').instId, 'arg.instId');
    const contract = this.units.contract(symbol, 'arg.instId');
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      yield liquidationDetail(obj(data[i], at), at, symbol, contract, localTs);
    }
  }
}

/** One liquidation-orders detail: order side as is (checked against posSide), bkPx, contracts -> base. */
function liquidationDetail(d: JsonObject, at: string, symbol: string, contract: Contract, localTs: number): LiquidationEvent {
  const side = sideOf(d.side, `${at}.side`, 'buy', 'sell');
  checkPosSide(d.posSide, side, `${at}.posSide`);
  const price = dec(d.bkPx, `${at}.bkPx`, 'positive');
  return {
    type: 'liquidation',
    venue: 'okx',
    symbol,
    ts: ms(d.ts, `${at}.ts`),
    localTs,
    price,
    qty: toBaseQty(contract, dec(d.sz, `${at}.sz`, 'positive'), price),
    side,
    id: '',
  };
}

/** A long is closed by a sell, a short by a buy; `net` (one-way mode) says nothing more. */
function checkPosSide(v: unknown, side: Side, path: string): void {
  const pos = str(v, path);
  if (pos === 'net' || (pos === 'long' && side === 'sell') || (pos === 'short' && side === 'buy')) return;
  throw new ParseError('E_SIDE', pos === 'long' || pos === 'short' ? `posSide ${pos} contradicts order side ${side}` : 'expected long, short or net', path, pos);
}

// ---------------------------------------------------------------------------------------------
// Live-connection frames (live.ts): events, book sequencing, trade-id coverage, REST envelopes.
// Each throws ParseError naming the field, as the mappers above do.

/** A reply frame (`"event"` key) as live.ts acts on it. */
export type OkxEventFrame =
  /** A subscription acknowledged or removed. */
  | { readonly event: 'subscribe' | 'unsubscribe'; readonly arg: OkxArg; readonly id: string | undefined }
  /**
   * A refused request. OKX's 60018 reply has no `arg`: the refused subscription is named only
   * in `msg` ("Wrong URL or channel:books,instId:X doesn't exist..."), read into `target`.
   */
  | { readonly event: 'error'; readonly code: string; readonly msg: string; readonly target: OkxArg | undefined; readonly id: string | undefined }
  /** `notice`: 64008 = the connection closes soon for a service upgrade. */
  | { readonly event: 'notice'; readonly code: string; readonly msg: string }
  /** Anything else (private-channel events such as `channel-conn-count`): nothing to do. */
  | { readonly event: 'other'; readonly name: string };

/** A subscription argument (`arg`): channel plus instId or instType. */
export function okxArgOf(v: unknown, path: string): OkxArg {
  const a = obj(v, path);
  const channel = str(a.channel, `${path}.channel`);
  const instId = a.instId === undefined ? undefined : str(a.instId, `${path}.instId`);
  const instType = a.instType === undefined ? undefined : str(a.instType, `${path}.instType`);
  if (instId === undefined && instType === undefined) throw new ParseError('E_FIELD', 'missing field (instId or instType)', `${path}.instId`);
  return instId === undefined ? { channel, instType } : { channel, instId };
}

/** `id` echoes the request's (OKX: "returned in response message for identifying the corresponding request"). */
export function parseOkxEvent(msg: JsonObject): OkxEventFrame {
  const event = str(msg.event, 'event');
  const id = msg.id === undefined ? undefined : str(msg.id, 'id');
  switch (event) {
    case 'subscribe':
    case 'unsubscribe':
      return { event, arg: okxArgOf(msg.arg, 'arg'), id };
    case 'error': {
      const code = str(msg.code, 'code');
      const text = typeof msg.msg === 'string' ? msg.msg : '';
      return { event, code, msg: text, target: msg.arg !== undefined ? okxArgOf(msg.arg, 'arg') : okxErrorTarget(text), id };
    }
    case 'notice':
      return { event, code: str(msg.code, 'code'), msg: typeof msg.msg === 'string' ? msg.msg : '' };
    default:
      return { event: 'other', name: event };
  }
}

/**
 * The subscription an error text names: `channel:books,instId:X` (60018) or the request echoed
 * by 60012 (`"channel" : "books", "instId" : "X"`); undefined when it names none.
 */
export function okxErrorTarget(text: string): OkxArg | undefined {
  const plain = /channel:\s*([^,\s]+)\s*,\s*(instId|instType|instFamily)\s*:\s*([^\s,]+)/i.exec(text);
  const echoed = plain ?? /"channel"\s*:\s*"([^"]+)"\s*,\s*"(instId|instType|instFamily)"\s*:\s*"([^"]+)"/.exec(text);
  if (!echoed) return undefined;
  const [, channel, key, value] = echoed;
  return key.toLowerCase() === 'insttype' ? { channel, instType: value } : { channel, instId: value };
}

/** `seqId`, `prevSeqId`, `checksum` of a books data item; each absent in older frames. */
export function okxBookSeq(item: JsonObject, at: string): { seqId?: number; prevSeqId?: number; checksum?: number } {
  return {
    seqId: item.seqId === undefined ? undefined : int(item.seqId, `${at}.seqId`),
    prevSeqId: item.prevSeqId === undefined ? undefined : int(item.prevSeqId, `${at}.prevSeqId`),
    checksum: item.checksum === undefined ? undefined : int(item.checksum, `${at}.checksum`),
  };
}

/** The trade ids a trades item covers (one id; a range where OKX aggregates). */
export interface OkxTradeSpan {
  readonly first: number;
  readonly last: number;
}

/**
 * The trade ids a `trades` item covers: `tradeId` is the LAST id of an aggregation of `count`
 * fills ("if tradeId = 123 and count = 3, it means the message aggregates the trades of tradeId
 * = 123, 122, and 121"); frames without `count` (before 2023) are one fill. Undefined for a
 * non-numeric id (no gap detection possible then).
 */
export function okxTradeSpan(item: JsonObject, at: string): OkxTradeSpan | undefined {
  const id = str(item.tradeId, `${at}.tradeId`);
  if (!/^\d{1,15}$/.test(id)) return undefined;
  const last = Number(id);
  if (item.count === undefined) return { first: last, last };
  const count = str(item.count, `${at}.count`);
  if (!/^[1-9]\d{0,5}$/.test(count)) throw new ParseError('E_NUMBER', 'expected a positive integer', `${at}.count`, count);
  return { first: Math.max(0, last - Number(count) + 1), last };
}

/** A REST reply `{"code":"0","msg":"","data":[...]}`; a code other than "0" is the venue's error. */
export function okxRestEnvelope(body: unknown): { readonly code: string; readonly msg: string; readonly data: readonly unknown[] } {
  const b = obj(body, 'body');
  const code = str(b.code, 'code');
  const msg = typeof b.msg === 'string' ? b.msg : '';
  return { code, msg, data: code === '0' ? arr(b.data, 'data') : [] };
}
