/**
 * The stored books of a market, venue by venue (a venue's book and its walls are its own: books
 * do not add across venues), with what the book operators need beside them: the venue's tick and
 * its own trades. What `analyze` and the dashboard's events read for the bait detector.
 */
import { allocTradeColumns, type BookColumns, type TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { readBook } from '../store/book-reader.ts';
import type { Store } from '../store/store.ts';
import { readTrades, type TradeQuery } from '../store/trade-reader.ts';
import { knownTick } from './market.ts';

export interface VenueBook {
  readonly venue: Venue;
  readonly symbol: string;
  readonly book: BookColumns;
  readonly tick: number;
  /** The venue's own trades over the same range (empty when `hasTrades` says it has none). */
  readonly trades: TradeColumns;
}

/**
 * Each pair of `pairs` with book messages in [fromMs, toMs) and a known tick; a pair without
 * either is skipped. `hasTrades` (default: every pair) spares the trade read of a pair known to
 * have none; `trades` reads them (default the store's reader: the dashboard's server passes its
 * trades in memory).
 */
export async function* venueBooks(
  store: Store,
  pairs: readonly (readonly [Venue, string])[],
  fromMs: number | undefined,
  toMs: number | undefined,
  hasTrades: (venue: Venue, symbol: string) => boolean = () => true,
  trades: (q: TradeQuery) => Promise<TradeColumns> = (q) => readTrades(store, q),
): AsyncGenerator<VenueBook> {
  for (const [venue, symbol] of pairs) {
    const book = await readBook(store, { venue, symbol, fromMs, toMs });
    if (book.length === 0) continue;
    const tick = knownTick(venue, symbol);
    if (tick === undefined) continue;
    const own = hasTrades(venue, symbol) ? await trades({ venues: [venue], symbols: [symbol], fromMs, toMs }) : allocTradeColumns(0);
    yield { venue, symbol, book, tick, trades: own };
  }
}
