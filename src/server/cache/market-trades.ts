/**
 * One (venue, symbol)'s stored trades in memory, as typed columns in the store readers' order
 * (`ts`, then insertion order: src/store/trade-reader.ts), kept current by reading only the rows
 * appended since the last sync. The dashboard's panes all start from a market's trades; reading
 * and decoding them from DuckDB for every request was most of each request's time.
 *
 * Appends are detected by DuckDB's `rowid`, which grows with every insert. The whole table's row
 * count and newest rowid (a few ms; `tableMark`) say whether anything changed since the last
 * sync: rows appended raise the newest rowid, rows deleted lower the count. When something did, a
 * sync counts the market's rows, those past the newest rowid held, and the newest rowid, in one
 * statement (one snapshot). When the count is not what the copy plus the fresh rows make (rows were deleted, or
 * the table rewritten), the copy is refilled from scratch: it never serves rows the store no
 * longer has.
 *
 * Arrays are never changed where a slice handed out can see it: appends go past every slice's
 * end, and a merge (a row older than the newest held, e.g. a recorder flushing one venue late)
 * or a refill writes fresh arrays. So a request keeps a consistent view while a later request
 * syncs.
 */
import type { Venue } from '../../core/events.ts';
import type { Store } from '../../store/store.ts';
import { readTrades } from '../../store/trade-reader.ts';
import { MinuteBars } from './minute-bars.ts';

/** Bytes a held trade costs: ts, price, qty (float64) and side (int8). */
export const BYTES_PER_TRADE = 25;

/** The trades table's row count and newest rowid, as one string: equal marks, same rows. */
export async function tableMark(store: Store): Promise<string> {
  const [r] = await store.rows<{ n: bigint; top: bigint | null }>('SELECT count(*) AS n, max(rowid) AS top FROM trades');
  return `${r.n}:${r.top}`;
}

/** Columns of one market, `length` rows in (ts, insertion) order. */
export interface TradeSlice {
  readonly length: number;
  readonly ts: Float64Array;
  readonly price: Float64Array;
  readonly qty: Float64Array;
  readonly side: Int8Array;
}

/** Source of MarketTrades ids: a copy refilled or dropped and made again never reuses a key. */
let nextId = 0;

export class MarketTrades {
  /**
   * Says which rows the copy holds: changes with every change of them (rows appended, merged,
   * dropped). Results computed from the copy's rows are kept under it (TradeCache.derived).
   */
  private stamp = `${nextId++}.0`;
  private changes = 0;
  private ts = new Float64Array(0);
  private price = new Float64Array(0);
  private qty = new Float64Array(0);
  private side = new Int8Array(0);
  private n = 0;
  /** The rows' one-minute candles, folded as rows arrive (read them before the next sync: the newest bar grows in place). */
  bars = new MinuteBars();
  /** Newest rowid held; -1 when nothing is. */
  private lastRowid = -1;
  /** The tableMark the copy is at least as new as ('' before the first sync). */
  private mark = '';

  constructor(
    readonly venue: Venue,
    readonly symbol: string,
  ) {}

  get length(): number {
    return this.n;
  }

  get version(): string {
    return this.stamp;
  }

  private changed(): void {
    this.stamp = `${this.stamp.slice(0, this.stamp.indexOf('.'))}.${++this.changes}`;
  }

  /** Memory held (the arrays' capacity). */
  get bytes(): number {
    return this.ts.length * BYTES_PER_TRADE + this.bars.bytes;
  }

  /**
   * Bring the copy up to date with `store`, whose tableMark (read before this call) is `mark`.
   * False, holding nothing, when the market has more than `maxRows` trades (the caller reads the
   * store instead).
   */
  async sync(store: Store, maxRows: number, mark: string): Promise<boolean> {
    if (mark === this.mark) return true;
    const [s] = await store.rows<{ n: bigint; fresh: bigint; top: bigint | null }>(
      'SELECT count(*) AS n, count(*) FILTER (WHERE rowid > $3) AS fresh, max(rowid) AS top FROM trades WHERE venue::VARCHAR = $1 AND symbol = $2',
      [this.venue, this.symbol, BigInt(this.lastRowid)],
    );
    const total = Number(s.n);
    let fresh = Number(s.fresh);
    if (total > maxRows) {
      this.clear();
      return false;
    }
    // Read after the mark: the copy below is at least as new as it.
    this.mark = mark;
    if (total !== this.n + fresh) {
      this.clear();
      fresh = total;
    }
    if (fresh === 0) return true;
    const top = Number(s.top);
    const add = await readTrades(store, { venues: [this.venue], symbols: [this.symbol], rowids: { after: this.lastRowid, through: top } });
    if (this.n === 0 || add.length === 0 || add.ts[0] >= this.ts[this.n - 1]) this.append(add);
    else this.merge(add);
    this.lastRowid = top;
    return true;
  }

  /** Rows with `fromMs <= ts < toMs` (the store readers' bounds, compared in whole µs as the store does). */
  slice(fromMs: number | undefined, toMs: number | undefined): TradeSlice {
    const lo = fromMs === undefined ? 0 : this.lowerBound(Math.round(fromMs * 1000));
    const hi = toMs === undefined ? this.n : this.lowerBound(Math.round(toMs * 1000));
    const end = Math.max(lo, hi);
    return { length: end - lo, ts: this.ts.subarray(lo, end), price: this.price.subarray(lo, end), qty: this.qty.subarray(lo, end), side: this.side.subarray(lo, end) };
  }

  /** First row whose time in µs is >= us. ts is ms from `epoch_us / 1000`: x 1000 rounds back to the stored µs exactly. */
  private lowerBound(us: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Math.round(this.ts[mid] * 1000) < us) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private clear(): void {
    this.ts = new Float64Array(0);
    this.price = new Float64Array(0);
    this.qty = new Float64Array(0);
    this.side = new Int8Array(0);
    this.n = 0;
    this.bars = new MinuteBars();
    this.lastRowid = -1;
    this.mark = '';
    this.changed();
  }

  private append(add: TradeSlice): void {
    const need = this.n + add.length;
    if (need > this.ts.length) {
      // Growth by half: at most a third of the capacity idle, and few copies while a market streams in.
      const cap = Math.max(need, Math.ceil(this.ts.length * 1.5), 1024);
      this.ts = grow(this.ts, cap, this.n);
      this.price = grow(this.price, cap, this.n);
      this.qty = grow(this.qty, cap, this.n);
      this.side = grow(this.side, cap, this.n);
    }
    this.ts.set(add.ts.subarray(0, add.length), this.n);
    this.price.set(add.price.subarray(0, add.length), this.n);
    this.qty.set(add.qty.subarray(0, add.length), this.n);
    this.side.set(add.side.subarray(0, add.length), this.n);
    this.bars.fold(this.ts, this.price, this.qty, this.side, this.n, need);
    this.n = need;
    this.changed();
  }

  /** New rows, some older than the newest held, merged by ts; at equal ts the held rows (inserted earlier) come first. */
  private merge(add: TradeSlice): void {
    const n = this.n + add.length;
    const cap = Math.max(n, Math.ceil(n * 1.25));
    const ts = new Float64Array(cap);
    const price = new Float64Array(cap);
    const qty = new Float64Array(cap);
    const side = new Int8Array(cap);
    let i = 0;
    let j = 0;
    for (let k = 0; k < n; k++) {
      const fromHeld = j >= add.length || (i < this.n && this.ts[i] <= add.ts[j]);
      if (fromHeld) {
        ts[k] = this.ts[i];
        price[k] = this.price[i];
        qty[k] = this.qty[i];
        side[k] = this.side[i];
        i++;
      } else {
        ts[k] = add.ts[j];
        price[k] = add.price[j];
        qty[k] = add.qty[j];
        side[k] = add.side[j];
        j++;
      }
    }
    this.ts = ts;
    this.price = price;
    this.qty = qty;
    this.side = side;
    this.n = n;
    // Rows inside held bars: fold them all again (bars are sums in row order).
    this.bars = new MinuteBars();
    this.bars.fold(ts, price, qty, side, 0, n);
    this.changed();
  }
}

function grow<T extends Float64Array | Int8Array>(a: T, cap: number, keep: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a.subarray(0, keep));
  return b;
}
