/**
 * A live client over the bus: one venue's symbols taken from the recorder fleet's subjects
 * (BusFeed) behind the `LiveClient` interface the venue connectors have, so a command built on
 * connectors (paper) runs on the bus by swapping the client and nothing else.
 *
 * A consumer that stores what it receives and restarts (a paper session resuming) starts the
 * feed a little before where its store stopped, so the downtime comes from the bus (it keeps
 * `--bus-max-age` hours), and drops what the store already holds: trades by the store's resume
 * point (id, else time and the ids at it), other events at or before the newest stored time of
 * their stream.
 */
import type { CaptureRecord, EventType, Venue } from '../core/events.ts';
import type { Store } from '../store/store.ts';
import type { LiveClient, LiveHandlers, StreamStatus, TradeResume } from '../venues/live/types.ts';
import { BusFeed } from './bus-feed.ts';
import type { Bus } from './connection.ts';
import { withoutHeldTrades } from './live-publish.ts';
import { symbolToken } from './subjects.ts';

/** The feed of a resume starts this long before the store's newest time: a recorder publishes a batch up to a flush after its events' exchange time, and its clock may trail the venue's. */
export const RESUME_MARGIN_MS = 60_000;

/** What the store already holds of a venue's symbols: where a resumed feed starts and what it drops. */
export interface StoreHeld {
  readonly trades: ReadonlyMap<string, TradeResume>;
  /** `<symbol>:<type>` -> newest stored exchange time (liquidations, tickers, book). */
  readonly newest: ReadonlyMap<string, number>;
}

const TABLE: Partial<Record<EventType, string>> = { liquidation: 'liquidations', ticker: 'tickers', book: 'book' };

/** The newest stored time per symbol of the non-trade tables (trades: tradeResumePoints). */
export async function storeHeld(store: Store, venue: Venue, symbols: readonly string[], trades: ReadonlyMap<string, TradeResume>): Promise<StoreHeld> {
  const newest = new Map<string, number>();
  for (const [type, table] of Object.entries(TABLE)) {
    for (const symbol of new Set(symbols)) {
      const [r] = await store.rows<{ t: number | null }>(`SELECT max(epoch_us(ts))::DOUBLE / 1000 AS t FROM ${table} WHERE venue = $1::venue_t AND symbol = $2`, [venue, symbol]);
      if (r?.t !== null && r?.t !== undefined) newest.set(`${symbol}:${type}`, r.t);
    }
  }
  return { trades, newest };
}

export interface BusClientOptions {
  readonly bus: Bus;
  readonly stream?: string;
  readonly venue: Venue;
  readonly symbols: readonly string[];
  readonly handlers: LiveHandlers;
  /** A resume: start before what the store holds and drop it. Without: from the next batch published. */
  readonly held?: StoreHeld;
  readonly onBadBatch?: (subject: string, e: Error) => void;
}

/** The feed's start for a resume: the earliest stored point of any stream, less the margin; `new` when nothing is stored. */
export function resumeFrom(held: StoreHeld | undefined): 'new' | number {
  if (!held) return 'new';
  const times = [...[...held.trades.values()].map((p) => p.lastTs), ...held.newest.values()];
  return times.length === 0 ? 'new' : Math.min(...times) - RESUME_MARGIN_MS;
}

/** `base` without events at or before their stream's newest stored time (non-trades). */
function withoutHeldOthers(base: LiveHandlers, newest: ReadonlyMap<string, number>): LiveHandlers {
  if (newest.size === 0) return base;
  const held = (r: CaptureRecord): boolean => {
    if (r.type === 'trade' || !('ts' in r)) return false;
    const t = newest.get(`${r.symbol}:${r.type}`);
    return t !== undefined && r.ts <= t;
  };
  return {
    ...base,
    onEvents: (records, localTs) => {
      const kept = records.some(held) ? records.filter((r) => !held(r)) : records;
      if (kept.length > 0) base.onEvents(kept, localTs);
    },
  };
}

export function busLiveClient(o: BusClientOptions): LiveClient {
  const handlers = o.held ? withoutHeldOthers(withoutHeldTrades(o.handlers, o.held.trades), o.held.newest) : o.handlers;
  let events = 0;
  let batches = 0;
  let lastAt = NaN;
  let state: StreamStatus['state'] = 'connecting';
  let lastError: string | null = null;
  const counting: LiveHandlers = {
    ...handlers,
    onEvents: (records, localTs) => {
      events += records.length;
      batches++;
      lastAt = Date.now();
      handlers.onEvents(records, localTs);
    },
  };
  const status = (): StreamStatus => ({
    venue: o.venue,
    stream: `bus md.${o.venue}.${o.symbols.length === 1 ? symbolToken(o.symbols[0]) : `{${o.symbols.map(symbolToken).join(',')}}`}.*`,
    state,
    messages: batches,
    events,
    reconnects: 0,
    resyncs: 0,
    gaps: 0,
    parseErrors: 0,
    lastMessageAt: lastAt,
    lagMs: NaN,
    lastError,
  });
  const feed = new BusFeed(o.bus, { symbols: new Map([[o.venue, o.symbols]]), handlers: counting, stream: o.stream, from: resumeFrom(o.held), onBadBatch: o.onBadBatch });
  return {
    venue: o.venue,
    async start() {
      o.handlers.onStatus?.(status());
      try {
        await feed.start();
      } catch (e) {
        state = 'down';
        lastError = (e as Error).message;
        o.handlers.onStatus?.(status());
        throw e;
      }
      state = 'connected';
      o.handlers.onStatus?.(status());
    },
    async stop() {
      await feed.stop();
      state = 'down';
    },
    status: () => [status()],
  };
}
