/**
 * The server's trades in memory: one MarketTrades per stored (venue, symbol), filled from the
 * store on first use (or at server start, `warm`) and brought up to date with the rows appended
 * since before every answer, so an answer sees every commit made before its request, as a store
 * read would. A request's trades are the merge of its markets' slices in the store readers'
 * order (ts, then the request's venue order, then insertion): the operators get exactly the
 * columns `readTrades` would give them, without DuckDB reading and decoding them again. Beside
 * them: each market's one-minute candles (`minuteBars`), and results some requests share
 * (`derived`, kept under a key of the rows they came from).
 *
 * Memory bound: `maxBytes` (default DEFAULT_CACHE_BYTES) over every market's arrays,
 * BYTES_PER_TRADE a trade plus up to half again of growth room, and their bars; markets least recently asked
 * for are dropped first. A market too large for the bound alone is not held: its requests read
 * the store as before (`undefined` from `trades`, and the routes stream from the store).
 */
import { allocTradeColumns, type TradeColumns } from '../../core/columns.ts';
import type { Venue } from '../../core/events.ts';
import type { Store } from '../../store/store.ts';
import { streamTrades, type TradeQuery } from '../../store/trade-reader.ts';
import { BYTES_PER_TRADE, MarketTrades, tableMark, type TradeSlice } from './market-trades.ts';
import { MAX_BARS } from '../api.ts';
import { BAR_MS, MinuteBars } from './minute-bars.ts';

/** Default memory bound: 512 MiB, about 14 million trades at the worst growth room, 21 million packed. */
export const DEFAULT_CACHE_BYTES = 512 * 1024 * 1024;

interface Entry {
  readonly market: MarketTrades;
  /** The sync in flight (syncs of one market run one after another). */
  syncing: Promise<boolean>;
}

/** Results kept by `derived`: the newest two (the page asks its panes for one range at a time). */
const MAX_DERIVED = 2;
/** Results kept by `whole`: a page's two (the sizes' classified prints, the agreement windows) for two markets. */
const MAX_WHOLE = 4;

export class TradeCache {
  /** Insertion order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  /** `derived` results by name and `held` key, least recently used first. */
  private readonly results = new Map<string, unknown>();
  /** `whole` results by name and markets, with the markets' versions they were computed at; least recently used first. */
  private readonly wholes = new Map<string, { key: string; value: unknown }>();
  /** `perTable` results by name, with the trades table's mark they were computed at. */
  private readonly tables = new Map<string, { mark: string; value: unknown }>();

  constructor(readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  /** Memory the held markets take. */
  get bytes(): number {
    let b = 0;
    for (const e of this.entries.values()) b += e.market.bytes;
    return b;
  }

  /**
   * The trades `q` selects (venues x symbols, [fromMs, toMs)) as `readTrades` would return them,
   * from memory after a sync with `store`; undefined when a market is too large to hold or one
   * venue trades two of the query's symbols (the store orders those by insertion across
   * symbols, which the per-market copies do not keep).
   */
  async trades(store: Store, q: TradeQuery): Promise<TradeColumns | undefined> {
    return (await this.held(store, q))?.trades;
  }

  /**
   * `trades`, with a key that is equal for two calls exactly when they return the same rows (the
   * query and every market's version): what `derived` keeps results under.
   */
  async held(store: Store, q: TradeQuery): Promise<{ trades: TradeColumns; key: string } | undefined> {
    const held = await this.markets(store, q);
    if (!held) return undefined;
    const parts = held.parts.map(({ venue, range }) => ({ venue, slice: range }));
    const key = JSON.stringify([q.venues, q.symbols, q.fromMs ?? null, q.toMs ?? null, held.versions]);
    return { trades: mergeSlices(parts, q.venues), key };
  }

  /**
   * `compute(trades)` over all the held trades of `q`'s markets (its range set aside), kept under
   * `name`, the markets and their versions: a request of any range of those markets then takes
   * its part of the result instead of folding its trades again (the caller knows which results
   * allow that). A result is computed when none is kept for the markets as they are now, but
   * only when `when` says the whole is worth it: 'range' when `q`'s range holds at least half of
   * the held trades (the whole then costs at most twice the range, and the next range is free),
   * 'view' when the held trades span at most MAX_BARS one-minute bars (what one page may ask for:
   * the server's start-up fill computes those). Else undefined, as when the markets are not held.
   * The newest MAX_WHOLE results are kept, outside `maxBytes` (as `derived`'s).
   */
  async whole<T>(name: string, store: Store, q: TradeQuery, when: 'range' | 'view', compute: (trades: TradeColumns) => T): Promise<{ value: T; key: string } | undefined> {
    const held = await this.markets(store, q);
    if (!held) return undefined;
    const id = JSON.stringify([name, q.venues, q.symbols]);
    const key = JSON.stringify(held.versions);
    const kept = this.wholes.get(id);
    if (kept && kept.key === key) {
      this.wholes.delete(id);
      this.wholes.set(id, kept);
      return { value: kept.value as T, key: `${id}${key}` };
    }
    const all = held.parts.map(({ venue, all }) => ({ venue, slice: all }));
    let total = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const { slice } of all) {
      total += slice.length;
      if (slice.length === 0) continue;
      first = Math.min(first, slice.ts[0]);
      last = Math.max(last, slice.ts[slice.length - 1]);
    }
    if (when === 'range') {
      let inRange = 0;
      for (const { range } of held.parts) inRange += range.length;
      if (inRange * 2 < total) return undefined;
    } else if (!(last - first < MAX_BARS * BAR_MS)) return undefined;
    const value = compute(mergeSlices(all, q.venues));
    this.wholes.delete(id);
    this.wholes.set(id, { key, value });
    for (const old of this.wholes.keys()) {
      if (this.wholes.size <= MAX_WHOLE) break;
      this.wholes.delete(old);
    }
    return { value, key: `${id}${key}` };
  }

  /**
   * The newest time of `q`'s trades (its range set aside), as `max(ts)` over the store would
   * give it after a sync; undefined when not held (as `trades` says) or without trades.
   */
  async newest(store: Store, q: TradeQuery): Promise<number | undefined> {
    const held = await this.markets(store, q);
    if (!held) return undefined;
    let t = -Infinity;
    for (const { all } of held.parts) if (all.length > 0 && all.ts[all.length - 1] > t) t = all.ts[all.length - 1];
    return t === -Infinity ? undefined : t;
  }

  /**
   * `compute()`, an answer that depends on the trades table alone (the markets list), kept under
   * `name` while the table's mark (row count, newest rowid: `tableMark`) stays. A value computed
   * after the mark moved on is kept under the older mark, which no later request reads again.
   */
  async perTable<T>(name: string, store: Store, compute: () => Promise<T>): Promise<T> {
    const mark = await tableMark(store);
    const kept = this.tables.get(name);
    if (kept && kept.mark === mark) return kept.value as T;
    const value = await compute();
    this.tables.set(name, { mark, value });
    return value;
  }

  /**
   * `q`'s held markets with trades, each with its venue's index in `q.venues` and its rows in
   * `q`'s range and in all, taken as its version was read (another request may sync it while this
   * one awaits the next market); every market's version. Undefined as `trades` says.
   */
  private async markets(store: Store, q: TradeQuery): Promise<{ parts: { venue: number; range: TradeSlice; all: TradeSlice }[]; versions: string[] } | undefined> {
    const parts: { venue: number; range: TradeSlice; all: TradeSlice }[] = [];
    const versions: string[] = [];
    const mark = await tableMark(store);
    for (let v = 0; v < q.venues.length; v++) {
      let found = false;
      for (const symbol of q.symbols) {
        const m = await this.synced(store, q.venues[v], symbol, mark);
        if (!m) return undefined;
        versions.push(m.version);
        if (m.length === 0) continue;
        if (found) return undefined;
        found = true;
        parts.push({ venue: v, range: m.slice(q.fromMs, q.toMs), all: m.slice(undefined, undefined) });
      }
    }
    return { parts, versions };
  }

  /**
   * `compute()`, kept under `name` and a `held` key for the next request of the same rows: the
   * page asks several panes of one range at once, and some share work (the size classifier of
   * sizes and prints). Only the newest MAX_DERIVED results are kept; their memory is not in
   * `maxBytes` (the size prints: 32 bytes a print, at most as many as the trades).
   */
  derived<T>(name: string, key: string, compute: () => T): T {
    const k = `${name}\u0000${key}`;
    if (this.results.has(k)) {
      const v = this.results.get(k) as T;
      this.results.delete(k);
      this.results.set(k, v);
      return v;
    }
    const v = compute();
    this.results.set(k, v);
    for (const old of this.results.keys()) {
      if (this.results.size <= MAX_DERIVED) break;
      this.results.delete(old);
    }
    return v;
  }

  /**
   * The one-minute candles of `q`'s one market (its only venue and symbol with trades; none gives
   * no bars), brought up to date like `trades`: read them before anything else syncs. Undefined
   * when not held or when the query spans two markets (their rows would interleave in the sums).
   */
  async minuteBars(store: Store, q: TradeQuery): Promise<MinuteBars | undefined> {
    const mark = await tableMark(store);
    let found: MarketTrades | undefined;
    for (const venue of q.venues) {
      for (const symbol of q.symbols) {
        const m = await this.synced(store, venue, symbol, mark);
        if (!m) return undefined;
        if (m.length === 0) continue;
        if (found) return undefined;
        found = m;
      }
    }
    return found ? found.bars : new MinuteBars();
  }

  /** The trades of `q` from memory, or streamed from the store when not held: for the routes that fold chunks. */
  async *chunks(store: Store, q: TradeQuery): AsyncGenerator<TradeColumns> {
    const held = await this.trades(store, q);
    if (held) {
      if (held.length > 0) yield held;
      return;
    }
    yield* streamTrades(store, q);
  }

  /**
   * The stored (venue, symbol) pairs in the order to fill them for a fast first page
   * (`fill` each): the most recently traded last, so that when not all fit, the bound drops the
   * stalest markets.
   */
  async storedMarkets(store: Store): Promise<{ venue: Venue; symbol: string }[]> {
    return store.rows<{ venue: Venue; symbol: string }>('SELECT venue::VARCHAR AS venue, symbol FROM trades GROUP BY 1, 2 ORDER BY max(ts), 1, 2');
  }

  /** Fill (or bring up to date) one market's copy. */
  async fill(store: Store, venue: Venue, symbol: string): Promise<void> {
    await this.synced(store, venue, symbol, await tableMark(store));
  }

  /** The market brought up to date, or undefined when it does not fit. */
  private async synced(store: Store, venue: Venue, symbol: string, mark: string): Promise<MarketTrades | undefined> {
    const key = `${venue}\u0000${symbol}`;
    let e = this.entries.get(key);
    if (e) this.entries.delete(key);
    else e = { market: new MarketTrades(venue, symbol), syncing: Promise.resolve(true) };
    this.entries.set(key, e);
    const entry = e;
    const maxRows = Math.floor(this.maxBytes / BYTES_PER_TRADE / 1.5);
    entry.syncing = entry.syncing.catch(() => false).then(() => entry.market.sync(store, maxRows, mark));
    const fits = await entry.syncing;
    if (!fits) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      return undefined;
    }
    this.evict(entry);
    return entry.market;
  }

  /** Drop the least recently used markets (never `keep`) until the held ones fit the bound. */
  private evict(keep: Entry): void {
    let total = this.bytes;
    for (const [key, e] of this.entries) {
      if (total <= this.maxBytes) return;
      if (e === keep) continue;
      total -= e.market.bytes;
      this.entries.delete(key);
    }
  }
}

/** Slices of several venues merged by ts, ties in venue order (the order `readTrades` gives). */
function mergeSlices(parts: readonly { venue: number; slice: TradeSlice }[], venues: readonly Venue[]): TradeColumns {
  if (parts.length === 1) {
    const { venue, slice } = parts[0];
    return { ...slice, venue: new Uint8Array(slice.length).fill(venue), venues };
  }
  let n = 0;
  for (const p of parts) n += p.slice.length;
  const out = allocTradeColumns(n, venues);
  const at = parts.map(() => 0);
  for (let k = 0; k < n; k++) {
    // Few venues: a scan for the smallest head beats a heap. Parts are in venue order, so `<` keeps ties in it.
    let best = -1;
    let bestTs = Infinity;
    for (let p = 0; p < parts.length; p++) {
      const s = parts[p].slice;
      if (at[p] < s.length && (best < 0 || s.ts[at[p]] < bestTs)) {
        best = p;
        bestTs = s.ts[at[p]];
      }
    }
    const s = parts[best].slice;
    const i = at[best]++;
    out.ts[k] = s.ts[i];
    out.price[k] = s.price[i];
    out.qty[k] = s.qty[i];
    out.side[k] = s.side[i];
    out.venue[k] = parts[best].venue;
  }
  out.length = n;
  return out;
}
