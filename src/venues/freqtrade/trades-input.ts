/**
 * The trades `orderflow footprint --compat freqtrade --input` reads: freqtrade's own trades files
 * (trades.ts, trades-feather.ts, trades-parquet.ts), or our CSV: header
 * `timestamp_ms,price,amount,side`, then one trade per line in feed order (`side` = aggressor, `buy`
 * or `sell`), read as a byte stream and scanned without building a string per line; columns grow
 * as typed arrays. Every row is validated: a bad one stops the read with a ParseError naming
 * `file:line`, the field and the value.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { plainDecimalAt, POW10 } from '../../core/decimal.ts';
import { ParseError, UsageError } from '../../core/errors.ts';
import { epochMs, MAX_MS, MIN_MS, positive } from '../../core/parse-util.ts';
import type { FreqtradeTrades } from '../../features/footprint-freqtrade.ts';
import { freqtradeCsvColumns, readFreqtradeCsv, readFreqtradeJson, TradeRowsBuilder } from './trades.ts';

export const FREQTRADE_TRADES_HEADER = 'timestamp_ms,price,amount,side';

/**
 * `--input`: freqtrade's own trades files (`<pair>-trades.feather`, `.json`, `.json.gz`, its CSV
 * with the columns timestamp,id,type,side,price,amount,cost) or our CSV `timestamp_ms,price,amount,side`,
 * told apart by the name and the first line.
 */
export async function readTradesInput(path: string): Promise<FreqtradeTrades> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--input ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`}`);
  }
  if (st.isDirectory()) throw new UsageError(`--input ${path} is a folder: give one trades file (${INPUTS})`);
  const name = basename(path).toLowerCase();
  if (name.endsWith('.feather') || name.endsWith('.arrow')) return (await import('./trades-feather.ts')).readFreqtradeFeather(path);
  if (name.endsWith('.json') || name.endsWith('.json.gz')) return readFreqtradeJson(path);
  if (name.endsWith('.parquet')) return (await import('./trades-parquet.ts')).readFreqtradeParquet(path);
  if (name.endsWith('.h5')) {
    throw new UsageError(`--input ${path}: HDF5 trades files are not read; convert them with \`freqtrade convert-trade-data --format-from hdf5 --format-to feather\`, or give ${INPUTS}`);
  }
  const first = firstLine(path);
  if (first.replace(/^\ufeff/, '') !== FREQTRADE_TRADES_HEADER && freqtradeCsvColumns(first)) return readFreqtradeCsv(path);
  return readFreqtradeTradesCsv(path);
}

const INPUTS = "freqtrade's <pair>-trades.feather, .json[.gz] or .parquet from download-data --dl-trades, its trades CSV, or a CSV timestamp_ms,price,amount,side";

function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    return (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
  } finally {
    closeSync(fd);
  }
}

const COMMA = 0x2c, LF = 0x0a, CR = 0x0d, DOT = 0x2e, D0 = 0x30, D9 = 0x39;
/** No row of this format comes near it; a longer "line" is a file of another kind. */
const MAX_LINE = 1 << 16;
const FIELDS = ['timestamp_ms', 'price', 'amount', 'side'] as const;

/**
 * Read and validate the whole trades CSV: read in `chunkBytes` pieces into one reused buffer
 * (never held whole, never a string per line; lines may straddle reads). Each row goes through
 * `fastRow`, one pass over its bytes for the common shape (digits, one dot, `buy`/`sell`); any
 * other row goes through `row`, which accepts every valid form and names what is wrong.
 */
export async function readFreqtradeTradesCsv(path: string, chunkBytes = 1 << 22): Promise<FreqtradeTrades> {
  const cols = new TradeRowsBuilder();
  let lineNo = 0;
  const where = () => `${path}:${lineNo}`;
  const slowLine = (buf: Buffer, s: number, e: number) => {
    if (e > s && buf[e - 1] === CR) e--;
    try {
      if (lineNo === 1) header(buf, s, e);
      else row(buf, s, e, cols);
    } catch (err) {
      if (err instanceof ParseError) throw err.at(where());
      throw err;
    }
  };
  const fd = await open(path, 'r');
  try {
    // The shortest row is 22 bytes: room for every row up front, so the columns never regrow
    // (pages never written cost no memory).
    cols.reserve(Math.ceil((await fd.stat()).size / 22));
    let buf = Buffer.allocUnsafe(Math.max(chunkBytes, 16));
    let filled = 0;
    for (;;) {
      if (filled === buf.length) {
        // A line longer than the buffer: grow it (up to MAX_LINE, checked below).
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await fd.read(buf, filled, buf.length - filled, null);
      const eof = bytesRead === 0;
      filled += bytesRead;
      let s = 0;
      while (s < filled) {
        if (lineNo > 0) {
          const e = fastRow(buf, s, filled, cols);
          if (e >= 0) {
            lineNo++;
            s = e + 1;
            continue;
          }
        }
        let nl = buf.indexOf(LF, s);
        if (nl === -1 || nl >= filled) {
          if (!eof) break;
          nl = filled;
        }
        lineNo++;
        slowLine(buf, s, nl);
        s = nl + 1;
      }
      if (eof) break;
      if (filled - s > MAX_LINE) {
        lineNo++;
        throw new ParseError('E_COLUMNS', `line longer than ${MAX_LINE} bytes: not a trades CSV row`, undefined, buf.toString('utf8', s, s + 80), where());
      }
      buf.copyWithin(0, s, filled);
      filled -= s;
    }
  } finally {
    await fd.close();
  }
  if (lineNo === 0) throw new ParseError('E_HEADER', `empty file: expected the header ${FREQTRADE_TRADES_HEADER}`, 'header', '', `${path}:1`);
  return cols.done();
}

/**
 * One row of the common shape, `<ms>,<price>,<amount>,buy|sell` then LF (or CRLF) before
 * `end`: plain decimals of 1-15 significant digits (read as core `plainDecimalAt` does, inlined here), a time in
 * range, a price and an amount > 0. Stores it and returns the index of its LF; -1 (nothing
 * stored) for any other row, one not complete before `end`, or full columns: `row` then reads,
 * rejects or makes room. One function with every field inline: a call per field would box the
 * doubles it passes, an allocation per field and a garbage collection every few thousand rows.
 */
function fastRow(buf: Buffer, s: number, end: number, cols: TradeRowsBuilder): number {
  const at = cols.length;
  if (at === cols.ts.length) return -1;
  let i = s;
  let ts = 0;
  if (s + 13 < end && buf[s + 13] === COMMA) {
    // 13 digits (every millisecond time from 2001 to 2286): unrolled, in two exact integer
    // halves, with no loop exit to mispredict; ~15% of the scan.
    const a0 = buf[s] - D0, a1 = buf[s + 1] - D0, a2 = buf[s + 2] - D0, a3 = buf[s + 3] - D0, a4 = buf[s + 4] - D0, a5 = buf[s + 5] - D0, a6 = buf[s + 6] - D0;
    const b0 = buf[s + 7] - D0, b1 = buf[s + 8] - D0, b2 = buf[s + 9] - D0, b3 = buf[s + 10] - D0, b4 = buf[s + 11] - D0, b5 = buf[s + 12] - D0;
    if ((a0 | a1 | a2 | a3 | a4 | a5 | a6 | b0 | b1 | b2 | b3 | b4 | b5) < 0) return -1;
    if (a0 > 9 || a1 > 9 || a2 > 9 || a3 > 9 || a4 > 9 || a5 > 9 || a6 > 9 || b0 > 9 || b1 > 9 || b2 > 9 || b3 > 9 || b4 > 9 || b5 > 9) return -1;
    ts = (((((a0 * 10 + a1) * 10 + a2) * 10 + a3) * 10 + a4) * 10 + a5) * 10 + a6;
    ts = ts * 1e6 + (((((b0 * 10 + b1) * 10 + b2) * 10 + b3) * 10 + b4) * 10 + b5);
    i = s + 13;
  } else {
    for (; i < end; i++) {
      const b = buf[i];
      if (b < D0 || b > D9) break;
      ts = ts * 10 + (b - D0);
    }
    if (i >= end || buf[i] !== COMMA || i === s || i - s > 15) return -1;
  }
  if (!(ts >= MIN_MS && ts < MAX_MS)) return -1;
  // price
  let m = 0, frac = -1, f0 = ++i;
  for (; i < end; i++) {
    const b = buf[i];
    if (b >= D0 && b <= D9) {
      m = m * 10 + (b - D0);
      if (frac >= 0) frac++;
    } else if (b === DOT && frac < 0) frac = 0;
    else break;
  }
  let digits = i - f0 - (frac >= 0 ? 1 : 0);
  if (i >= end || buf[i] !== COMMA || digits === 0 || digits > 15) return -1;
  const price = frac > 0 ? m / POW10[frac] : m;
  if (!(price > 0)) return -1;
  // amount
  m = 0;
  frac = -1;
  f0 = ++i;
  for (; i < end; i++) {
    const b = buf[i];
    if (b >= D0 && b <= D9) {
      m = m * 10 + (b - D0);
      if (frac >= 0) frac++;
    } else if (b === DOT && frac < 0) frac = 0;
    else break;
  }
  digits = i - f0 - (frac >= 0 ? 1 : 0);
  if (i >= end || buf[i] !== COMMA || digits === 0 || digits > 15) return -1;
  const amount = frac > 0 ? m / POW10[frac] : m;
  if (!(amount > 0)) return -1;
  i++;
  let side: number;
  if (i + 3 <= end && buf[i] === 0x62 && buf[i + 1] === 0x75 && buf[i + 2] === 0x79) {
    side = 1; // buy
    i += 3;
  } else if (i + 4 <= end && buf[i] === 0x73 && buf[i + 1] === 0x65 && buf[i + 2] === 0x6c && buf[i + 3] === 0x6c) {
    side = -1; // sell
    i += 4;
  } else return -1;
  if (i < end && buf[i] === CR) i++;
  if (i >= end || buf[i] !== LF) return -1;
  cols.ts[at] = ts;
  cols.price[at] = price;
  cols.amount[at] = amount;
  cols.side[at] = side;
  cols.length = at + 1;
  return i;
}

function header(buf: Buffer, s: number, e: number): void {
  if (e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3; // UTF-8 BOM
  const text = buf.toString('utf8', s, e);
  if (text !== FREQTRADE_TRADES_HEADER) {
    throw new ParseError('E_HEADER', `not a trades file for the freqtrade footprint: expected the header ${FREQTRADE_TRADES_HEADER}, or freqtrade's trade columns timestamp,id,type,side,price,amount,cost (or its .feather / .json[.gz] trades files)`, 'header', text);
  }
}

function row(buf: Buffer, s: number, e: number, cols: TradeRowsBuilder): void {
  const c1 = buf.indexOf(COMMA, s);
  const c2 = c1 === -1 || c1 >= e ? -1 : buf.indexOf(COMMA, c1 + 1);
  const c3 = c2 === -1 || c2 >= e ? -1 : buf.indexOf(COMMA, c2 + 1);
  const c4 = c3 === -1 || c3 >= e ? -1 : buf.indexOf(COMMA, c3 + 1);
  if (c3 === -1 || c3 >= e || (c4 !== -1 && c4 < e)) {
    let n = 1;
    for (let i = s; i < e; i++) if (buf[i] === COMMA) n++;
    throw new ParseError('E_COLUMNS', `expected 4 columns (${FREQTRADE_TRADES_HEADER}), got ${n}`, undefined, buf.toString('utf8', s, e));
  }
  const ts = timestamp(buf, s, c1);
  const price = positiveField(buf, c1 + 1, c2, FIELDS[1]);
  const amount = positiveField(buf, c2 + 1, c3, FIELDS[2]);
  const side = sideField(buf, c3 + 1, e);
  cols.push(ts, price, amount, side);
}


function timestamp(buf: Buffer, s: number, e: number): number {
  const v = plainDecimalAt(buf, s, e);
  if (Number.isInteger(v) && v >= MIN_MS && v < MAX_MS) return v;
  return epochMs(buf.toString('utf8', s, e), 'ms', FIELDS[0]);
}

function positiveField(buf: Buffer, s: number, e: number, field: string): number {
  const v = plainDecimalAt(buf, s, e);
  if (v > 0) return v;
  return positive(buf.toString('utf8', s, e), field);
}

function sideField(buf: Buffer, s: number, e: number): number {
  const len = e - s;
  if (len === 3 && buf[s] === 0x62 && buf[s + 1] === 0x75 && buf[s + 2] === 0x79) return 1; // buy
  if (len === 4 && buf[s] === 0x73 && buf[s + 1] === 0x65 && buf[s + 2] === 0x6c && buf[s + 3] === 0x6c) return -1; // sell
  throw new ParseError('E_SIDE', 'expected buy or sell (the aggressor side)', FIELDS[3], buf.toString('utf8', s, e));
}
