/**
 * The live hub: one store tail per market that clients watch (shared by every client of that
 * market), polled every `pollMs` (start to start) while it has clients, each poll's messages handed to every
 * client under its own bound (client.ts). Polls never overlap and never wait for a client. A
 * paper session in the home that advances (its journal row changes) is sent as `paper`.
 *
 * With a bus (`serve --bus`), a market's trades, liquidations and tickers come from the bus
 * instead (bus-tail.ts), taken at each poll before the store is read, so they reach the clients
 * even when the store cannot be read; the book and the paper session still come from the store.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Venue } from '../../core/events.ts';
import type { LiveMessage } from '../api.ts';
import type { StoreAccess } from '../store-access.ts';
import { paperMark, paperState } from '../query/paper-state.ts';
import { DEFAULT_CLIENT_QUEUE_BYTES, DEFAULT_STALL_MS, LiveClient } from './client.ts';
import type { Bus } from '../../bus/connection.ts';
import { BusTail } from './bus-tail.ts';
import { StoreTail, type TailBatch } from './store-tail.ts';

export const DEFAULT_POLL_MS = 250;
/** The least wait between two polls of a feed, even when one took longer than the period. */
const MIN_GAP_MS = 25;
/** How often a feed asks for the newest paper session's progress. */
const PAPER_CHECK_MS = 1_000;

export interface LiveHubOptions {
  readonly pollMs?: number;
  readonly clientQueueBytes?: number;
  readonly stallMs?: number;
  readonly log?: FastifyBaseLogger;
  /** Live trades, liquidations and tickers from this bus instead of the store. */
  readonly bus?: { readonly bus: Bus; readonly stream?: string };
}

interface Feed {
  readonly symbol: string;
  readonly venues: readonly Venue[];
  readonly tail: StoreTail;
  /** With a bus: the market's events from it (the store tail then gives the book only). */
  readonly busTail?: BusTail;
  readonly clients: Set<LiveClient>;
  timer?: NodeJS.Timeout;
  /** The newest paper session's progress at the last poll (`paperMark`). */
  paperMark?: string;
  /** performance.now() from which the next poll asks for the paper session again. */
  paperAt?: number;
  polled?: boolean;
}

export class LiveHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly pollMs: number;
  private readonly bound: { queueBytes: number; stallMs: number };
  private closed = false;

  constructor(
    private readonly access: StoreAccess,
    private readonly o: LiveHubOptions = {},
  ) {
    this.pollMs = o.pollMs ?? DEFAULT_POLL_MS;
    this.bound = { queueBytes: o.clientQueueBytes ?? DEFAULT_CLIENT_QUEUE_BYTES, stallMs: o.stallMs ?? DEFAULT_STALL_MS };
  }

  /** Every connected client (tests read their queue figures). */
  get clients(): LiveClient[] {
    return [...this.feeds.values()].flatMap((f) => [...f.clients]);
  }

  /** A client watching `symbol` on `pairs`; it gets `hello` now and each poll's news from the next poll on. */
  attach(socket: WebSocket, symbol: string, pairs: readonly (readonly [Venue, string])[]): LiveClient {
    const key = pairs.map((p) => p.join(':')).sort().join(',');
    let feed = this.feeds.get(key);
    if (!feed) {
      const b = this.o.bus;
      const busTail = b && new BusTail(b.bus, pairs, { stream: b.stream, onBadBatch: (subject, e) => this.o.log?.warn({ subject, err: e.message }, 'unreadable batch on the bus skipped') });
      feed = { symbol, venues: [...new Set(pairs.map((p) => p[0]))], tail: new StoreTail(pairs), busTail, clients: new Set() };
      // Delivering from the next batch published: until then its polls take nothing.
      busTail?.start().catch((e: Error) => this.o.log?.warn({ err: e.message }, 'bus consumers not created'));
      this.feeds.set(key, feed);
      this.schedule(key, feed, 0);
    }
    const client = new LiveClient(socket, this.bound);
    feed.clients.add(client);
    const source = this.o.bus ? `bus ${this.o.bus.bus.url}, taken every ${this.pollMs} ms (book from the store)` : `store tail every ${this.pollMs} ms`;
    client.sendNow({ type: 'hello', symbol, venues: feed.venues, serverMs: Date.now(), source });
    const f = feed;
    socket.on('close', () => {
      f.clients.delete(client);
      if (f.clients.size === 0) {
        clearTimeout(f.timer);
        void f.busTail?.stop();
        this.feeds.delete(key);
      }
    });
    return client;
  }

  /** Hand messages to a feed's clients as a poll would (the tail's own path, and tests of the queue bound). */
  deliver(feedClients: Iterable<LiveClient>, batch: TailBatch, extra: readonly LiveMessage[] = []): void {
    const now = performance.now();
    for (const c of feedClients) c.deliver(batch, extra, now);
  }

  private schedule(key: string, feed: Feed, delay: number): void {
    if (this.closed) return;
    feed.timer = setTimeout(() => void this.poll(key, feed), delay);
  }

  private async poll(key: string, feed: Feed): Promise<void> {
    const started = performance.now();
    const fromBus = feed.busTail?.take();
    try {
      // Not behind the page's requests (StoreAccess.readNow): the stream must not stall while a refresh runs.
      const { batch, extra } = await this.access.readNow(async (store) => {
        const batch: TailBatch = fromBus ? { ...fromBus, ...(await feed.tail.pollBusBooks(store, fromBus.trades)) } : await feed.tail.poll(store);
        const extra: LiveMessage[] = [];
        // The paper session moves once a second at most (its heartbeat): asked that often, not each poll.
        let mark: Awaited<ReturnType<typeof paperMark>>;
        if (started >= (feed.paperAt ?? -Infinity)) {
          feed.paperAt = started + PAPER_CHECK_MS;
          mark = await paperMark(store);
        }
        if (mark && mark.mark !== feed.paperMark) {
          // The first poll only notes where the session is: the page has fetched /api/paper.
          if (feed.polled) {
            const state = await paperState(store, mark.session);
            if (state) extra.push({ type: 'paper', state });
          }
          feed.paperMark = mark.mark;
        }
        feed.polled = true;
        return { batch, extra };
      });
      this.deliver(feed.clients, batch, extra);
    } catch (e) {
      // The store busy (an import) or a writer restarting: try again next poll (what the bus brought goes now).
      this.o.log?.warn({ err: (e as Error).message }, 'live poll failed');
      if (fromBus) this.deliver(feed.clients, fromBus);
    }
    // Polls start every pollMs (not pollMs after the last one ended: a 200 ms poll would make the
    // period 450 ms), with a short gap left for the rest of the process when a poll overruns.
    const took = performance.now() - started;
    if (this.feeds.get(key) === feed) this.schedule(key, feed, Math.max(MIN_GAP_MS, this.pollMs - took));
  }

  close(): void {
    this.closed = true;
    for (const f of this.feeds.values()) {
      clearTimeout(f.timer);
      void f.busTail?.stop();
      for (const c of f.clients) c.socket.close(1001, 'server stopping');
    }
    this.feeds.clear();
  }
}
