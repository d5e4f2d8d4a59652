/**
 * Binance historical files -> EventSink calls: the data.binance.vision archive CSVs (USD-M futures
 * and spot), the historical order-book download CSV (T_DEPTH), and WebSocket captures.
 *
 * Each format is a streaming line parser: the importer feeds lines, ordering checks (time going
 * backwards, duplicate ids) are the importer's. Hot formats (aggTrades, trades) call the
 * positional sink methods with no object per row and no regex per row.
 *
 * Layouts (headers verified against files quoted in public repositories; the evidence for each is
 * in docs/normalization/binance.md):
 *   USD-M aggTrades   agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker
 *   USD-M trades      id,price,qty,quote_qty,time,is_buyer_maker
 *   bookDepth         timestamp,percentage,depth,notional                 (timestamp `2023-01-01 00:00:08` UTC)
 *   bookTicker        update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time
 *   metrics           create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,
 *                     sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio
 *   fundingRate       calc_time,funding_interval_hours,last_funding_rate
 *   *klines           open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,
 *                     taker_buy_quote_volume,ignore
 *   liquidationSnapshot time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,
 *                     last_fill_quantity,accumulated_fill_quantity
 *   spot aggTrades    (no header) id,price,qty,first,last,time,is_buyer_maker,is_best_match; µs since 2025
 *   spot trades       (no header) id,price,qty,quote_qty,time,is_buyer_maker,is_best_match; µs since 2025
 *   T_DEPTH           symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu
 * Older archives have no header row: every format accepts files with and without it.
 */
import { DECIMAL_TEXT, POW10 } from '../../core/decimal.ts';
import { ParseError } from '../../core/errors.ts';
import { EMPTY_TICKER_FIELDS, type KlineRecord, type Side, type Venue } from '../../core/events.ts';
import type { BulkTradeCsv, EventSink, FileFormat, LineParser, ParseContext } from '../../core/format.ts';
import { InstrumentRegistry, toBaseQty } from '../../core/instruments.ts';
import { bool, epochMs, epochMsAnyUnit, MAX_MS, MIN_MS, nonNegative, num, positive, splitCsv } from '../../core/parse-util.ts';
import { captureFormat } from '../capture.ts';
import { createBinanceParser } from './parse.ts';
import { TradeArchiveScanner, type TradeArchiveLayout } from './trade-archive-scan.ts';

// ---------------------------------------------------------------------------------------------
// Headers and headerless row shapes

export const BINANCE_HEADERS = {
  aggTrades: 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker',
  trades: 'id,price,qty,quote_qty,time,is_buyer_maker',
  bookDepth: 'timestamp,percentage,depth,notional',
  bookTicker: 'update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time',
  metrics:
    'create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio',
  fundingRate: 'calc_time,funding_interval_hours,last_funding_rate',
  klines: 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore',
  liquidationSnapshot:
    'time,side,order_type,time_in_force,original_quantity,price,average_price,order_status,last_fill_quantity,accumulated_fill_quantity',
  tDepth: 'symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu',
} as const;

/**
 * Column shapes for recognising a headerless first row (detection only, never per row):
 * i integer, d decimal (signed), b boolean, S BUY/SELL, w word, t `YYYY-MM-DD HH:MM:SS`, * anything.
 */
const SHAPES = {
  umAggTrades: 'iddiiib',
  umTrades: 'idddib',
  bookDepth: 'tddd',
  bookTicker: 'iddddii',
  metrics: 'twdddddd',
  fundingRate: 'iid',
  klines: 'idddddididd*',
  liquidationSnapshot: 'iSwwdddwdd',
  tDepth: 'wiiiwwddd',
  spotAggTrades: 'iddiiibb',
  spotTrades: 'idddibb',
} as const;

const SHAPE_TESTS: Record<string, RegExp> = {
  i: /^\d+$/,
  d: DECIMAL_TEXT,
  b: /^(true|false|True|False|TRUE|FALSE)$/,
  S: /^(BUY|SELL)$/,
  w: /^[A-Za-z][A-Za-z0-9_]*$/,
  t: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
  '*': /^/,
};

function matchesShape(line: string, shape: string): boolean {
  const cols = line.split(',');
  if (cols.length !== shape.length) return false;
  for (let i = 0; i < cols.length; i++) if (!SHAPE_TESTS[shape[i]].test(cols[i])) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// File names: `BTCUSDT-aggTrades-2024-01-01.csv`, `BTCUSDT-1m-2024-01-01.csv` (all kline kinds)

/** Dataset names used in data.binance.vision file names (klines use the interval instead). */
const NAME_KINDS = new Set([
  'aggTrades', 'trades', 'bookDepth', 'bookTicker', 'metrics', 'fundingRate', 'liquidationSnapshot',
]);
/**
 * Kline kinds appear only in the archive's directory (`futures/um/daily/markPriceKlines/BTCUSDT/1m/`):
 * the file itself is `BTCUSDT-1m-2024-01-01.zip` for all four (binance-public-data
 * `python/download-futures-markPriceKlines.py`). A name or path that carries the word selects it.
 */
const KLINE_DIR_KINDS = ['markPriceKlines', 'indexPriceKlines', 'premiumIndexKlines'] as const;
const INTERVALS = new Set(['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1mo', '1M']);

interface NameInfo {
  readonly symbol: string;
  /** A NAME_KINDS entry, a KLINE_DIR_KINDS entry, or `klines`. */
  readonly kind: string;
  readonly interval?: string;
}

function baseName(fileName: string): string {
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  let base = fileName.slice(slash + 1);
  for (;;) {
    const dot = base.lastIndexOf('.');
    if (dot <= 0 || !/^(csv|zip|gz|txt)$/i.test(base.slice(dot + 1))) return base;
    base = base.slice(0, dot);
  }
}

/** `BTCUSDT-aggTrades-2024-01-01.csv` -> {BTCUSDT, aggTrades}; undefined when not that scheme. */
export function parseBinanceFileName(fileName: string): NameInfo | undefined {
  const parts = baseName(fileName).split('-');
  if (parts.length < 3 || !/^[A-Z0-9_]+$/.test(parts[0])) return undefined;
  const dirKind = KLINE_DIR_KINDS.find((k) => fileName.includes(k));
  if (INTERVALS.has(parts[1])) return { symbol: parts[0], kind: dirKind ?? 'klines', interval: parts[1] };
  if (NAME_KINDS.has(parts[1])) return { symbol: parts[0], kind: parts[1] };
  if (dirKind !== undefined && parts[1] === dirKind && parts.length >= 4 && INTERVALS.has(parts[2])) {
    return { symbol: parts[0], kind: dirKind, interval: parts[2] };
  }
  return undefined;
}

/** Quote assets a Binance symbol ends in (USD-M: USDT, USDC, formerly BUSD; spot also FDUSD; COIN-M: USD). */
const NAME_QUOTES = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'USD'] as const;
const QUOTE_ONLY: ReadonlySet<string> = new Set(NAME_QUOTES);

/**
 * The symbol a file name carries. The archive scheme `<SYMBOL>-<kind>-<date>` first; otherwise a
 * name someone gave the file (`binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv`): the one
 * token (split on `-`, `_`, `.`) that is upper-case alphanumeric and ends in a quote asset, or a
 * COIN-M `<BASE>USD_PERP`. None, or two different ones, is no symbol (the parser then asks for
 * `--symbol`).
 */
export function symbolFromName(fileName: string): string | undefined {
  const named = parseBinanceFileName(fileName)?.symbol;
  if (named !== undefined) return named;
  const found = new Set<string>();
  for (const part of baseName(fileName).split(/[-.]/)) {
    if (/^[A-Z0-9]+USD_PERP$/.test(part)) {
      found.add(part);
      continue;
    }
    for (const token of part.split('_')) {
      if (/^[A-Z0-9]+$/.test(token) && !QUOTE_ONLY.has(token) && NAME_QUOTES.some((q) => token.length > q.length && token.endsWith(q))) found.add(token);
    }
  }
  return found.size === 1 ? [...found][0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Detection

interface DetectSpec {
  /** The file-name kinds that are this format's. */
  readonly kinds: readonly string[];
  readonly header?: string;
  readonly shape: string;
  /** Another format has the same header (the kline family): the name must not say otherwise. */
  readonly headerShared?: boolean;
  /** Another format has the same file names (spot vs USD-M): the name alone is not enough. */
  readonly nameShared?: boolean;
  /** Only the name can tell this format (mark / index / premium klines). */
  readonly nameRequired?: boolean;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * 2: our header. 1: a headerless row of our shape, or our name and a row we will report on.
 * 0: someone else's header or name, or nothing of ours.
 */
function detectWith(spec: DetectSpec, fileName: string, firstLine: string): number {
  const line = firstLine.endsWith('\r') ? firstLine.slice(0, -1) : firstLine;
  const kind = parseBinanceFileName(fileName)?.kind;
  const nameIsOurs = kind !== undefined && spec.kinds.includes(kind);
  const nameIsOther = kind !== undefined && !nameIsOurs;
  if (spec.nameRequired && !nameIsOurs) return 0;
  if (spec.header !== undefined && line === spec.header) return nameIsOther && spec.headerShared ? 0 : 2;
  if (nameIsOther) return 0;
  if (matchesShape(line, spec.shape)) return 1;
  if (line.length > 0 && isLetter(line.charCodeAt(0))) return 0; // a header, not ours
  return nameIsOurs && !spec.nameShared ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Row helpers: regex-free fast paths that defer to the core helpers (same value, same error)

function symbolUnknown(): ParseError {
  return new ParseError('E_FIELD', 'symbol unknown: name the file <SYMBOL>-<kind>-<date>.csv or pass --symbol (any other name must hold exactly one symbol, such as BTCUSDT)', 'symbol');
}

/** Line 1: our header -> true (skip it); another header -> E_HEADER; a data row -> false. */
function isHeader(text: string, header: string | undefined, what: string): boolean {
  if (text === header) return true;
  if (text.length > 0 && isLetter(text.charCodeAt(0))) {
    throw new ParseError('E_HEADER', header ? `not the ${what} header (${header})` : `${what} files have no header row`, undefined, text);
  }
  return false;
}

/** Digits and at most one dot: `+text` is exact and what `num` returns; anything else via core. */
function plainDecimal(text: string): number {
  const n = text.length;
  if (n === 0 || n > 40) return NaN;
  let dot = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c === 46 && !dot) {
      dot = true;
      continue;
    }
    return NaN;
  }
  return +text; // "." alone gives NaN
}

function fastPositive(text: string, field: string): number {
  const v = plainDecimal(text);
  return v > 0 ? v : positive(text, field);
}

function fastNonNegative(text: string, field: string): number {
  const v = plainDecimal(text);
  return v >= 0 ? v : nonNegative(text, field);
}

/** Up to 16 plain digits as an exact integer (every plausible ms or µs time), else NaN. */
function plainInteger(text: string): number {
  const n = text.length;
  if (n === 0 || n > 16) return NaN;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** epochMsAnyUnit with a fast path for ms (13 digits) and µs (16 digits). */
function fastEpochAnyUnit(text: string, field: string): number {
  const raw = plainInteger(text);
  if (raw >= 1e11 && raw < 1e14) {
    if (raw >= MIN_MS && raw < MAX_MS) return raw;
  } else if (raw >= 1e14 && raw < 1e17) {
    const ms = raw / 1e3;
    if (ms >= MIN_MS && ms < MAX_MS) return ms;
  }
  return epochMsAnyUnit(text, field);
}

/** epochMs(text, 'ms') with a fast path for plain digits. */
function fastEpochMs(text: string, field: string): number {
  const raw = plainInteger(text);
  return raw >= MIN_MS && raw < MAX_MS ? raw : epochMs(text, 'ms', field);
}

/** A non-empty run of digits (trade and update ids). */
function checkId(text: string, field: string): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) throw new ParseError('E_NUMBER', 'expected an integer id', field, text);
  }
  if (n === 0) throw new ParseError('E_NUMBER', 'missing id', field, text);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(text: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** `2023-01-01 00:00:08` (UTC, as bookDepth and metrics write it) -> epoch ms. */
export function utcDateTimeMs(text: string, field: string): number {
  const bad = (): ParseError => new ParseError('E_NUMBER', 'expected a UTC time YYYY-MM-DD HH:MM:SS', field, text);
  if (text.length !== 19 || text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') throw bad();
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  // NaN fails every comparison below.
  if (!(mo >= 1 && mo <= 12 && h <= 23 && mi <= 59 && s <= 59 && d >= 1)) throw bad();
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (!(d <= (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]))) throw bad();
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (!(ms >= MIN_MS && ms < MAX_MS)) throw new ParseError('E_TIME_UNIT', 'time implausible (outside 2009..2100)', field, text);
  return ms;
}

function orderSide(text: string, field: string): Side {
  if (text === 'SELL') return 'sell';
  if (text === 'BUY') return 'buy';
  throw new ParseError('E_SIDE', 'expected BUY or SELL', field, text);
}

// ---------------------------------------------------------------------------------------------
// Trades (the hot path)
//
// A row is first read by a scanner that allocates nothing but the id string: digits, decimals and
// booleans are read in place. A decimal of at most 15 significant digits is an exact integer m over
// 10^k, and m / 10^k is then correctly rounded: the same double as `+text` (the classic strtod fast
// path). Anything unusual (exponents, more digits, second timestamps, a bad field) makes the
// scanner give up, and the split-based parser below reads the row again: it accepts what the core
// helpers accept and throws their errors, so the scanner changes speed, never results.

/** Scanner cursor (parsers run one line at a time). */
let at = 0;

/** A run of digits at the cursor: its length (0 if none); stops at anything else. */
function scanDigits(text: string): number {
  const from = at;
  let c = text.charCodeAt(at);
  while (c >= 48 && c <= 57) c = text.charCodeAt(++at);
  return at - from;
}

/** An unsigned plain decimal of 1..15 digits at the cursor, else NaN. */
function scanDecimal(text: string): number {
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) {
      frac = 0;
    } else {
      break;
    }
    at++;
  }
  if (digits === 0 || digits > 15) return NaN;
  return frac > 0 ? m / POW10[frac] : m;
}

/** A ms (13 digits) or µs (16 digits) time at the cursor -> epoch ms, else NaN. */
function scanTime(text: string): number {
  const from = at;
  let raw = 0;
  let c = text.charCodeAt(at);
  while (c >= 48 && c <= 57) {
    raw = raw * 10 + (c - 48);
    c = text.charCodeAt(++at);
  }
  const n = at - from;
  const ms = n === 13 ? raw : n === 16 ? raw / 1e3 : NaN;
  return ms >= MIN_MS && ms < MAX_MS ? ms : NaN;
}

/** true/false in any case Binance writes: 1, 0, or -1 for anything else. */
function scanBool(text: string): number {
  const c = text.charCodeAt(at);
  if (c === 116 && text.startsWith('true', at)) return (at += 4), 1;
  if (c === 102 && text.startsWith('false', at)) return (at += 5), 0;
  if (c === 84 && (text.startsWith('True', at) || text.startsWith('TRUE', at))) return (at += 4), 1;
  if (c === 70 && (text.startsWith('False', at) || text.startsWith('FALSE', at))) return (at += 5), 0;
  return -1;
}

function comma(text: string): boolean {
  return text.charCodeAt(at++) === 44;
}

/**
 * A row of either trade archive without splitting, `id,price,qty,<middle>,time,is_buyer_maker[,is_best_match]`,
 * the middle being `first_id,last_id` (aggTrades) or `quote_qty` (trades); false when the row
 * needs the careful parser.
 */
function scanTradeRow(text: string, agg: boolean, spot: boolean, venue: Venue, symbol: string, sink: EventSink): boolean {
  at = 0;
  const idLen = scanDigits(text);
  if (idLen === 0 || !comma(text)) return false;
  const price = scanDecimal(text);
  if (!(price > 0) || !comma(text)) return false;
  const qty = scanDecimal(text);
  if (!(qty > 0) || !comma(text)) return false;
  if (agg) {
    if (scanDigits(text) === 0 || !comma(text) || scanDigits(text) === 0 || !comma(text)) return false;
  } else if (!(scanDecimal(text) > 0) || !comma(text)) return false;
  const ts = scanTime(text);
  if (!(ts === ts) || !comma(text)) return false;
  const buyerIsMaker = scanBool(text);
  if (buyerIsMaker < 0) return false;
  if (spot && (!comma(text) || scanBool(text) < 0)) return false;
  if (at !== text.length) return false;
  sink.trade(venue, symbol, ts, NaN, price, qty, buyerIsMaker === 1 ? 'sell' : 'buy', text.slice(0, idLen));
  return true;
}

/** The two trade archives' field names (their headers'), for the line parser and the bulk load. */
const TRADE_FIELDS = {
  aggTrades: { id: 'agg_trade_id', price: 'price', qty: 'quantity', time: 'transact_time' },
  trades: { id: 'id', price: 'price', qty: 'qty', time: 'time' },
} as const;

/**
 * aggTrades `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker`
 * (id = aggregate id) or trades `id,price,qty,quote_qty,time,is_buyer_maker`; spot files add
 * is_best_match and have no header. `m` (is_buyer_maker) true => the taker SOLD. The timestamp
 * unit is read from the value (spot archives switched from ms to µs on 2025-01-01).
 */
function tradeArchiveParser(layout: TradeArchiveLayout, venue: Venue, ctx: ParseContext, spot: boolean): LineParser {
  const symbol = ctx.symbol;
  const agg = layout === 'aggTrades';
  const header = spot ? undefined : BINANCE_HEADERS[layout];
  const fields = TRADE_FIELDS[layout];
  const time = agg ? 5 : 4; // then is_buyer_maker, then (spot) is_best_match
  const cols = time + (spot ? 3 : 2);
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1 && isHeader(text, header, layout)) return;
      if (symbol === undefined) throw symbolUnknown();
      if (scanTradeRow(text, agg, spot, venue, symbol, sink)) return;
      const c = splitCsv(text, cols, layout);
      checkId(c[0], fields.id);
      const price = fastPositive(c[1], 'price');
      const qty = fastPositive(c[2], fields.qty);
      if (agg) {
        checkId(c[3], 'first_trade_id');
        checkId(c[4], 'last_trade_id');
      } else {
        fastPositive(c[3], 'quote_qty');
      }
      const ts = fastEpochAnyUnit(c[time], fields.time);
      const buyerIsMaker = bool(c[time + 1], 'is_buyer_maker');
      if (spot) bool(c[time + 2], 'is_best_match');
      sink.trade(venue, symbol, ts, NaN, price, qty, buyerIsMaker ? 'sell' : 'buy', c[0]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Low-volume USD-M archives

/**
 * The parser of a `kind` archive of one symbol: our header on line 1 is skipped, the symbol (file
 * name or --symbol) is required, and each row is split into the header's columns for `row`.
 */
function symbolRowsParser(
  ctx: ParseContext,
  kind: 'bookDepth' | 'bookTicker' | 'fundingRate' | 'klines',
  row: (c: string[], symbol: string, sink: EventSink) => void,
): LineParser {
  const symbol = ctx.symbol;
  const header = BINANCE_HEADERS[kind];
  const cols = header.split(',').length;
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1 && isHeader(text, header, kind)) return;
      if (symbol === undefined) throw symbolUnknown();
      row(splitCsv(text, cols, kind), symbol, sink);
    },
  };
}

/** bookDepth: resting depth within +-percentage of the mid; `-1` = bids within 1% below. */
function bookDepthParser(ctx: ParseContext): LineParser {
  let lastText = '';
  let lastMs = NaN;
  return symbolRowsParser(ctx, 'bookDepth', (c, symbol, sink) => {
    // A snapshot is ~10 rows with one timestamp: parse it once.
    if (c[0] !== lastText) {
      lastMs = utcDateTimeMs(c[0], 'timestamp');
      lastText = c[0];
    }
    sink.depthBand({
      venue: 'binance',
      symbol,
      ts: lastMs,
      percentage: num(c[1], 'percentage'),
      depth: nonNegative(c[2], 'depth'),
      notional: nonNegative(c[3], 'notional'),
    });
  });
}

/** bookTicker archive: best bid/ask; ts = transaction_time (as the stream's `T`). */
function bookTickerParser(ctx: ParseContext): LineParser {
  return symbolRowsParser(ctx, 'bookTicker', (c, symbol, sink) => {
    checkId(c[0], 'update_id');
    const fields = {
      ...EMPTY_TICKER_FIELDS,
      bestBid: fastPositive(c[1], 'best_bid_price'),
      bestBidQty: fastNonNegative(c[2], 'best_bid_qty'),
      bestAsk: fastPositive(c[3], 'best_ask_price'),
      bestAskQty: fastNonNegative(c[4], 'best_ask_qty'),
    };
    const ts = fastEpochMs(c[5], 'transaction_time');
    fastEpochMs(c[6], 'event_time');
    sink.ticker('binance', symbol, ts, NaN, fields);
  });
}

/**
 * metrics (5-minute statistics): open interest in base (`sum_open_interest`) and quote
 * (`sum_open_interest_value`); count_toptrader = top traders' long/short ACCOUNT ratio,
 * sum_toptrader = top traders' long/short POSITION ratio, count_long_short = all accounts,
 * sum_taker_long_short_vol = taker buy/sell volume. Rows carry their own symbol.
 */
function metricsParser(): LineParser {
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1 && isHeader(text, BINANCE_HEADERS.metrics, 'metrics')) return;
      const c = splitCsv(text, 8, 'metrics');
      const ts = utcDateTimeMs(c[0], 'create_time');
      if (c[1] === '') throw new ParseError('E_FIELD', 'missing symbol', 'symbol', c[1]);
      sink.ticker('binance', c[1], ts, NaN, {
        ...EMPTY_TICKER_FIELDS,
        openInterest: nonNegative(c[2], 'sum_open_interest'),
        openInterestValue: nonNegative(c[3], 'sum_open_interest_value'),
        topTraderAccountRatio: nonNegative(c[4], 'count_toptrader_long_short_ratio'),
        topTraderPositionRatio: nonNegative(c[5], 'sum_toptrader_long_short_ratio'),
        longShortRatio: nonNegative(c[6], 'count_long_short_ratio'),
        takerBuySellRatio: nonNegative(c[7], 'sum_taker_long_short_vol_ratio'),
      });
    },
  };
}

/** fundingRate: the rate settled at calc_time (ms, with real jitter: `...017`). */
function fundingRateParser(ctx: ParseContext): LineParser {
  return symbolRowsParser(ctx, 'fundingRate', (c, symbol, sink) => {
    const ts = fastEpochMs(c[0], 'calc_time');
    positive(c[1], 'funding_interval_hours');
    sink.ticker('binance', symbol, ts, NaN, { ...EMPTY_TICKER_FIELDS, fundingRate: num(c[2], 'last_funding_rate') });
  });
}

const INTERVAL_BY_MS = new Map<number, string>([
  [1_000, '1s'], [60_000, '1m'], [180_000, '3m'], [300_000, '5m'], [900_000, '15m'], [1_800_000, '30m'],
  [3_600_000, '1h'], [7_200_000, '2h'], [14_400_000, '4h'], [21_600_000, '6h'], [28_800_000, '8h'],
  [43_200_000, '12h'], [86_400_000, '1d'], [259_200_000, '3d'], [604_800_000, '1w'],
]);

/**
 * klines and the mark / index / premium-index variants. Trade klines carry volumes; the others
 * write "0" in the volume columns and a sample count in `count` (docs: "Ignore", "Number of basic
 * data"), so those become NaN. Premium index bars are a rate and may be zero or negative.
 */
function klinesParser(ctx: ParseContext, kind: KlineRecord['kind']): LineParser {
  const named = parseBinanceFileName(ctx.fileName)?.interval;
  const nameInterval = named === '1mo' ? '1M' : named;
  const price = kind === 'premium' ? num : positive;
  return symbolRowsParser(ctx, 'klines', (c, symbol, sink) => {
    const openTime = fastEpochMs(c[0], 'open_time');
    const closeTime = fastEpochMs(c[6], 'close_time');
    if (closeTime < openTime) throw new ParseError('E_NUMBER', 'close_time before open_time', 'close_time', c[6]);
    const interval = nameInterval ?? INTERVAL_BY_MS.get(closeTime + 1 - openTime);
    if (interval === undefined) {
      throw new ParseError('E_FIELD', 'kline interval unknown: name the file <SYMBOL>-<interval>-<date>.csv', 'close_time', c[6]);
    }
    const volume = nonNegative(c[5], 'volume');
    const quoteVolume = nonNegative(c[7], 'quote_volume');
    const trades = nonNegative(c[8], 'count');
    const takerBuyVolume = nonNegative(c[9], 'taker_buy_volume');
    const takerBuyQuoteVolume = nonNegative(c[10], 'taker_buy_quote_volume');
    const traded = kind === 'trade';
    sink.kline({
      venue: 'binance',
      symbol,
      kind,
      interval,
      openTime,
      closeTime,
      open: price(c[1], 'open'),
      high: price(c[2], 'high'),
      low: price(c[3], 'low'),
      close: price(c[4], 'close'),
      volume: traded ? volume : NaN,
      quoteVolume: traded ? quoteVolume : NaN,
      trades: traded ? trades : NaN,
      takerBuyVolume: traded ? takerBuyVolume : NaN,
      takerBuyQuoteVolume: traded ? takerBuyQuoteVolume : NaN,
      // Archives publish finished days and months: every bar is final.
      closed: true,
    });
  });
}

/**
 * liquidationSnapshot: the forceOrder stream written to CSV, same rule as parse.ts: price =
 * average_price when > 0 else price; qty = accumulated_fill_quantity when > 0 else
 * original_quantity; side = the forced order's side (SELL = a long was liquidated).
 * Only COIN-M files are published (`futures/cm/`, BTCUSD_PERP...), whose quantities are contracts:
 * they are converted with the instrument's contract value, and a COIN-M symbol without a known
 * instrument is an error. Every row is written twice in those files; since the stream pushes at
 * most one liquidation per symbol per second, identical rows are one liquidation: kept once.
 */
function liquidationSnapshotParser(ctx: ParseContext): LineParser {
  const symbol = ctx.symbol;
  const seen = new Set<string>();
  const inst = symbol === undefined ? undefined : ctx.instruments.get('binance', symbol);
  const coinMargined = symbol !== undefined && /USD_(PERP|\d{6})$/.test(symbol) && !/BUSD_/.test(symbol);
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1 && isHeader(text, BINANCE_HEADERS.liquidationSnapshot, 'liquidationSnapshot')) return;
      if (symbol === undefined) throw symbolUnknown();
      if (inst === undefined && coinMargined) {
        throw new ParseError('E_INSTRUMENT', `COIN-M quantities are contracts: instrument ${symbol} unknown, load instruments first`, 'original_quantity');
      }
      const c = splitCsv(text, 10, 'liquidationSnapshot');
      const ts = fastEpochMs(c[0], 'time');
      const side = orderSide(c[1], 'side');
      if (c[2] === '') throw new ParseError('E_FIELD', 'missing field', 'order_type', c[2]);
      if (c[3] === '') throw new ParseError('E_FIELD', 'missing field', 'time_in_force', c[3]);
      const q = positive(c[4], 'original_quantity');
      const p = positive(c[5], 'price');
      const ap = nonNegative(c[6], 'average_price');
      if (c[7] === '') throw new ParseError('E_FIELD', 'missing field', 'order_status', c[7]);
      nonNegative(c[8], 'last_fill_quantity');
      const z = nonNegative(c[9], 'accumulated_fill_quantity');
      if (seen.has(text)) return; // the duplicated copy of a row already emitted
      seen.add(text);
      const price = ap > 0 ? ap : p;
      const qty = z > 0 ? z : q;
      sink.liquidation('binance', symbol, ts, NaN, price, inst ? toBaseQty(inst, qty, price) : qty, side, '');
    },
  };
}

/**
 * The historical order-book download (T_DEPTH): one level per row. Rows with the same timestamp,
 * last_update_id and update_type are one message (a snapshot, or one diff), numbered per file.
 * `snap` = snapshot level, `set` = set the level to qty (0 deletes). `delta` (a quantity change,
 * documented but in no file we have seen) cannot be stored as a level and is refused.
 */
function tDepthParser(): LineParser {
  let msg = -1;
  let prevSymbol = '';
  let prevTs = '';
  let prevLast = '';
  let prevType = '';
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1 && text === BINANCE_HEADERS.tDepth) return;
      const c = splitCsv(text, 9, 'T_DEPTH');
      const symbol = c[0];
      if (symbol === '') throw new ParseError('E_FIELD', 'missing symbol', 'symbol', symbol);
      const ts = fastEpochMs(c[1], 'timestamp');
      checkId(c[2], 'first_update_id');
      checkId(c[3], 'last_update_id');
      const sideText = c[4];
      const side: Side = sideText === 'b' ? 'buy' : sideText === 'a' ? 'sell' : badSide(sideText);
      const type = c[5];
      let isSnapshot: boolean;
      if (type === 'snap') isSnapshot = true;
      else if (type === 'set') isSnapshot = false;
      else if (type === 'delta') throw new ParseError('E_SIDE', 'update_type delta (a quantity change, not a level) is not supported', 'update_type', type);
      else throw new ParseError('E_SIDE', 'expected snap or set', 'update_type', type);
      const price = fastPositive(c[6], 'price');
      const qty = fastNonNegative(c[7], 'qty');
      num(c[8], 'pu');
      if (symbol !== prevSymbol || c[1] !== prevTs || c[3] !== prevLast || type !== prevType) {
        msg++;
        prevSymbol = symbol;
        prevTs = c[1];
        prevLast = c[3];
        prevType = type;
      }
      sink.bookLevel('binance', symbol, ts, NaN, msg, isSnapshot, side, price, qty, +c[3]);
    },
  };
}

function badSide(text: string): never {
  throw new ParseError('E_SIDE', 'expected b or a', 'side', text);
}

// ---------------------------------------------------------------------------------------------
// The formats

function archiveFormat(
  id: string,
  venue: Venue,
  description: string,
  spec: DetectSpec,
  createParser: (ctx: ParseContext) => LineParser,
  bulkTrades?: BulkTradeCsv,
): FileFormat {
  return {
    id,
    venue,
    description,
    bulkTrades,
    detect: (fileName, firstLine) => detectWith(spec, fileName, firstLine),
    // Forced with --format, the name no longer has to tell (mark/index/premium klines share the
    // klines header and file names): line 1 alone decides.
    readsLine1: (firstLine) => detectWith({ ...spec, nameRequired: false, headerShared: false }, '', firstLine) > 0,
    symbolFromName,
    createParser,
  };
}

/**
 * The trade archives the bulk path loads (src/store/bulk-load.ts), with the byte scanner that
 * validates the bytes and fills the typed columns DuckDB inserts (trade-archive-scan.ts), and the
 * CSV columns DuckDB's own reader uses on the csv route. The columns mirror the line
 * parsers above: aggressor side from is_buyer_maker, time in ms or µs; spot rows carry one more
 * column, is_best_match, and never a header.
 */
const AGG_COLUMNS = [['agg_trade_id', 'BIGINT'], ['price', 'DOUBLE'], ['quantity', 'DOUBLE'], ['first_trade_id', 'BIGINT'], ['last_trade_id', 'BIGINT'], ['transact_time', 'BIGINT'], ['is_buyer_maker', 'BOOLEAN']] as const;
const TRADE_COLUMNS = [['id', 'BIGINT'], ['price', 'DOUBLE'], ['qty', 'DOUBLE'], ['quote_qty', 'DOUBLE'], ['time', 'BIGINT'], ['is_buyer_maker', 'BOOLEAN']] as const;

function bulkTrades(layout: TradeArchiveLayout, spot: boolean): BulkTradeCsv {
  const base = layout === 'aggTrades' ? AGG_COLUMNS : TRADE_COLUMNS;
  const header = spot ? undefined : base.map((c) => c[0]).join(',');
  return {
    header,
    columns: spot ? [...base, ['is_best_match', 'BOOLEAN']] : base,
    ...TRADE_FIELDS[layout],
    buyerIsMaker: 'is_buyer_maker',
    scanner: (columns) => new TradeArchiveScanner(layout, spot, header, columns),
  };
}

const KLINE_FORMATS: readonly [string, KlineRecord['kind'], string][] = [
  ['klines', 'trade', 'traded price'],
  ['markPriceKlines', 'mark', 'mark price'],
  ['indexPriceKlines', 'index', 'index price'],
  ['premiumIndexKlines', 'premium', 'premium index'],
];

const probe = createBinanceParser({ fileName: '', symbol: undefined, instruments: new InstrumentRegistry() });

export const binanceFormats: FileFormat[] = [
  archiveFormat(
    'binance-um-aggTrades',
    'binance',
    'Binance USD-M aggTrades archive (data.binance.vision futures/um .../aggTrades), with or without header',
    { kinds: ['aggTrades'], header: BINANCE_HEADERS.aggTrades, shape: SHAPES.umAggTrades, nameShared: true },
    (ctx) => tradeArchiveParser('aggTrades', 'binance', ctx, false),
    bulkTrades('aggTrades', false),
  ),
  archiveFormat(
    'binance-um-trades',
    'binance',
    'Binance USD-M trades archive (futures/um .../trades), with or without header',
    { kinds: ['trades'], header: BINANCE_HEADERS.trades, shape: SHAPES.umTrades, nameShared: true },
    (ctx) => tradeArchiveParser('trades', 'binance', ctx, false),
    bulkTrades('trades', false),
  ),
  archiveFormat(
    'binance-um-bookDepth',
    'binance',
    'Binance USD-M bookDepth archive: resting depth per +-% band of the mid (depth bands)',
    { kinds: ['bookDepth'], header: BINANCE_HEADERS.bookDepth, shape: SHAPES.bookDepth },
    bookDepthParser,
  ),
  archiveFormat(
    'binance-um-bookTicker',
    'binance',
    'Binance USD-M bookTicker archive: best bid/ask (tickers)',
    { kinds: ['bookTicker'], header: BINANCE_HEADERS.bookTicker, shape: SHAPES.bookTicker },
    bookTickerParser,
  ),
  archiveFormat(
    'binance-um-metrics',
    'binance',
    'Binance USD-M metrics archive: open interest and long/short ratios every 5 minutes (tickers)',
    { kinds: ['metrics'], header: BINANCE_HEADERS.metrics, shape: SHAPES.metrics },
    metricsParser,
  ),
  archiveFormat(
    'binance-um-fundingRate',
    'binance',
    'Binance USD-M fundingRate archive: settled funding rates (tickers)',
    { kinds: ['fundingRate'], header: BINANCE_HEADERS.fundingRate, shape: SHAPES.fundingRate },
    fundingRateParser,
  ),
  ...KLINE_FORMATS.map(([dir, kind, what]) =>
    archiveFormat(
      `binance-um-${dir}`,
      'binance',
      kind === 'trade'
        ? 'Binance USD-M klines archive: candles of the traded price (SYMBOL-1m-DATE.csv)'
        : `Binance USD-M ${dir} archive: candles of the ${what} (select with --format; the file name does not say)`,
      { kinds: [dir], header: BINANCE_HEADERS.klines, shape: SHAPES.klines, headerShared: true, nameRequired: kind !== 'trade' },
      (ctx) => klinesParser(ctx, kind),
    ),
  ),
  archiveFormat(
    'binance-futures-liquidationSnapshot',
    'binance',
    'Binance futures liquidationSnapshot archive (published for COIN-M only): forced orders (liquidations)',
    { kinds: ['liquidationSnapshot'], header: BINANCE_HEADERS.liquidationSnapshot, shape: SHAPES.liquidationSnapshot },
    liquidationSnapshotParser,
  ),
  archiveFormat(
    'binance-um-tDepth',
    'binance',
    'Binance futures historical order book download (T_DEPTH CSV: snap/set levels)',
    { kinds: [], header: BINANCE_HEADERS.tDepth, shape: SHAPES.tDepth },
    () => tDepthParser(),
  ),
  archiveFormat(
    'binance-spot-aggTrades',
    'binance-spot',
    'Binance spot aggTrades archive (no header, 8 columns, ms before 2025 and µs since)',
    { kinds: ['aggTrades'], shape: SHAPES.spotAggTrades, nameShared: true },
    (ctx) => tradeArchiveParser('aggTrades', 'binance-spot', ctx, true),
    bulkTrades('aggTrades', true),
  ),
  archiveFormat(
    'binance-spot-trades',
    'binance-spot',
    'Binance spot trades archive (no header, 7 columns, ms before 2025 and µs since)',
    { kinds: ['trades'], shape: SHAPES.spotTrades, nameShared: true },
    (ctx) => tradeArchiveParser('trades', 'binance-spot', ctx, true),
    bulkTrades('trades', true),
  ),
  captureFormat(
    'binance',
    'Binance USD-M WebSocket capture: one frame per line, JSONL or `<local_ns> <json>` (hftbacktest)',
    (ctx) => createBinanceParser(ctx),
    probe,
  ),
];
