/**
 * The paper kernel's input: the session's markets as the store holds them, read window by window
 * ([from, to) in exchange time, `to` the watermark: watermark.ts) and pushed into the kernel in
 * the replay merge's order (src/engine/replay.ts). It reads exactly what `orderflow backtest`
 * reads (the same readers, markets and warm-up), so a backtest over the session's span sees the
 * same events in the same order: that is the parity (docs/PAPER.md).
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import type { Engine } from '../engine/engine.ts';
import { replayBatches } from '../engine/replay.ts';
import { readBook } from '../store/book-reader.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import type { Store } from '../store/store.ts';
import { readMarks, readOpenInterest, readQuotes } from '../store/ticker-reader.ts';
import { streamTrades } from '../store/trade-reader.ts';

/** The longest span read at once. */
const CATCH_UP_WINDOW_MS = 3_600_000;

export interface FeedMarket {
  /** Every venue merged, in the order ties break (the same array object every read: the kernel caches by it). */
  readonly venues: readonly Venue[];
  readonly symbols: readonly string[];
  readonly execVenue: Venue;
  readonly execSymbol: string;
  /**
   * Book messages are read (execution.useBook or entry.vetoOnBaitOnly), from `bookFromMs` on: the
   * last snapshot at or before the session's start (store/book-reader.ts `bookReadFrom`, as the
   * backtest reads them), so the book is real from the first event. It may lie before the
   * warm-up's start: the first window then reads the book from there.
   */
  readonly needBook: boolean;
  readonly bookFromMs: number;
}

export class StoredFeed {
  /** Rows stamped before this have been pushed. */
  private cursor: number;
  /** Book messages stamped before this have been pushed. */
  private bookCursor: number;
  private readonly execVenues: readonly Venue[];
  private readonly execSymbols: readonly string[];
  events = 0;

  constructor(
    private readonly store: Store,
    private readonly m: FeedMarket,
    fromMs: number,
  ) {
    this.cursor = fromMs;
    this.bookCursor = m.bookFromMs;
    this.execVenues = [m.execVenue];
    this.execSymbols = [m.execSymbol];
  }

  /** Rows stamped before this have been pushed into the kernel. */
  get position(): number {
    return this.cursor;
  }

  /**
   * Push every stored row stamped in [position, toMs) into the kernel; returns how many. A long
   * span (a resume replaying days) goes an hour at a time, so memory holds an hour of book and
   * tickers, not the session's (the kernel's result does not depend on how its input is cut).
   */
  async pushUntil(kernel: Engine, toMs: number): Promise<number> {
    let n = 0;
    if (toMs - this.cursor > CATCH_UP_WINDOW_MS) {
      // Windows before the first stored row hold nothing (a new session's warm-up span on a fresh
      // store): start at the window of that row. The kernel sees the same rows either way (a
      // window pushes rows only, never timers), without reading empty hours five queries each.
      const first = await this.firstStoredTs(toMs);
      const start = Math.floor((Number.isFinite(first) ? first : toMs) / CATCH_UP_WINDOW_MS) * CATCH_UP_WINDOW_MS;
      if (start > this.cursor) this.cursor = start;
    }
    while (toMs - this.cursor > CATCH_UP_WINDOW_MS) n += await this.pushWindow(kernel, Math.floor(this.cursor / CATCH_UP_WINDOW_MS) * CATCH_UP_WINDOW_MS + CATCH_UP_WINDOW_MS);
    return n + (await this.pushWindow(kernel, toMs));
  }

  /** The earliest row in [position, toMs) of any table the windows read (a superset of their filters), or NaN. */
  private async firstStoredTs(toMs: number): Promise<number> {
    const m = this.m;
    const values: DuckDBValue[] = [];
    const param = (v: DuckDBValue) => {
      values.push(v);
      return `$${values.length}`;
    };
    const from = param(BigInt(Math.round(this.cursor * 1000)));
    const to = param(BigInt(Math.round(toMs * 1000)));
    const venues = m.venues.map((v) => param(v)).join(', ');
    const symbols = m.symbols.map((s) => param(s)).join(', ');
    const min = (table: string) =>
      `SELECT min(ts) AS ts FROM ${table} WHERE venue::VARCHAR IN (${venues}) AND symbol IN (${symbols}) AND ts >= make_timestamp(${from}::BIGINT) AND ts < make_timestamp(${to}::BIGINT)`;
    const tables = ['trades', 'liquidations', 'tickers', ...(m.needBook ? ['book'] : [])];
    const [row] = await this.store.rows<{ ts_ms: number | null }>(`SELECT epoch_us(min(ts))::DOUBLE / 1000 AS ts_ms FROM (${tables.map(min).join(' UNION ALL ')})`, values);
    return row?.ts_ms ?? NaN;
  }

  private async pushWindow(kernel: Engine, toMs: number): Promise<number> {
    const from = this.cursor;
    if (!(toMs > from)) return 0;
    const m = this.m;
    const q = { venues: m.venues, symbols: m.symbols, fromMs: from, toMs };
    const bookFrom = this.bookCursor;
    const [liquidations, openInterest, marks, quotes, book] = [
      await readLiquidations(this.store, q),
      await readOpenInterest(this.store, q),
      await readMarks(this.store, q),
      await readQuotes(this.store, { ...q, venues: this.execVenues, symbols: this.execSymbols }),
      m.needBook && toMs > bookFrom ? await readBook(this.store, { venue: m.execVenue, symbol: m.execSymbol, fromMs: bookFrom, toMs }) : undefined,
    ];
    const trades = streamTrades(this.store, q) as AsyncIterable<TradeColumns>;
    let n = 0;
    for await (const batch of replayBatches({ trades, liquidations, openInterest, marks, quotes, books: book ? [{ venue: m.execVenue, cols: book }] : [] })) {
      for (const run of batch) {
        if (run.kind === 'timer') continue;
        kernel.onEvent(run);
        n += run.to - run.from;
      }
    }
    this.cursor = toMs;
    if (toMs > this.bookCursor) this.bookCursor = toMs;
    this.events += n;
    return n;
  }
}
