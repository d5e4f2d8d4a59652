/**
 * The bus batch format `ofb/1`: the events of one subject (one venue, symbol and type), as
 * typed columns in one fixed little-endian layout. Compact (a trade is 33 bytes plus its id), read
 * without JSON and without a schema service, and versioned by its 4th byte.
 *
 * ```
 * offset  bytes   field
 * 0       3       magic "OFB"
 * 3       1       version (1)
 * 4       1       type: 1 trade, 2 liquidation, 3 book, 4 ticker
 * 5       1       venue: index in VENUES (0 binance, 1 binance-spot, 2 okx, 3 bybit)
 * 6       2       u16 symbol length S (UTF-8 bytes)
 * 8       4       u32 event count N
 * 12      S       symbol, UTF-8
 * then columns, each N values long unless said:
 *   ts        f64   exchange time, epoch ms (finite)
 *   localTs   f64   receive time, epoch ms (NaN when unknown)
 * trade, liquidation:
 *   price f64, qty f64, side u8 (0 buy, 1 sell),
 *   id: u32 offsets (N + 1, from 0, non-decreasing) then the UTF-8 bytes of all ids
 * book:
 *   isSnapshot u8 (0 or 1), seq f64 (NaN when none), bidCount u32, askCount u32,
 *   then L = sum(bidCount + askCount) levels: price f64 x L, qty f64 x L
 *   (each event's bids, then its asks, in event order)
 * ticker:
 *   the 15 figures of EMPTY_TICKER_FIELDS, in that order, f64 each (NaN = not given)
 * ```
 * The buffer ends exactly after the last column. Decoding checks every count against the bytes
 * present and every coded value against its domain, and names the field at fault.
 */
import { EMPTY_TICKER_FIELDS, VENUES, type BookEvent, type BookLevel, type EventType, type LiquidationEvent, type MarketEvent, type TickerEvent, type TickerFields, type TradeEvent, type Venue } from '../core/events.ts';
import { isValidSymbol } from '../core/symbol.ts';
import { BusError } from './errors.ts';

export const BATCH_VERSION = 1;
/** The format's name in the `Orderflow-Batch` header. */
export const BATCH_FORMAT = `ofb/${BATCH_VERSION}`;
const MAGIC = [0x4f, 0x46, 0x42]; // "OFB"
const HEADER_BYTES = 12;
const TYPE_CODE: Record<EventType, number> = { trade: 1, liquidation: 2, book: 3, ticker: 4 };
const CODE_TYPE: readonly (EventType | undefined)[] = [undefined, 'trade', 'liquidation', 'book', 'ticker'];
export const TICKER_FIELDS = Object.keys(EMPTY_TICKER_FIELDS) as (keyof TickerFields)[];
/** Largest batch the decoder accepts, events: far above a flush's worth, far below memory trouble. */
export const MAX_BATCH_EVENTS = 1 << 22;

/** A decoded batch: the subject's parts and its events, in the order they were published. */
export interface Batch {
  readonly venue: Venue;
  readonly symbol: string;
  readonly type: EventType;
  readonly events: readonly MarketEvent[];
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/**
 * Encode events of one venue, symbol and type (the caller groups them; a stray event is a
 * programming error and throws).
 */
export function encodeBatch(venue: Venue, symbol: string, type: EventType, events: readonly MarketEvent[]): Uint8Array {
  const n = events.length;
  const sym = enc.encode(symbol);
  let size = HEADER_BYTES + sym.length + 16 * n;
  let ids: Uint8Array[] | undefined;
  let levels = 0;
  if (type === 'trade' || type === 'liquidation') {
    ids = new Array(n);
    let idBytes = 0;
    for (let i = 0; i < n; i++) {
      ids[i] = enc.encode((events[i] as TradeEvent | LiquidationEvent).id);
      idBytes += ids[i].length;
    }
    size += n * 17 + 4 * (n + 1) + idBytes;
  } else if (type === 'book') {
    for (const e of events) levels += (e as BookEvent).bids.length + (e as BookEvent).asks.length;
    size += n * 17 + levels * 16;
  } else size += n * 8 * TICKER_FIELDS.length;
  const buf = new Uint8Array(size);
  const v = new DataView(buf.buffer);
  buf.set(MAGIC, 0);
  buf[3] = BATCH_VERSION;
  buf[4] = TYPE_CODE[type];
  buf[5] = VENUES.indexOf(venue);
  v.setUint16(6, sym.length, true);
  v.setUint32(8, n, true);
  buf.set(sym, HEADER_BYTES);
  let o = HEADER_BYTES + sym.length;
  for (const e of events) {
    if (e.type !== type || e.venue !== venue || e.symbol !== symbol) throw new Error(`encodeBatch: a ${e.type} of ${e.venue} ${e.symbol} in a ${type} batch of ${venue} ${symbol}`);
  }
  const f64 = (get: (e: MarketEvent) => number) => {
    for (let i = 0; i < n; i++, o += 8) v.setFloat64(o, get(events[i]), true);
  };
  f64((e) => e.ts);
  f64((e) => e.localTs);
  if (ids) {
    const t = events as readonly (TradeEvent | LiquidationEvent)[];
    f64((e) => (e as TradeEvent).price);
    f64((e) => (e as TradeEvent).qty);
    for (let i = 0; i < n; i++) buf[o++] = t[i].side === 'buy' ? 0 : 1;
    let at = 0;
    v.setUint32(o, 0, true);
    o += 4;
    for (let i = 0; i < n; i++, o += 4) v.setUint32(o, (at += ids[i].length), true);
    for (const id of ids) {
      buf.set(id, o);
      o += id.length;
    }
  } else if (type === 'book') {
    const b = events as readonly BookEvent[];
    for (let i = 0; i < n; i++) buf[o++] = b[i].isSnapshot ? 1 : 0;
    f64((e) => (e as BookEvent).seq);
    for (let i = 0; i < n; i++, o += 4) v.setUint32(o, b[i].bids.length, true);
    for (let i = 0; i < n; i++, o += 4) v.setUint32(o, b[i].asks.length, true);
    let q = o + levels * 8;
    for (const e of b) {
      for (const side of [e.bids, e.asks]) {
        for (const [p, qty] of side) {
          v.setFloat64(o, p, true);
          v.setFloat64(q, qty, true);
          o += 8;
          q += 8;
        }
      }
    }
    o = q;
  } else {
    for (const k of TICKER_FIELDS) f64((e) => (e as TickerEvent)[k]);
  }
  if (o !== size) throw new Error(`encodeBatch: wrote ${o} of ${size} bytes`);
  return buf;
}

/** Reads one batch, checking each count against the bytes present and each value against its domain. */
class Reader {
  o = 0;
  readonly v: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly type: string,
  ) {
    this.v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  need(bytes: number, field: string): void {
    if (this.o + bytes > this.buf.length) throw new BusError('E_BATCH_TRUNCATED', `batch ends after ${this.buf.length} bytes, ${this.o + bytes} needed`, field);
  }

  f64s(n: number, field: string, finite: boolean): Float64Array {
    this.need(8 * n, `${this.type}.${field}`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++, this.o += 8) {
      const x = this.v.getFloat64(this.o, true);
      if (finite && !Number.isFinite(x)) throw new BusError('E_BATCH_FIELD', `${x} where a finite number is required`, `${this.type}.${field}[${i}]`);
      out[i] = x;
    }
    return out;
  }

  u8s(n: number, field: string, max: number): Uint8Array {
    this.need(n, `${this.type}.${field}`);
    const out = this.buf.subarray(this.o, this.o + n);
    for (let i = 0; i < n; i++) if (out[i] > max) throw new BusError('E_BATCH_FIELD', `code ${out[i]}, expected 0..${max}`, `${this.type}.${field}[${i}]`);
    this.o += n;
    return out;
  }

  u32s(n: number, field: string): Uint32Array {
    this.need(4 * n, `${this.type}.${field}`);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++, this.o += 4) out[i] = this.v.getUint32(this.o, true);
    return out;
  }

  text(bytes: number, field: string): string {
    this.need(bytes, field);
    try {
      return dec.decode(this.buf.subarray(this.o, (this.o += bytes)));
    } catch {
      throw new BusError('E_BATCH_FIELD', 'not valid UTF-8', field);
    }
  }
}

export function decodeBatch(buf: Uint8Array): Batch {
  if (buf.length < 4 || buf[0] !== MAGIC[0] || buf[1] !== MAGIC[1] || buf[2] !== MAGIC[2]) throw new BusError('E_BATCH_MAGIC', 'not an orderflow batch (no "OFB" magic)', 'magic');
  if (buf[3] !== BATCH_VERSION) throw new BusError('E_BATCH_VERSION', `batch format version ${buf[3]}; this orderflow reads version ${BATCH_VERSION}`, 'version');
  const r = new Reader(buf, 'batch');
  r.need(HEADER_BYTES, 'header');
  const type = CODE_TYPE[buf[4]];
  if (!type) throw new BusError('E_BATCH_FIELD', `type code ${buf[4]}, expected 1..4`, 'type');
  const venue = VENUES[buf[5]];
  if (!venue) throw new BusError('E_BATCH_FIELD', `venue code ${buf[5]}, expected 0..${VENUES.length - 1}`, 'venue');
  const symLen = r.v.getUint16(6, true);
  const n = r.v.getUint32(8, true);
  if (n > MAX_BATCH_EVENTS) throw new BusError('E_BATCH_FIELD', `${n} events, at most ${MAX_BATCH_EVENTS} accepted`, 'count');
  r.o = HEADER_BYTES;
  const symbol = r.text(symLen, 'symbol');
  if (!isValidSymbol(symbol)) throw new BusError('E_BATCH_FIELD', `symbol ${JSON.stringify(symbol.slice(0, 40))} is not one orderflow stores`, 'symbol');
  const t = new Reader(buf, type);
  t.o = r.o;
  // Cheapest check first: a count far beyond the bytes present fails before any allocation.
  t.need(16 * n, `${type}.ts`);
  const ts = t.f64s(n, 'ts', true);
  const localTs = t.f64s(n, 'localTs', false);
  const events: MarketEvent[] = new Array(n);
  if (type === 'trade' || type === 'liquidation') {
    const price = t.f64s(n, 'price', true);
    const qty = t.f64s(n, 'qty', true);
    const side = t.u8s(n, 'side', 1);
    const offsets = t.u32s(n + 1, 'id.offsets');
    if (offsets[0] !== 0) throw new BusError('E_BATCH_FIELD', `first id offset ${offsets[0]}, expected 0`, `${type}.id.offsets[0]`);
    for (let i = 1; i <= n; i++) if (offsets[i] < offsets[i - 1]) throw new BusError('E_BATCH_FIELD', `id offset ${offsets[i]} below the previous ${offsets[i - 1]}`, `${type}.id.offsets[${i}]`);
    const idStart = t.o;
    t.need(offsets[n], `${type}.id`);
    for (let i = 0; i < n; i++) {
      t.o = idStart + offsets[i];
      const id = t.text(offsets[i + 1] - offsets[i], `${type}.id[${i}]`);
      events[i] = { type, venue, symbol, ts: ts[i], localTs: localTs[i], price: price[i], qty: qty[i], side: side[i] === 0 ? 'buy' : 'sell', id };
    }
    t.o = idStart + offsets[n];
  } else if (type === 'book') {
    const snap = t.u8s(n, 'isSnapshot', 1);
    const seq = t.f64s(n, 'seq', false);
    const bidCount = t.u32s(n, 'bidCount');
    const askCount = t.u32s(n, 'askCount');
    let levels = 0;
    for (let i = 0; i < n; i++) levels += bidCount[i] + askCount[i];
    t.need(16 * levels, 'book.levels');
    const price = t.f64s(levels, 'price', true);
    const qty = t.f64s(levels, 'qty', true);
    let k = 0;
    const side = (count: number): BookLevel[] => {
      const out: BookLevel[] = new Array(count);
      for (let j = 0; j < count; j++, k++) out[j] = [price[k], qty[k]];
      return out;
    };
    for (let i = 0; i < n; i++) {
      const bids = side(bidCount[i]);
      const asks = side(askCount[i]);
      events[i] = { type, venue, symbol, ts: ts[i], localTs: localTs[i], isSnapshot: snap[i] === 1, bids, asks, seq: seq[i] };
    }
  } else {
    const cols = TICKER_FIELDS.map((k) => t.f64s(n, k, false));
    for (let i = 0; i < n; i++) {
      const e: Record<string, unknown> = { type, venue, symbol, ts: ts[i], localTs: localTs[i] };
      for (let c = 0; c < cols.length; c++) e[TICKER_FIELDS[c]] = cols[c][i];
      events[i] = e as unknown as TickerEvent;
    }
  }
  if (t.o !== buf.length) throw new BusError('E_BATCH_FIELD', `${buf.length - t.o} bytes after the last column`, `${type}.end`);
  return { venue, symbol, type, events };
}

/** Byte range of the localTs column: a content hash leaves it out (a re-received event is the same event). */
export function localTsRange(buf: Uint8Array): [number, number] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = v.getUint32(8, true);
  const start = HEADER_BYTES + v.getUint16(6, true) + 8 * n;
  return [start, start + 8 * n];
}
