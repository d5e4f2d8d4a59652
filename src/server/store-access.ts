/**
 * How the server reads the store without ever holding it: each request (and each live tail tick)
 * opens the store read-only and closes it when done. A store that a recorder or paper session is
 * writing is then read through that process's read endpoint (src/store/read-endpoint.ts), the way
 * `info`, `watch` and `journal` read it, and a recorder started later finds the file free. In
 * the same process as the writer (the demo), the server reads the writer's Store on connections
 * of its own instead (a second DuckDB instance of one file in one process is not safe).
 *
 * Trades, which every pane starts from, are read through `trades` (cache/trade-cache.ts): held in
 * memory per market and caught up with the appended rows on each read, not read again whole.
 */
import { StoreError } from '../core/errors.ts';
import { Store } from '../store/store.ts';
import { TradeCache } from './cache/trade-cache.ts';
import { HttpError } from './http-error.ts';

/** Store reads running at once; more wait their turn (each is a DuckDB instance and its threads). */
const MAX_OPEN = 3;

export class StoreAccess {
  private open = 0;
  private readonly waiting: (() => void)[] = [];

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
   * file is free between them (a recorder opening it waits for readers only a few seconds).
   */
  async warm(): Promise<void> {
    for (const { venue, symbol } of await this.read((store) => this.trades.storedMarkets(store))) {
      await this.read((store) => this.trades.fill(store, venue, symbol));
    }
  }

  /** Run `fn` on a fresh read-only view of the store: it sees every commit made before it started. */
  async read<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.open >= MAX_OPEN) await new Promise<void>((r) => this.waiting.push(r));
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
    let store: Store;
    try {
      store = this.shared ? await this.shared.ownConnection() : await Store.open(this.home, { readOnly: true });
    } catch (e) {
      // The store is busy (an import holds it) or missing: the browser retries, nothing is wrong with the request.
      if (e instanceof StoreError) throw new HttpError(503, e.message);
      throw e;
    }
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  }
}
