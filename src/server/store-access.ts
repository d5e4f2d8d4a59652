/**
 * How the server reads the store without ever holding it: reads open the store read-only and
 * close it when the last read in flight ends. A store that a recorder or paper session is writing
 * is then read through that process's read endpoint (src/store/read-endpoint.ts), the way `info`,
 * `watch` and `journal` read it, and a recorder started later finds the file free between reads.
 * In the same process as the writer (the demo), the server reads the writer's Store on connections
 * of its own instead (a second DuckDB instance of one file in one process is not safe).
 *
 * Reads that overlap share one read-only DuckDB instance, each on a connection of its own: the
 * page asks a dozen panes at once, and opening and closing an instance per request cost each
 * ~15 ms of CPU (closing is synchronous). While a read-only instance is open no other process can
 * write the file (DuckDB allows many readers or one writer), so a read on the shared instance
 * still sees every commit made before it started.
 *
 * Trades, which every pane starts from, are read through `trades` (cache/trade-cache.ts): held in
 * memory per market and caught up with the appended rows on each read, not read again whole.
 */
import { StoreError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { Store } from '../store/store.ts';
import { TradeCache } from './cache/trade-cache.ts';
import { HttpError } from './http-error.ts';
import { marketQueryOf, type MarketQuery } from '../query/market.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { marketParam, pickerName } from './query/params.ts';

/** Store reads running at once; more wait their turn (each a connection and DuckDB's work on it). */
const MAX_OPEN = 3;

/** A read's Store and what ends it. */
interface View {
  readonly store: Store;
  release(): void;
}

export class StoreAccess {
  private open = 0;
  private readonly waiting: (() => void)[] = [];
  /** The read-only instance the reads in flight share, and how many use it. */
  private common: { readonly store: Store; users: number } | null = null;
  /** An open of the common instance in progress (reads arriving meanwhile wait for it). */
  private opening: Promise<Store> | null = null;

  /** The markets' trades in memory (bounded: see TradeCache). */
  readonly trades: TradeCache;

  constructor(
    readonly home: string,
    /** A Store this process writes (the demo): read on connections of its own. */
    private readonly shared?: Store,
    /** The trade cache's memory bound, bytes (default DEFAULT_CACHE_BYTES). */
    cacheBytes?: number,
  ) {
    this.trades = new TradeCache(cacheBytes);
  }

  /**
   * Fill the trades in memory for every stored market, each market in a read of its own: the
   * file is free between them (a recorder opening it waits for readers only a few seconds). Then
   * `prepare` each market's default view (every venue with trades, no range).
   */
  async warm(prepare?: (store: Store, q: MarketQuery) => Promise<void>): Promise<void> {
    const markets = await this.read((store) => this.trades.storedMarkets(store));
    for (const { venue, symbol } of markets) {
      await this.read((store) => this.trades.fill(store, venue, symbol));
    }
    if (!prepare) return;
    // Then what the routes keep per market (`prepare`), for each market's default view: every venue, no range.
    for (const symbol of new Set(markets.map((m) => pickerName(m.venue, m.symbol)))) {
      await this.read(async (store) => {
        let pairs: [Venue, string][];
        try {
          ({ pairs } = await marketParam(store, { symbol }));
        } catch {
          return; // a name the instruments do not resolve: its requests compute what they need
        }
        await prepare(store, marketQueryOf(loadBundledInstruments(), symbol, pairs, undefined, undefined));
      });
    }
  }

  /**
   * Run `fn` on a read-only view of the store: it sees every commit made before it started.
   * `first`: when reads are queued (MAX_OPEN), this one goes before them (the main chart's).
   */
  async read<T>(fn: (store: Store) => Promise<T>, first = false): Promise<T> {
    if (this.open >= MAX_OPEN) await new Promise<void>((r) => (first ? this.waiting.unshift(r) : this.waiting.push(r)));
    this.open++;
    try {
      return await this.readNow(fn);
    } finally {
      this.open--;
      this.waiting.shift()?.();
    }
  }

  /**
   * `read` outside the MAX_OPEN turn: the live tail's polls (one at a time per watched market),
   * which must not wait behind the page's requests. A refresh of the overlays sends a dozen of
   * those at once; behind them a poll waited seconds and the page got the stream in one burst.
   */
  async readNow<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    let view: View;
    try {
      view = await this.view();
    } catch (e) {
      // The store is busy (an import holds it) or missing: the browser retries, nothing is wrong with the request.
      if (e instanceof StoreError) throw new HttpError(503, e.message);
      throw e;
    }
    try {
      return await fn(view.store);
    } finally {
      view.release();
    }
  }

  /** A connection of its own on the common read-only instance (opened if none is), or a Store of its own when reading through a writer. */
  private async view(): Promise<View> {
    if (this.shared) {
      const store = await this.shared.ownConnection();
      return { store, release: () => store.close() };
    }
    if (!this.common) {
      const opening = (this.opening ??= Store.open(this.home, { readOnly: true }).finally(() => {
        if (this.opening === opening) this.opening = null;
      }));
      const store = await opening;
      if (store.writerPid !== undefined) {
        // Read through the writer: its queries share one scratch connection, so each read has its own Store.
        if (!this.common && this.takeOwn(store)) return { store, release: () => store.close() };
        const own = await Store.open(this.home, { readOnly: true });
        return { store: own, release: () => own.close() };
      }
      if (!this.common) this.common = { store, users: 0 };
    }
    const common = this.common!;
    common.users++;
    let store: Store;
    try {
      store = await common.store.ownConnection();
    } catch (e) {
      this.leave(common);
      throw e;
    }
    return {
      store,
      release: () => {
        store.close();
        this.leave(common);
      },
    };
  }

  /** Read-through Stores handed out by `view`: the first read that awaited the open takes it. */
  private readonly taken = new WeakSet<Store>();
  private takeOwn(store: Store): boolean {
    if (this.taken.has(store)) return false;
    this.taken.add(store);
    return true;
  }

  /**
   * A read on the common instance ended: the last one closes it, after the reads already
   * queued behind MAX_OPEN had their turn to join (they start on the next tick).
   */
  private leave(common: { readonly store: Store; users: number }): void {
    if (--common.users > 0) return;
    setImmediate(() => {
      if (common.users > 0 || this.common !== common) return;
      this.common = null;
      common.store.close();
    });
  }
}
