/**
 * A byte-level validator for the Binance trade archives (aggTrades and trades, USD-M and spot),
 * used when DuckDB bulk-loads such a file: it reads the raw bytes once, with no string per line,
 * and either accepts the whole file with a digest of what it holds, or gives up.
 *
 * It accepts only what the line parsers in archive.ts accept on their fast path (the same field
 * grammar as `scanTradeRow`) and what the importer's order checks accept (times
 * never go backwards, ids strictly increase). Anything else — a header it does not know, CR line
 * ends, exponents, more than 15 digits, a blank line, a bad field — makes it give up, and the
 * importer re-reads the file with the line parsers, which accept or name the exact error. So it
 * changes speed, never results: the property tests check its digest equals the line path's.
 */
import { POW10 } from '../../core/decimal.ts';
import type { TradeArchiveByteScanner, TradeColumns, TradeDigestFields } from '../../core/format.ts';
import { MAX_MS, MIN_MS } from '../../core/parse-util.ts';

/**
 * The longest line any reader holds (64 KiB, as the freqtrade reader): no row of any format
 * comes near it, and a file that is one endless line (a zip of zeros) must fail at once instead
 * of growing a string for minutes.
 */
export const MAX_LINE_BYTES = 1 << 16;

const NL = 10;
/** Rows scanned one call each at the start (scanLines): more calls than V8 waits for before it allocates a feedback vector (8 in Node 20's V8). */
const WARM_CALLS = 32;
const COMMA = 44;

/** The layouts it knows: column kinds in order. */
export type TradeArchiveLayout = 'aggTrades' | 'trades';

export class TradeArchiveScanner implements TradeArchiveByteScanner {
  /** false once it gave up: the caller must use the line parsers. */
  ok = true;
  readonly maxLineBytes = MAX_LINE_BYTES;
  /**
   * The running digest, read and written back once per chunk by scanRows (locals in the hot
   * loop, not fields). Ids strictly increase and times never go backwards in an accepted file, so
   * the first row holds both minimums and the last row both maximums: no per-row min/max.
   */
  count = 0;
  sells = 0;
  sumPrice = 0;
  cPrice = 0;
  sumQty = 0;
  cQty = 0;
  firstTs = NaN;
  firstId = NaN;
  lastTs = -Infinity;
  lastId = -Infinity;
  /** The unfinished last line, as the chunks it came in (joined once, when its newline comes). */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private first = true;
  private readonly header: Buffer | undefined;
  private headerLines = 0;
  /** Set when it gave up because a line grew past MAX_LINE_BYTES: the 1-based line number. */
  tooLongLine: number | undefined;

  constructor(
    readonly layout: TradeArchiveLayout,
    /** Spot rows carry an 8th/7th column, is_best_match. */
    readonly spot: boolean,
    /** The header line this layout may start with (USD-M), or undefined (spot: never). */
    header: string | undefined,
    /** Where accepted rows are also written as typed columns (bulk-load.ts's Parquet route). */
    readonly columns?: TradeColumns,
  ) {
    this.header = header === undefined ? undefined : Buffer.from(header);
  }

  /** Rows accepted so far. */
  get rows(): number {
    return this.count;
  }

  /**
   * Feed the next chunk of the file's bytes. Each byte is copied at most once (a line split
   * across chunks), and an unfinished line is held only up to MAX_LINE_BYTES: past that no row
   * of these layouts can be valid, so it gives up and says where (`tooLongLine`).
   */
  push(chunk: Buffer): void {
    if (!this.ok) return;
    const firstNl = chunk.indexOf(NL);
    if (firstNl < 0) {
      this.hold(chunk);
      return;
    }
    let from = 0;
    if (this.carryBytes > 0) {
      this.carry.push(chunk.subarray(0, firstNl + 1));
      const line = Buffer.concat(this.carry, this.carryBytes + firstNl + 1);
      this.carry = [];
      this.carryBytes = 0;
      if (line.length - 1 > MAX_LINE_BYTES) return this.lineTooLong();
      this.scanLines(line, 0, line.length);
      if (!this.ok) return;
      from = firstNl + 1;
    }
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl >= from) this.scanLines(chunk, from, lastNl + 1);
    if (this.ok && lastNl + 1 < chunk.length) this.hold(chunk.subarray(lastNl + 1));
  }

  /** After the last chunk: the digest, or undefined when it gave up (or saw no row). */
  end(): TradeDigestFields | undefined {
    if (this.ok && this.carryBytes > 0) {
      // A last line without its newline.
      const tail = Buffer.concat([...this.carry, Buffer.from([NL])]);
      this.carry = [];
      this.carryBytes = 0;
      this.scanLines(tail, 0, tail.length);
    }
    if (!this.ok || this.count === 0) return undefined;
    return { count: this.count, sells: this.sells, minTs: this.firstTs, maxTs: this.lastTs, minId: this.firstId, maxId: this.lastId, sumPrice: this.sumPrice, sumQty: this.sumQty };
  }

  private hold(part: Buffer): void {
    this.carry.push(part);
    this.carryBytes += part.length;
    if (this.carryBytes > MAX_LINE_BYTES) this.lineTooLong();
  }

  private lineTooLong(): void {
    this.ok = false;
    this.tooLongLine = this.headerLines + this.count + 1;
    this.carry = [];
    this.carryBytes = 0;
  }

  /** Scan whole lines in data[pos..end) (end is just after a newline). */
  private scanLines(data: Buffer, pos: number, end: number): void {
    if (this.first) {
      this.first = false;
      const h = this.header;
      if (h && end - pos > h.length && data[pos + h.length] === NL && data.subarray(pos, pos + h.length).equals(h)) {
        pos += h.length + 1;
        this.headerLines = 1;
      }
      // The first rows one call each, so that scanRows has run to its end (with a feedback
      // vector: V8 allocates one only after a few calls) before its loop is hot: the stores after
      // the loop then have type feedback when V8 optimizes it mid-loop. Without it, the optimized
      // code bails out at every loop exit (on 2M trades: 10-250 bail-outs, 3-4 compiles of
      // 30-100 ms each, and the rows between run unoptimized, boxing doubles).
      for (let k = 0; k < WARM_CALLS && pos >= 0 && pos < end; k++) pos = this.scanRowGroups(data, pos, data.indexOf(NL, pos) + 1);
    }
    if (pos >= 0 && pos < end) this.scanRowGroups(data, pos, end);
  }

  /**
   * scanRows over data[pos..end), handing each full row group to the columns between calls (a
   * call inside its loop would be another site without type feedback when it is optimized).
   * Returns end, or -1 when it gave up.
   */
  private scanRowGroups(data: Buffer, pos: number, end: number): number {
    const cols = this.columns;
    while (pos < end) {
      pos = scanRows(data, pos, end, this);
      if (pos < 0) {
        this.ok = false;
        return -1;
      }
      if (cols !== undefined && cols.n === cols.us.length) cols.full();
    }
    return pos;
  }
}

/**
 * Rows in b[pos..end), each ending in a newline, as one flat loop with local state (the hot path
 * of a bulk import), until `end` or until the columns' row group is full. Returns where it
 * stopped, or -1 at the first row that is not plain and valid; the digest of the rows accepted
 * before it is written back either way (the rows count says where it stopped).
 */
function scanRows(b: Buffer, pos: number, end: number, s: TradeArchiveScanner): number {
  const agg = s.layout === 'aggTrades';
  const spot = s.spot;
  let lastId = s.lastId;
  let lastTs = s.lastTs;
  let count = s.count;
  let sells = s.sells;
  // Compensated sums, in the same order and form as the importer's TradeDigest.
  let sumPrice = s.sumPrice;
  let cPrice = s.cPrice;
  let sumQty = s.sumQty;
  let cQty = s.cQty;
  const cols = s.columns;
  const cap = cols === undefined ? 0 : cols.us.length;
  let fill = cols === undefined ? 0 : cols.n;
  let result = 0;
  rows: while (pos < end) {
    // id: 1..15 digits, strictly above the previous row's
    let c = b[pos];
    let from = pos;
    let id = 0;
    while (c >= 48 && c <= 57) {
      id = id * 10 + (c - 48);
      c = b[++pos];
    }
    if (pos === from || pos - from > 15 || !(id > lastId) || c !== COMMA) {
      result = -1;
      break;
    }
    pos++;
    // price, qty (and quote_qty for trades): plain decimals of 1..15 significant digits, > 0
    const nDec = agg ? 2 : 3;
    let price = 0;
    let qty = 0;
    for (let k = 0; k < nDec; k++) {
      let m = 0;
      from = pos;
      let dot = -1;
      for (;;) {
        c = b[pos];
        if (c >= 48 && c <= 57) m = m * 10 + (c - 48);
        else if (c === 46 && dot < 0) dot = pos;
        else break;
        pos++;
      }
      // The field's digits, and those after the dot (0 when there is none, or it ends the field).
      const frac = dot < 0 ? 0 : pos - dot - 1;
      const digits = pos - from - (dot < 0 ? 0 : 1);
      if (digits === 0 || digits > 15 || c !== COMMA) {
        result = -1;
        break rows;
      }
      const v = frac > 0 ? m / POW10[frac] : m;
      if (!(v > 0)) {
        result = -1;
        break rows;
      }
      if (k === 0) price = v;
      else if (k === 1) qty = v;
      pos++;
    }
    if (agg) {
      // first_trade_id, last_trade_id: 1..19 digits
      for (let k = 0; k < 2; k++) {
        from = pos;
        c = b[pos];
        while (c >= 48 && c <= 57) c = b[++pos];
        if (pos === from || pos - from > 19 || c !== COMMA) {
          result = -1;
          break rows;
        }
        pos++;
      }
    }
    // time: 13 digits (ms) or 16 (µs), plausible, never before the previous row's
    from = pos;
    let raw = 0;
    c = b[pos];
    while (c >= 48 && c <= 57) {
      raw = raw * 10 + (c - 48);
      c = b[++pos];
    }
    const n = pos - from;
    const ts = n === 13 ? raw : n === 16 ? raw / 1e3 : NaN;
    const us = n === 13 ? raw * 1000 : raw;
    if (!(ts >= MIN_MS && ts < MAX_MS && ts >= lastTs) || c !== COMMA) {
      result = -1;
      break;
    }
    pos++;
    const buyerIsMaker = bool(b, pos);
    if (buyerIsMaker < 0) {
      result = -1;
      break;
    }
    pos += buyerIsMaker === 1 ? 4 : 5;
    if (spot) {
      if (b[pos++] !== COMMA) {
        result = -1;
        break;
      }
      const bestMatch = bool(b, pos);
      if (bestMatch < 0) {
        result = -1;
        break;
      }
      pos += bestMatch === 1 ? 4 : 5;
    }
    if (b[pos++] !== NL) {
      result = -1;
      break;
    }
    // Accepted.
    if (count === 0) {
      s.firstTs = ts;
      s.firstId = id;
    }
    count++;
    if (buyerIsMaker === 1) sells++;
    let y = price - cPrice;
    let t = sumPrice + y;
    cPrice = t - sumPrice - y;
    sumPrice = t;
    y = qty - cQty;
    t = sumQty + y;
    cQty = t - sumQty - y;
    sumQty = t;
    lastId = id;
    lastTs = ts;
    if (cols !== undefined) {
      cols.us[fill] = us;
      cols.price[fill] = price;
      cols.qty[fill] = qty;
      cols.sell[fill] = buyerIsMaker;
      cols.id[fill] = id;
      if (++fill === cap) break; // the caller hands the row group on
    }
  }
  if (result === 0) result = pos;
  if (cols !== undefined) cols.n = fill;
  s.count = count;
  s.sells = sells;
  s.sumPrice = sumPrice;
  s.cPrice = cPrice;
  s.sumQty = sumQty;
  s.cQty = cQty;
  s.lastId = lastId;
  s.lastTs = lastTs;
  return result;
}

/** true/false as Binance writes them (true, True, TRUE; false, False, FALSE) at p: 1, 0, or -1. */
function bool(b: Buffer, p: number): number {
  // USD-M archives write lower case: settle those without the case rules.
  const c0 = b[p];
  if (c0 === 116 && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) return 1;
  if (c0 === 102 && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) return 0;
  const c = c0 | 0x20; // lower-case the first letter
  if (c === 116 && (b[p + 1] | 0x20) === 114 && (b[p + 2] | 0x20) === 117 && (b[p + 3] | 0x20) === 101 && sameCase(b, p, 4)) return 1;
  if (c === 102 && (b[p + 1] | 0x20) === 97 && (b[p + 2] | 0x20) === 108 && (b[p + 3] | 0x20) === 115 && (b[p + 4] | 0x20) === 101 && sameCase(b, p, 5)) return 0;
  return -1;
}

/** `true`, `True` or `TRUE` (and the same for false), not mixed case such as `tRUE`. */
function sameCase(b: Buffer, p: number, n: number): boolean {
  const upperFirst = b[p] < 97;
  let allUpper = true;
  let restLower = true;
  for (let i = 1; i < n; i++) {
    if (b[p + i] >= 97) allUpper = false;
    else restLower = false;
  }
  return upperFirst ? allUpper || restLower : restLower;
}
