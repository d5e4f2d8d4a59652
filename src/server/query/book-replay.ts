/**
 * One venue's stored book replayed through the bait detector (src/features/book.ts) with its
 * trades: the resting size by price sampled at the end of each `tf` column (Bookmap-style), the
 * best bid and ask there, and the walls the detector saw end (bait, pulled, consumed).
 */
import type { BookColumns, TradeColumns } from '../../core/columns.ts';
import { BookBaitOperator, forEachMerged, type WallEvent } from '../../features/book.ts';

/** Levels sampled per side per column. */
export const BOOK_DEPTH = 50;

export interface BookReplay {
  readonly t0: number;
  readonly columns: number;
  /** Sparse cells: column, tick index, resting size (base units). */
  readonly col: number[];
  readonly index: number[];
  readonly size: number[];
  readonly bestBid: number[];
  readonly bestAsk: number[];
  readonly walls: WallEvent[];
}

export function replayBook(book: BookColumns, trades: TradeColumns, o: { tick: number; tfMs: number; fromMs: number; toMs: number }): BookReplay {
  const t0 = Math.floor(o.fromMs / o.tfMs) * o.tfMs;
  const columns = Math.ceil((o.toMs - t0) / o.tfMs);
  const walls: WallEvent[] = [];
  const op = new BookBaitOperator({ tick: o.tick }, { imbalance: () => {}, wall: (w) => walls.push(w) });
  const out: BookReplay = { t0, columns, col: [], index: [], size: [], bestBid: new Array(columns).fill(NaN), bestAsk: new Array(columns).fill(NaN), walls };
  let next = 0;
  // The book as it stands when each column whose end is at or before `ts` closes.
  const sampleUntil = (ts: number) => {
    while (next < columns && t0 + (next + 1) * o.tfMs <= ts) {
      const l2 = op.l2;
      if (l2.ready && t0 + (next + 1) * o.tfMs > o.fromMs) {
        for (const side of [l2.bids, l2.asks]) {
          for (let k = 0; k < BOOK_DEPTH && k < side.size; k++) {
            out.col.push(next);
            out.index.push(side.indexAt(k));
            out.size.push(side.qtyAt(k));
          }
        }
        out.bestBid[next] = l2.bids.size > 0 ? l2.bids.best() * o.tick : NaN;
        out.bestAsk[next] = l2.asks.size > 0 ? l2.asks.best() * o.tick : NaN;
      }
      next++;
    }
  };
  forEachMerged(book, trades, (kind, from, to) => {
    if (kind === 'trades') {
      sampleUntil(trades.ts[from]);
      op.pushTrades(trades, from, to);
      return;
    }
    for (let m = from; m < to; m++) {
      sampleUntil(book.ts[m]);
      op.pushBook(book, m, m + 1);
    }
  });
  sampleUntil(Infinity);
  op.flush();
  return out;
}
