/**
 * The live source: the store's newest rows, read every poll. Each stream (a table and a venue)
 * keeps a watermark, the newest exchange time sent and how many rows at exactly that time were
 * sent, so a row committed in a later flush at the same millisecond is still sent once, and
 * nothing older is re-read. Whatever records into the home (record, paper, the demo) shows up
 * here within a poll of its recorder's flush, the way the paper session reads its feed
 * (src/paper/stored-feed.ts).
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { LiquidationColumns, TradeColumns } from '../../core/columns.ts';
import type { Venue } from '../../core/events.ts';
import type { Store } from '../../store/store.ts';
import { knownTick } from '../../query/market.ts';
import type { DetectorEvent, LiveMessage } from '../api.ts';
import { BookTail, type BookMessage } from './book-tail.ts';
import { DetectorTail } from './detector-tail.ts';

/** Rows one stream sends per poll at most: a recorder catching up is sent over several polls. */
export const MAX_ROWS_PER_POLL = 20_000;
/** How long a venue found without a stored book goes before the tail looks again (a recorder may start recording it). */
export const BOOK_RECHECK_MS = 10_000;

const TABLES = ['trades', 'liquidations', 'tickers'] as const;
type Table = (typeof TABLES)[number];

interface Mark {
  /** Exchange time in µs of the newest row sent. */
  us: number;
  /** Rows at exactly `us` sent. */
  atUs: number;
}

interface TailRow {
  us: bigint;
  venue: Venue;
  price: number;
  qty: number;
  side: string;
}

interface TickerRow {
  us: bigint;
  venue: Venue;
  oi: number | null;
  fr: number | null;
  mark: number | null;
}

export type TradesMessage = Extract<LiveMessage, { type: 'trades' }>;
export type LiquidationsMessage = Extract<LiveMessage, { type: 'liquidations' }>;
export type MarketStateMessage = Extract<LiveMessage, { type: 'marketState' }>;

/** What one poll found. */
export interface TailBatch {
  readonly trades?: TradesMessage;
  readonly liquidations?: LiquidationsMessage;
  readonly marketState: readonly MarketStateMessage[];
  /** Each venue's book after the poll, for venues with a stored book that changed. */
  readonly book?: readonly BookMessage[];
  /** Detector events the poll's rows completed (absorption, divergence, bait), in time order. */
  readonly events?: readonly DetectorEvent[];
}

export class StoreTail {
  private readonly marks = new Map<string, Mark>();
  private readonly books = new Map<Venue, BookTail>();
  /** Venues found without a stored book, and until when that answer stands. */
  private readonly noBookUntil = new Map<Venue, number>();
  private readonly detectors: DetectorTail;
  private started = false;

  constructor(private readonly pairs: readonly (readonly [Venue, string])[]) {
    this.detectors = new DetectorTail([...new Set(pairs.map((p) => p[0]))]);
  }

  /**
   * Rows committed since the last poll. The first poll only sets the watermarks at the newest
   * rows and warms the detectors on the history before them.
   */
  async poll(store: Store): Promise<TailBatch> {
    if (!this.started) {
      for (const table of TABLES) await this.markNewest(store, table);
      let newest = -Infinity;
      for (const [k, m] of this.marks) if (!k.startsWith('tickers:')) newest = Math.max(newest, m.us);
      // Up to and including the newest row (µs -> ms, one µs past it); a row read twice is skipped as late.
      if (Number.isFinite(newest)) await this.detectors.warm(store, this.pairs, (newest + 1) / 1000);
      this.started = true;
      return { marketState: [] };
    }
    const { trades, liqs, tickers } = await this.newRows(store);
    const tradeCols = this.columns(trades, (side) => (side === 'buy' ? 1 : -1));
    // The forced order's side, as LiquidationColumns: a forced sell (-1) closed a long.
    const liqCols = this.columns(liqs, (side) => (side === 'buy' ? 1 : -1));
    const events = this.detectors.push(tradeCols, liqCols);
    const books = await this.pollBooks(store, tradeCols, events);
    events.sort((a, b) => a.t - b.t);
    return {
      trades: trades.length === 0 ? undefined : {
        type: 'trades',
        t: trades.map((r) => Number(r.us) / 1000),
        price: trades.map((r) => r.price),
        qty: trades.map((r) => r.qty),
        side: trades.map((r) => (r.side === 'buy' ? 1 : -1)),
        venue: trades.map((r) => r.venue),
      },
      liquidations: liqs.length === 0 ? undefined : {
        type: 'liquidations',
        t: liqs.map((r) => Number(r.us) / 1000),
        price: liqs.map((r) => r.price),
        qty: liqs.map((r) => r.qty),
        // A forced sell closes a long.
        side: liqs.map((r) => (r.side === 'sell' ? 'long' : 'short')),
        venue: liqs.map((r) => r.venue),
      },
      marketState: latestPerVenue(tickers),
      book: books,
      ...(events.length ? { events } : {}),
    };
  }

  /**
   * With a bus (`serve --bus`): the trades came from the bus, the books still from the store. The
   * bus's trades feed the walls' consumed volume, so bait events still come; absorption and
   * divergence are not run live on bus trades (docs/DASHBOARD.md).
   */
  async pollBusBooks(store: Store, trades: TradesMessage | undefined): Promise<{ book: BookMessage[]; events?: DetectorEvent[] }> {
    const venues = this.detectors.venues;
    const n = trades?.t.length ?? 0;
    const cols = { length: n, ts: new Float64Array(n), price: new Float64Array(n), qty: new Float64Array(n), side: new Int8Array(n), venue: new Uint8Array(n), venues };
    for (let i = 0; i < n; i++) {
      cols.ts[i] = trades!.t[i];
      cols.price[i] = trades!.price[i];
      cols.qty[i] = trades!.qty[i];
      cols.side[i] = trades!.side[i];
      cols.venue[i] = venues.indexOf(trades!.venue[i]);
    }
    const events: DetectorEvent[] = [];
    const book = await this.pollBooks(store, cols, events);
    events.sort((a, b) => a.t - b.t);
    return events.length ? { book, events } : { book };
  }

  /** Tail rows (time order) as the operators' columns; venue indices into the detectors' venue list. */
  private columns(rows: readonly TailRow[], side: (s: string) => 1 | -1): TradeColumns & LiquidationColumns {
    const venues = this.detectors.venues;
    const n = rows.length;
    const c = { length: n, ts: new Float64Array(n), price: new Float64Array(n), qty: new Float64Array(n), side: new Int8Array(n), venue: new Uint8Array(n), venues };
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      c.ts[i] = Number(r.us) / 1000;
      c.price[i] = r.price;
      c.qty[i] = r.qty;
      c.side[i] = side(r.side);
      c.venue[i] = venues.indexOf(r.venue);
    }
    return c;
  }

  /**
   * A venue's book is followed from the first poll that finds book rows for it (and an instrument
   * tick). Bait walls become events for the first venue with a book only, as /api/events does.
   */
  private async pollBooks(store: Store, trades: TradeColumns, events: DetectorEvent[]): Promise<BookMessage[]> {
    const out: BookMessage[] = [];
    let first = true;
    for (const [venue, symbol] of this.pairs) {
      let tail = this.books.get(venue);
      if (!tail) {
        // A venue without a stored book is asked again every BOOK_RECHECK_MS, not every poll.
        const now = performance.now();
        if (now < (this.noBookUntil.get(venue) ?? -Infinity)) continue;
        const has = await store.rows('SELECT 1 FROM book WHERE venue::VARCHAR = $1 AND symbol = $2 LIMIT 1', [venue, symbol]);
        if (has.length === 0) {
          this.noBookUntil.set(venue, now + BOOK_RECHECK_MS);
          continue;
        }
        const tick = knownTick(venue, symbol);
        if (tick === undefined) continue;
        tail = new BookTail(venue, symbol, tick);
        this.books.set(venue, tail);
      }
      const p = await tail.poll(store, trades);
      if (p.message) out.push(p.message);
      if (first) events.push(...p.events);
      first = false;
    }
    return out;
  }

  private key(table: Table, venue: Venue, symbol: string): string {
    return `${table}:${venue}:${symbol}`;
  }

  private async markNewest(store: Store, table: Table): Promise<void> {
    for (const [venue, symbol] of this.pairs) {
      const rows = await store.rows<{ us: bigint | null; n: bigint }>(
        `SELECT epoch_us(max(ts)) AS us, count(*) FILTER (WHERE ts = (SELECT max(ts) FROM ${table} WHERE venue::VARCHAR = $1 AND symbol = $2)) AS n FROM ${table} WHERE venue::VARCHAR = $1 AND symbol = $2`,
        [venue, symbol],
      );
      const us = rows[0]?.us;
      this.marks.set(this.key(table, venue, symbol), us === null || us === undefined ? { us: -Infinity, atUs: 0 } : { us: Number(us), atUs: Number(rows[0].n) });
    }
  }

  /**
   * Rows of every stream (table x venue) past its watermark, each table's in time order, and the
   * watermarks moved past them. One statement for all of them: a poll through a recorder's read
   * endpoint waits its turn per statement behind whatever else reads the store (the page's
   * requests), so a statement per stream made a poll wait that many turns.
   */
  private async newRows(store: Store): Promise<{ trades: TailRow[]; liqs: TailRow[]; tickers: TickerRow[] }> {
    const values: DuckDBValue[] = [];
    const param = (v: DuckDBValue) => {
      values.push(v);
      return `$${values.length}`;
    };
    const parts: string[] = [];
    TABLES.forEach((table, k) =>
      this.pairs.forEach(([venue, symbol], v) => {
        const mark = this.marks.get(this.key(table, venue, symbol))!;
        const since = Number.isFinite(mark.us) ? `AND ts >= make_timestamp(${param(BigInt(mark.us))}::BIGINT)` : '';
        const cols = table === 'tickers' ? 'open_interest AS a, funding_rate AS b, mark_price AS c, NULL::VARCHAR AS s' : 'price AS a, qty AS b, NULL::DOUBLE AS c, side::VARCHAR AS s';
        parts.push(
          `(SELECT ${k} AS k, ${v} AS v, epoch_us(ts) AS us, rowid AS r, ${cols} FROM ${table} WHERE venue::VARCHAR = ${param(venue)} AND symbol = ${param(symbol)} ${since} ORDER BY ts, rowid LIMIT ${MAX_ROWS_PER_POLL + mark.atUs})`,
        );
      }),
    );
    const rows = await store.rows<{ k: number; v: number; us: bigint; a: number | null; b: number | null; c: number | null; s: string | null }>(
      `SELECT k, v, us, a, b, c, s FROM (${parts.join(' UNION ALL ')}) ORDER BY k, v, us, r`,
      values,
    );
    const trades: TailRow[] = [];
    const liqs: TailRow[] = [];
    const tickers: TickerRow[] = [];
    // Rows come grouped by stream, each in (time, rowid) order: the watermark's skip per stream.
    for (let i = 0; i < rows.length; ) {
      const { k, v } = rows[i];
      let end = i;
      while (end < rows.length && rows[end].k === k && rows[end].v === v) end++;
      const table = TABLES[k];
      const venue = this.pairs[v][0];
      const mark = this.marks.get(this.key(table, venue, this.pairs[v][1]))!;
      // The rows at the watermark's own time that were sent already come first (same order by rowid).
      let skip = i;
      while (skip < end && skip - i < mark.atUs && Number(rows[skip].us) === mark.us) skip++;
      for (let j = skip; j < end; j++) {
        const r = rows[j];
        const us = Number(r.us);
        if (us === mark.us) mark.atUs++;
        else {
          mark.us = us;
          mark.atUs = 1;
        }
        if (table === 'tickers') tickers.push({ us: r.us, venue, oi: r.a, fr: r.b, mark: r.c });
        else (table === 'trades' ? trades : liqs).push({ us: r.us, venue, price: r.a!, qty: r.b!, side: r.s! });
      }
      i = end;
    }
    if (this.pairs.length > 1) for (const out of [trades, liqs, tickers]) out.sort((a, b) => Number(a.us - b.us));
    return { trades, liqs, tickers };
  }
}

/** A ticker poll is sent as each venue's newest state: intermediate ticks add nothing a chart shows. */
function latestPerVenue(rows: readonly TickerRow[]): MarketStateMessage[] {
  const last = new Map<Venue, { -readonly [K in keyof MarketStateMessage]: MarketStateMessage[K] }>();
  for (const r of rows) {
    const m = last.get(r.venue) ?? { type: 'marketState', venue: r.venue, t: 0 };
    m.t = Number(r.us) / 1000;
    // A venue sends open interest, funding and mark in separate frames: keep the last of each.
    if (r.oi !== null) m.openInterest = r.oi;
    if (r.fr !== null) m.fundingRate = r.fr;
    if (r.mark !== null) m.markPrice = r.mark;
    last.set(r.venue, m);
  }
  return [...last.values()];
}
