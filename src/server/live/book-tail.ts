/**
 * One venue's live book for the websocket: the stored book messages replayed through the bait
 * detector (src/features/book.ts BookBaitOperator, whose L2 book it is) from the last snapshot
 * on, with the venue's trades, then each poll's new messages, sent as the top BOOK_LEVELS levels
 * a side after the poll with the walls that ended since the last message (pulled, consumed,
 * bait: the book heatmap marks them as /api/book-heatmap does). Bait walls are also detector
 * events (the markers of /api/events). Messages are ordered by exchange time; those at the newest
 * time already applied are counted, so a later flush at the same millisecond is applied once.
 */
import type { BookColumns, TradeColumns } from '../../core/columns.ts';
import type { Venue } from '../../core/events.ts';
import { BookBaitOperator, type WallEvent } from '../../features/book.ts';
import { readBook } from '../../store/book-reader.ts';
import type { Store } from '../../store/store.ts';
import type { DetectorEvent, LiveMessage } from '../api.ts';
import { baitMarker } from '../query/detector-events.ts';

export type BookMessage = Extract<LiveMessage, { type: 'book' }>;

/** Levels a side in each `book` message. */
export const BOOK_LEVELS = 20;
/** The replay starts at the newest snapshot within this of the newest stored message. */
const SNAPSHOT_LOOKBACK_MS = 6 * 3_600_000;

/** What one poll of a venue's book gives: its top levels (when a message was applied) and the bait walls that ended. */
export interface BookPoll {
  readonly message?: BookMessage;
  readonly events: DetectorEvent[];
}

export class BookTail {
  private readonly op: BookBaitOperator;
  private lastMs = -Infinity;
  private atLast = 0;
  private started = false;
  /** The detector's clock: the newest book message or trade pushed (an older trade is skipped). */
  private clock = -Infinity;
  /** Walls that ended since the last message; none are kept during the first poll's replay (history). */
  private walls: WallEvent[] = [];
  private live = false;

  constructor(
    readonly venue: Venue,
    readonly symbol: string,
    private readonly tick: number,
  ) {
    this.op = new BookBaitOperator({ tick }, { wall: (w) => this.live && this.walls.push(w) });
  }

  /**
   * Apply the messages stored since the last poll with this venue's trades among `trades` (the
   * poll's new trades; venue indices into `trades.venues`), merged by time.
   */
  async poll(store: Store, trades?: TradeColumns): Promise<BookPoll> {
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
    const applied = m < c.length;
    this.merge(c, m, trades);
    this.live = true;
    const events: DetectorEvent[] = [];
    for (const w of this.walls) {
      const e = baitMarker(this.venue, w);
      if (e) events.push(e);
    }
    const book = this.op.l2;
    if (!applied || !book.ready) return { events };
    const side = (s: typeof book.bids): [number, number][] => {
      const out: [number, number][] = [];
      for (let k = 0; k < BOOK_LEVELS && k < s.size; k++) out.push([Number((s.indexAt(k) * this.tick).toPrecision(12)), s.qtyAt(k)]);
      return out;
    };
    const walls = this.walls.map((w) => ({ side: w.side, price: w.price, size: w.peak, outcome: w.outcome, firstMs: w.firstSeenTs, endMs: w.endTs }));
    this.walls = [];
    return { message: { type: 'book', venue: this.venue, t: this.lastMs, bids: side(book.bids), asks: side(book.asks), ...(walls.length ? { walls } : {}) }, events };
  }

  /** Book messages from `m` on and this venue's trades, merged by time (book first at equal times), into the detector. */
  private merge(c: BookColumns, m: number, trades: TradeColumns | undefined): void {
    const v = trades ? trades.venues.indexOf(this.venue) : -1;
    let i = 0;
    const nt = v < 0 ? 0 : trades!.length;
    for (;;) {
      while (i < nt && trades!.venue[i] !== v) i++;
      const bt = m < c.length ? c.ts[m] : Infinity;
      const tt = i < nt ? trades!.ts[i] : Infinity;
      if (bt === Infinity && tt === Infinity) return;
      if (bt <= tt) {
        // A book message is always applied (the book must stay whole); one older than a trade
        // already pushed (the poll reads trades first, so only across recorders) skips the detector.
        if (bt >= this.clock) {
          this.op.pushBook(c, m, m + 1);
          this.clock = bt;
        } else this.op.l2.apply(c, m);
        if (c.ts[m] === this.lastMs) this.atLast++;
        else {
          this.lastMs = c.ts[m];
          this.atLast = 1;
        }
        m++;
      } else {
        if (tt >= this.clock) {
          this.op.pushTrades(trades!, i, i + 1);
          this.clock = tt;
        }
        i++;
      }
    }
  }
}
