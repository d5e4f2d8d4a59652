/**
 * freqtrade's own trades files, as `freqtrade download-data --dl-trades` writes them into its data
 * directory (`<datadir>/[futures/]<PAIR>-trades.<ext>`, freqtrade/data/history/datahandlers/):
 *
 *   - `.feather` (the default trades format): an Arrow IPC file of a pandas DataFrame with the
 *     columns DEFAULT_TRADES_COLUMNS = timestamp (int64 ms), id, type, side, price, amount, cost,
 *     LZ4-compressed (`to_feather(compression="lz4")`);
 *   - `.json` / `.json.gz` (`jsongz`): a JSON list of rows in that column order,
 *     `[[1570752011620, "13519807", null, "sell", 0.00141342, 23.0, 0.03250866], ...]`, or, in files
 *     from before 2020, a list of ccxt trade objects (`{"timestamp", "side", "price", "amount", ...}`);
 *   - `.parquet` (`--data-format-trades parquet`): the same DataFrame as Parquet, read by DuckDB;
 *
 * The Feather and Parquet readers live in trades-feather.ts and trades-parquet.ts, so the CSV and
 * JSON paths start without loading Arrow or DuckDB.
 *   - a CSV of the DataFrame (`DataFrame.to_csv`, as in freqtrade's tests: an unnamed index column,
 *     the columns above and `date`; fields may be padded with spaces).
 *
 * Each reader returns the columns the freqtrade-compatible footprint needs, in file order, and
 * stops at the first bad trade with its place (`file:line`, or `file: trade N`), field and value.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { plainDecimalAt } from '../../core/decimal.ts';
import { ParseError } from '../../core/errors.ts';
import { MAX_MS, MIN_MS } from '../../core/parse-util.ts';

/** Trades as columns, in file order: what the freqtrade-compatible footprint reads. */
export interface TradeRows {
  readonly length: number;
  /** Epoch ms. */
  readonly ts: Float64Array;
  readonly price: Float64Array;
  readonly amount: Float64Array;
  /** Aggressor side: +1 buy, -1 sell. */
  readonly side: Int8Array;
}

/** Growable columns. */
export class TradeRowsBuilder {
  length = 0;
  ts: Float64Array;
  price: Float64Array;
  amount: Float64Array;
  side: Int8Array;

  /** `capacity`: rows expected, when known (no regrowth up to it). */
  constructor(capacity = 1 << 16) {
    const cap = Math.max(1, capacity);
    this.ts = new Float64Array(cap);
    this.price = new Float64Array(cap);
    this.amount = new Float64Array(cap);
    this.side = new Int8Array(cap);
  }

  push(ts: number, price: number, amount: number, side: number): void {
    if (this.length === this.ts.length) this.grow();
    const i = this.length++;
    this.ts[i] = ts;
    this.price[i] = price;
    this.amount[i] = amount;
    this.side[i] = side;
  }

  /** Capacity for `n` rows in all (no regrowth up to it). */
  reserve(n: number): void {
    if (n > this.ts.length) this.grow(n);
  }

  private grow(cap = this.ts.length * 2): void {
    const f = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.ts = f(this.ts);
    this.price = f(this.price);
    this.amount = f(this.amount);
    const s = new Int8Array(cap);
    s.set(this.side);
    this.side = s;
  }

  /** Views of exactly `length` entries. */
  done(): TradeRows {
    const n = this.length;
    return { length: n, ts: this.ts.subarray(0, n), price: this.price.subarray(0, n), amount: this.amount.subarray(0, n), side: this.side.subarray(0, n) };
  }
}

/** freqtrade's trade columns, in its order (freqtrade/constants.py DEFAULT_TRADES_COLUMNS). */
export const FREQTRADE_TRADE_COLUMNS = ['timestamp', 'id', 'type', 'side', 'price', 'amount', 'cost'] as const;

// ---------------------------------------------------------------------------------------------
// One trade's fields, checked.

export function timestampOf(v: unknown): number {
  const ms = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!(Number.isFinite(ms) && ms >= MIN_MS && ms < MAX_MS)) {
    throw new ParseError('E_TIME_UNIT', 'expected epoch milliseconds between 2009 and 2100', 'timestamp', String(v));
  }
  return ms;
}

export function positiveOf(v: unknown, field: string): number {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!(Number.isFinite(x) && x > 0)) throw new ParseError('E_NUMBER', 'must be a number > 0', field, String(v));
  return x;
}

export function sideOf(v: unknown): number {
  const s = typeof v === 'string' ? v.trim() : v;
  if (s === 'buy') return 1;
  if (s === 'sell') return -1;
  throw new ParseError('E_SIDE', 'expected buy or sell (the aggressor side)', 'side', String(v));
}

// ---------------------------------------------------------------------------------------------
// JSON (plain or gzip): a list of rows, streamed element by element.

/** No freqtrade trade comes near this; a longer element is not a trade. */
const MAX_ELEMENT = 1 << 16;

/** A freqtrade `<pair>-trades.json` or `.json.gz` (gzip detected from its first bytes). */
export async function readFreqtradeJson(path: string): Promise<TradeRows> {
  const out = new TradeRowsBuilder();
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: AsyncIterable<Buffer> = isGzip(path) ? raw.pipe(createGunzip()) : raw;
  let n = 0; // trades read
  let opened = false; // saw the top-level '['
  let closed = false; // saw its ']'
  let depth = 0; // inside an element
  let inString = false;
  let escaped = false;
  let carry: Buffer | undefined;
  const where = () => `${path}: trade ${n + 1}`;
  const take = (buf: Buffer, s: number, e: number) => {
    if (fastRow(buf, s, e, out)) {
      n++;
      return;
    }
    const text = buf.toString('utf8', s, e);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new ParseError('E_JSON', `not valid JSON: ${(e as Error).message}`, undefined, text).at(where());
    }
    try {
      if (Array.isArray(v)) {
        if (v.length < 6) throw new ParseError('E_COLUMNS', `expected a row of ${FREQTRADE_TRADE_COLUMNS.join(', ')}, got ${v.length} values`, undefined, text);
        out.push(timestampOf(v[0]), positiveOf(v[4], 'price'), positiveOf(v[5], 'amount'), sideOf(v[3]));
      } else if (v !== null && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        out.push(timestampOf(o.timestamp), positiveOf(o.price, 'price'), positiveOf(o.amount, 'amount'), sideOf(o.side));
      } else {
        throw new ParseError('E_COLUMNS', 'expected a trade row [timestamp, id, type, side, price, amount, cost]', undefined, text);
      }
    } catch (e) {
      if (e instanceof ParseError) throw e.at(where());
      throw e;
    }
    n++;
  };
  const fail = (what: string, b: number) => {
    throw new ParseError('E_JSON', `expected ${what}`, undefined, String.fromCharCode(b)).at(where());
  };
  for await (const chunk of stream) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    // The carried part of an element was scanned already: go on after it.
    const scanned = carry ? carry.length : 0;
    let start = carry ? 0 : -1; // start of the element in progress
    carry = undefined;
    const bom = !opened && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
    for (let i = bom ? 3 : scanned; i < buf.length; i++) {
      const b = buf[i];
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === 0x22) inString = false;
        } else if (b === 0x22) inString = true;
        else if (b === 0x5b || b === 0x7b) depth++;
        else if (b === 0x5d || b === 0x7d) {
          if (--depth === 0) {
            take(buf, start, i + 1);
            start = -1;
          }
        }
        continue;
      }
      if (isSpace(b)) continue;
      if (closed) fail('nothing after the closing ]', b);
      if (!opened) {
        if (b !== 0x5b) fail('a JSON list of trades ([ ... ]) as freqtrade writes them', b);
        opened = true;
      } else if (b === 0x5d) closed = true;
      else if (b === 0x2c) continue;
      else if (b === 0x5b || b === 0x7b) {
        depth = 1;
        start = i;
      } else fail('a trade row [timestamp, id, type, side, price, amount, cost]', b);
    }
    if (depth > 0) {
      carry = Buffer.from(buf.subarray(start));
      if (carry.length > MAX_ELEMENT) throw new ParseError('E_COLUMNS', `a trade longer than ${MAX_ELEMENT} bytes: not a freqtrade trades file`, undefined, carry.toString('utf8', 0, 80)).at(where());
    }
  }
  if (!opened) throw new ParseError('E_JSON', 'empty file: expected a JSON list of trades').at(`${path}:1`);
  if (depth > 0 || !closed) throw new ParseError('E_JSON', 'the file ends inside the list: truncated?').at(where());
  return out.done();
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * A row `[timestamp, id, type, side, price, amount, cost]` read straight from its bytes (no string,
 * no JSON.parse): true when pushed. False for anything else (objects, odd values, bad trades),
 * which then goes through JSON.parse and the checks that name the field.
 */
function fastRow(b: Buffer, s: number, e: number, out: TradeRowsBuilder): boolean {
  if (b[s] !== 0x5b) return false;
  at = s + 1;
  const ts = numberAt(b, e);
  if (!commaAt(b, e) || !skipValue(b, e) || !commaAt(b, e) || !skipValue(b, e) || !commaAt(b, e)) return false;
  spaces(b, e);
  const i = at;
  let side = 0;
  if (b[i] === 0x22 && b[i + 1] === 0x62 && b[i + 2] === 0x75 && b[i + 3] === 0x79 && b[i + 4] === 0x22) side = 1;
  else if (b[i] === 0x22 && b[i + 1] === 0x73 && b[i + 2] === 0x65 && b[i + 3] === 0x6c && b[i + 4] === 0x6c && b[i + 5] === 0x22) side = -1;
  else return false;
  at += side === 1 ? 5 : 6;
  if (!commaAt(b, e)) return false;
  const price = numberAt(b, e);
  if (!commaAt(b, e)) return false;
  const amount = numberAt(b, e);
  if (!(ts >= MIN_MS && ts < MAX_MS && price > 0 && price < Infinity && amount > 0 && amount < Infinity && at < e)) return false;
  out.push(ts, price, amount, side);
  return true;
}

// fastRow's cursor: module state rather than closures, which cost more than the row per call.
let at = 0;

function spaces(b: Buffer, e: number): void {
  while (at < e && isSpace(b[at])) at++;
}

function commaAt(b: Buffer, e: number): boolean {
  spaces(b, e);
  return b[at++] === 0x2c;
}

function numberAt(b: Buffer, e: number): number {
  spaces(b, e);
  const a = at;
  while (at < e && b[at] !== 0x2c && b[at] !== 0x5d && !isSpace(b[at])) at++;
  return decimalAt(b, a, at);
}

/** Past one value: a string (escapes honoured) or a bare token such as null; false when the row ends first. */
function skipValue(b: Buffer, e: number): boolean {
  spaces(b, e);
  if (b[at] === 0x22) {
    for (at++; at < e && b[at] !== 0x22; at++) if (b[at] === 0x5c) at++;
    at++;
  } else while (at < e && b[at] !== 0x2c && b[at] !== 0x5d) at++;
  return at < e;
}

/** A JSON number in b[s, e): plain decimals of up to 15 digits exactly from the bytes, others through Number. */
function decimalAt(b: Buffer, s: number, e: number): number {
  const v = plainDecimalAt(b, s, e);
  return Number.isNaN(v) && e > s ? Number(b.toString('latin1', s, e)) : v;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV of the DataFrame (freqtrade's test data).

/**
 * The column positions of a freqtrade trades CSV header (`,timestamp,id,type,side,price,amount,cost,date`),
 * or undefined when the line is not one.
 */
export function freqtradeCsvColumns(headerLine: string): { ts: number; side: number; price: number; amount: number; width: number } | undefined {
  const names = headerLine.replace(/^\ufeff/, '').split(',').map((s) => s.trim());
  const at = (n: string) => names.indexOf(n);
  const cols = { ts: at('timestamp'), side: at('side'), price: at('price'), amount: at('amount'), width: names.length };
  return cols.ts >= 0 && cols.side >= 0 && cols.price >= 0 && cols.amount >= 0 ? cols : undefined;
}

/** A CSV with freqtrade's trade columns (any order, extra columns such as the index and `date` ignored). */
export async function readFreqtradeCsv(path: string): Promise<TradeRows> {
  const out = new TradeRowsBuilder();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNo = 0;
  let cols: ReturnType<typeof freqtradeCsvColumns>;
  for await (const line of lines) {
    lineNo++;
    if (line.length > MAX_ELEMENT) throw new ParseError('E_COLUMNS', `line longer than ${MAX_ELEMENT} bytes: not a trades CSV row`, undefined, line.slice(0, 80)).at(`${path}:${lineNo}`);
    if (lineNo === 1) {
      cols = freqtradeCsvColumns(line);
      if (!cols) throw new ParseError('E_HEADER', `expected a header with freqtrade's trade columns (${FREQTRADE_TRADE_COLUMNS.join(',')})`, 'header', line).at(`${path}:1`);
      continue;
    }
    if (line.trim() === '') continue;
    const f = line.split(',');
    try {
      if (f.length !== cols!.width) throw new ParseError('E_COLUMNS', `expected ${cols!.width} columns as in the header, got ${f.length}`, undefined, line);
      out.push(timestampOf(f[cols!.ts]), positiveOf(f[cols!.price], 'price'), positiveOf(f[cols!.amount], 'amount'), sideOf(f[cols!.side]));
    } catch (e) {
      if (e instanceof ParseError) throw e.at(`${path}:${lineNo}`);
      throw e;
    }
  }
  if (lineNo === 0) throw new ParseError('E_HEADER', 'empty file: expected a header', 'header', '').at(`${path}:1`);
  return out.done();
}
