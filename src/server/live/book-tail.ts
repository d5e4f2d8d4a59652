/**
 * One venue's live book for the websocket: the stored book messages replayed into an L2 book
 * (src/features/book.ts) from the last snapshot on, then each poll's new messages, sent as the
 * top BOOK_LEVELS levels a side after the poll. Messages are ordered by exchange time; those at
 * the newest time already applied are counted, so a later flush at the same millisecond is
 * applied once.
 */
import type { Venue } from '../../core/events.ts';
import { L2Book } from '../../features/book.ts';
import { readBook } from '../../store/book-reader.ts';
import type { Store } from '../../store/store.ts';
import type { LiveMessage } from '../api.ts';

export type BookMessage = Extract<LiveMessage, { type: 'book' }>;

/** Levels a side in each `book` message. */
export const BOOK_LEVELS = 20;
/** The replay starts at the newest snapshot within this of the newest stored message. */
const SNAPSHOT_LOOKBACK_MS = 6 * 3_600_000;

export class BookTail {
  private readonly book: L2Book;
  private lastMs = -Infinity;
  private atLast = 0;
  private started = false;

  constructor(
    readonly venue: Venue,
    readonly symbol: string,
    private readonly tick: number,
  ) {
    this.book = new L2Book(tick);
  }

  /** Apply the messages stored since the last poll; the book's top levels when any was applied. */
  async poll(store: Store): Promise<BookMessage | undefined> {
    let fromMs = this.lastMs;
    if (!this.started) {
      this.started = true;
      const [r] = await store.rows<{ snap: number | null }>(
        `SELECT epoch_us(max(ts) FILTER (WHERE is_snapshot))::DOUBLE / 1000 AS snap FROM book
         WHERE venue::VARCHAR = $1 AND symbol = $2 AND ts >= (SELECT max(ts) FROM book WHERE venue::VARCHAR = $1 AND symbol = $2) - to_milliseconds($3::BIGINT)`,
        [this.venue, this.symbol, BigInt(SNAPSHOT_LOOKBACK_MS)],
      );
      // No snapshot to start from: diffs cannot be applied; the next snapshot starts the book.
      fromMs = r?.snap ?? Date.now() - SNAPSHOT_LOOKBACK_MS;
    }
    const c = await readBook(store, { venue: this.venue, symbol: this.symbol, fromMs: Number.isFinite(fromMs) ? fromMs : undefined });
    let m = 0;
    for (let seen = 0; m < c.length && c.ts[m] === this.lastMs && seen < this.atLast; m++) seen++;
    if (m >= c.length) return undefined;
    for (; m < c.length; m++) {
      this.book.apply(c, m);
      if (c.ts[m] === this.lastMs) this.atLast++;
      else {
        this.lastMs = c.ts[m];
        this.atLast = 1;
      }
    }
    if (!this.book.ready) return undefined;
    const side = (s: L2Book['bids']): [number, number][] => {
      const out: [number, number][] = [];
      for (let k = 0; k < BOOK_LEVELS && k < s.size; k++) out.push([Number((s.indexAt(k) * this.tick).toPrecision(12)), s.qtyAt(k)]);
      return out;
    };
    return { type: 'book', venue: this.venue, t: this.lastMs, bids: side(this.book.bids), asks: side(this.book.asks) };
  }
}
