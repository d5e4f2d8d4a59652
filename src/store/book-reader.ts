/**
 * Stored L2 book messages of one venue + symbol as BookColumns (src/features/book.ts), in time
 * order, for the book operator.
 *
 * A message is the rows sharing (import_id, msg) (docs/SCHEMA.md `book`). Messages are ordered by
 * `ts`, then by insertion order (the message's first DuckDB `rowid`: a file's own order, whatever
 * sign or direction its `msg` ids take); levels keep their insertion order inside a message.
 * Streamed message-aligned chunks; every value is bound, never spliced into SQL.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { Venue } from '../core/events.ts';
// Type only (erased at run time): the columns type lives with its operator until it moves to core.
import type { BookColumns } from '../core/columns.ts';
import { doubleChunks } from './double-chunks.ts';
import type { Store } from './store.ts';

export interface BookQuery {
  readonly venue: Venue;
  /** Venue-native symbol. */
  readonly symbol: string;
  /** Inclusive lower bound, epoch ms. Diffs before the first snapshot in range cannot be applied. */
  readonly fromMs?: number;
  /** Exclusive upper bound, epoch ms. */
  readonly toMs?: number;
}

/** Messages per yielded chunk by default. */
export const CHUNK_MESSAGES = 1 << 12;

function bookQuery(q: BookQuery): { sql: string; values: DuckDBValue[] } {
  const values: DuckDBValue[] = [];
  const param = (v: DuckDBValue) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where = [`venue::VARCHAR = ${param(q.venue)}`, `symbol = ${param(q.symbol)}`];
  if (q.fromMs !== undefined) where.push(`ts >= make_timestamp(${param(BigInt(Math.round(q.fromMs * 1000)))}::BIGINT)`);
  if (q.toMs !== undefined) where.push(`ts < make_timestamp(${param(BigInt(Math.round(q.toMs * 1000)))}::BIGINT)`);
  const sql = `SELECT epoch_us(ts)::DOUBLE / 1000 AS ts_ms,
      is_snapshot::DOUBLE AS snap,
      coalesce(seq, 'NaN'::DOUBLE) AS seq,
      (CASE WHEN side = 'buy' THEN 1 ELSE -1 END)::DOUBLE AS side_num,
      price, qty,
      min(rowid) OVER (PARTITION BY import_id, msg)::DOUBLE AS first_row
    FROM book WHERE ${where.join(' AND ')}
    ORDER BY ts, first_row, rowid`;
  return { sql, values };
}

/** Growable builder of BookColumns. */
class Builder {
  ts: number[] = [];
  snap: number[] = [];
  seq: number[] = [];
  start: number[] = [];
  side: number[] = [];
  price: number[] = [];
  qty: number[] = [];

  get messages(): number {
    return this.ts.length;
  }

  build(): BookColumns {
    const n = this.ts.length;
    const levelStart = new Uint32Array(n + 1);
    levelStart.set(this.start);
    levelStart[n] = this.side.length;
    return {
      length: n,
      ts: Float64Array.from(this.ts),
      isSnapshot: Uint8Array.from(this.snap),
      seq: Float64Array.from(this.seq),
      levelStart,
      side: Int8Array.from(this.side),
      price: Float64Array.from(this.price),
      qty: Float64Array.from(this.qty),
    };
  }
}

/**
 * The book messages of one venue + symbol, about `chunkMessages` messages at a time (a message is
 * never split across chunks). Each chunk is a fresh BookColumns the consumer may keep.
 */
export async function* streamBook(store: Store, q: BookQuery, chunkMessages = CHUNK_MESSAGES): AsyncGenerator<BookColumns> {
  if (!(Number.isInteger(chunkMessages) && chunkMessages >= 1)) throw new RangeError(`streamBook: chunkMessages must be a whole number >= 1, got ${chunkMessages}`);
  const { sql, values } = bookQuery(q);
  let b = new Builder();
  let lastGroup = NaN;
  for await (const { rows, cols } of doubleChunks(store, sql, values, 7, 'book')) {
    const [ts, snap, seq, side, price, qty, group] = cols;
    for (let r = 0; r < rows; r++) {
      if (group[r] !== lastGroup) {
        if (b.messages === chunkMessages) {
          yield b.build();
          b = new Builder();
        }
        lastGroup = group[r];
        b.ts.push(ts[r]);
        b.snap.push(snap[r]);
        b.seq.push(seq[r]);
        b.start.push(b.side.length);
      }
      b.side.push(side[r]);
      b.price.push(price[r]);
      b.qty.push(qty[r]);
    }
  }
  if (b.messages > 0) yield b.build();
}

/** All book messages of one venue + symbol in one BookColumns. */
export async function readBook(store: Store, q: BookQuery): Promise<BookColumns> {
  const chunks: BookColumns[] = [];
  for await (const c of streamBook(store, q)) chunks.push(c);
  if (chunks.length === 1) return chunks[0];
  return concatBook(chunks);
}

/** Message-aligned chunks joined into one BookColumns. */
export function concatBook(chunks: readonly BookColumns[]): BookColumns {
  let n = 0;
  let levels = 0;
  for (const c of chunks) {
    n += c.length;
    levels += c.levelStart[c.length];
  }
  const out = { length: n, ts: new Float64Array(n), isSnapshot: new Uint8Array(n), seq: new Float64Array(n), levelStart: new Uint32Array(n + 1), side: new Int8Array(levels), price: new Float64Array(levels), qty: new Float64Array(levels) };
  let m = 0;
  let r = 0;
  for (const c of chunks) {
    const rows = c.levelStart[c.length];
    out.ts.set(c.ts.subarray(0, c.length), m);
    out.isSnapshot.set(c.isSnapshot.subarray(0, c.length), m);
    out.seq.set(c.seq.subarray(0, c.length), m);
    for (let k = 0; k < c.length; k++) out.levelStart[m + k] = r + c.levelStart[k];
    out.side.set(c.side.subarray(0, rows), r);
    out.price.set(c.price.subarray(0, rows), r);
    out.qty.set(c.qty.subarray(0, rows), r);
    m += c.length;
    r += rows;
  }
  out.levelStart[n] = r;
  return out;
}

/**
 * The time of the last stored book snapshot of one venue + symbol at or before `atMs`, or NaN
 * when there is none. A replay starting at `atMs` reads the book from there: the snapshot and the
 * diffs after it rebuild the book as it stood at `atMs`, where reading from `atMs` alone would
 * give diffs that cannot be applied until the venue's next snapshot (for a live Binance book,
 * the next resync).
 */
export async function lastBookSnapshotTs(store: Store, venue: Venue, symbol: string, atMs: number): Promise<number> {
  const [row] = await store.rows<{ ts_ms: number | null }>(
    'SELECT epoch_us(max(ts))::DOUBLE / 1000 AS ts_ms FROM book WHERE venue::VARCHAR = $1 AND symbol = $2 AND is_snapshot AND ts <= make_timestamp($3::BIGINT)',
    [venue, symbol, BigInt(Math.round(atMs * 1000))],
  );
  return row?.ts_ms ?? NaN;
}

/** Where a replay starting at `atMs` reads the book from: its last snapshot at or before `atMs`, else `atMs`. */
export async function bookReadFrom(store: Store, venue: Venue, symbol: string, atMs: number): Promise<number> {
  const snap = await lastBookSnapshotTs(store, venue, symbol, atMs);
  return Number.isFinite(snap) ? snap : atMs;
}
