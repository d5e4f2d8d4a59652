/**
 * Binance USD-M live market data (public, no keys): aggTrade, forceOrder, depth@100ms with the
 * documented REST snapshot synchronisation, markPrice@1s, and open interest polled over REST. The
 * frames go through the same mappers as recorded captures (parse.ts); this file owns the protocol
 * around them: routed combined-stream connections, SUBSCRIBE with acks and refusals, book sync
 * (book-sync.ts), aggTrade id gaps back-filled from REST, de-duplication, gaps, status.
 *
 * Connections (urls.ts): since the 2026 base-URL split the book streams live on
 * `<ws>/public/stream` and the others on `<ws>/market/stream`, so there is one ReconnectingSocket
 * per route (more when a route holds over `maxStreamsPerConnection` streams). Each opens with no
 * stream in the URL and subscribes with SUBSCRIBE requests (one for all streams, split per symbol
 * when the venue refuses it, so one bad stream cannot hold the others back), paced under the
 * venue's 10 incoming messages per second. Binance pings every 3 minutes and `ws` answers; we
 * also send LIST_SUBSCRIPTIONS every `heartbeatMs`, whose reply both proves the connection alive
 * (stall detection) and checks that the server still holds our subscriptions. The 24 h cut is an
 * ordinary close: reconnect with jittered backoff, resubscribe, resync books, back-fill trades.
 *
 * Protocol facts and sources: docs/live/binance.md.
 */
import { ParseError } from '../../core/errors.ts';
import type { BookEvent, CaptureRecord, TradeEvent } from '../../core/events.ts';
import type { VenueMessageParser } from '../../core/format.ts';
import { LIVE_CHANNELS, type LiveChannel, type LiveClient, type LiveClientOptions, type LiveGap, type StreamStatus } from '../live/types.ts';
import { epochNs, ReconnectingSocket } from '../live/socket.ts';
import { errorText, LiveError } from '../live/errors.ts';
import { callHandler, deliverEvents, deliverGap } from '../live/handlers.ts';
import { RecentKeys } from '../live/recent-keys.ts';
import { StreamStat, statusReporter } from '../live/status.ts';
import { isObject } from '../json-fields.ts';
import { BinanceBookSync, type BookSyncResult } from './book-sync.ts';
import {
  BinanceAggTradesMapper,
  BinanceBookDiffMapper,
  BinanceLiquidationsMapper,
  BinanceMarkPriceMapper,
  binanceDepthIds,
  binanceReply,
  createBinanceParser,
  parseBinanceDepthSnapshot,
  parseBinanceOpenInterest,
  parseBinanceRestAggTrades,
  type BinanceMapper,
  type BinanceReply,
} from './parse.ts';
import { DEFAULT_BACKFILL_TIME_MS, pageOf, sizeBackfill, type BackfillGap, type BackfillPage } from '../live/backfill.ts';
import { PacedRest, RestError } from '../live/rest.ts';
import { BinanceBackfillPlanner } from './backfill.ts';
import { BINANCE_REST_POLICY, isRetryable } from './rest.ts';
import {
  BINANCE_AGG_TRADES_WEIGHT,
  BINANCE_DEPTH_LIMIT_WEIGHT,
  BINANCE_OPEN_INTEREST_WEIGHT,
  binanceCombinedStreamUrl,
  binanceDepthUrl,
  binanceOpenInterestUrl,
  binanceRestBase,
  binanceStreamRoute,
  binanceWsBase,
  type BinanceWsRoute,
} from './urls.ts';

export interface BinanceLiveOptions extends LiveClientOptions {
  /** Open interest REST poll period per symbol, ms. Default 10 000. */
  readonly openInterestIntervalMs?: number;
  /** Levels asked of `GET /fapi/v1/depth` when (re)syncing a book: 5..1000. Default 1000. */
  readonly depthLimit?: number;
  /** REST REQUEST_WEIGHT budget per rolling minute. Default 2400 (the USD-M IP limit). */
  readonly restWeightPerMinute?: number;
  /** Spacing of requests sent on one connection, ms. Default 200 (Binance: 10 incoming messages per second). */
  readonly requestIntervalMs?: number;
  /** LIST_SUBSCRIPTIONS probe period, ms. Default a third of `staleAfterMs`. */
  readonly heartbeatMs?: number;
  /** Wait before asking REST again after a failure or a too-old snapshot, ms. Default 1000. */
  readonly retryMs?: number;
  /** Streams per connection. Default 1024 (Websocket Market Streams: "a maximum of 1024 streams"). */
  readonly maxStreamsPerConnection?: number;
}

type StreamKind = 'aggTrade' | 'forceOrder' | 'markPrice' | 'depth';

/** Which mapper (and so which stream) serves each channel. `ticker` is also polled (open interest). */
const CHANNEL_MAPPERS: Record<LiveChannel, { kind: StreamKind; mapper: BinanceMapper }> = {
  trades: { kind: 'aggTrade', mapper: new BinanceAggTradesMapper() },
  liquidations: { kind: 'forceOrder', mapper: new BinanceLiquidationsMapper() },
  book: { kind: 'depth', mapper: new BinanceBookDiffMapper() },
  ticker: { kind: 'markPrice', mapper: new BinanceMarkPriceMapper() },
};

/** Request id of the LIST_SUBSCRIPTIONS heartbeat; SUBSCRIBE ids count up from 1. */
const HEARTBEAT_ID = 0;
/** Keep each request frame small (frames over 4 KiB have been refused: crypto-ws-client `WS_FRAME_SIZE`). */
const MAX_REQUEST_CHARS = 3500;
/** Recent forceOrder payloads remembered per symbol to drop duplicates (the frame has no id). */
const LIQUIDATION_MEMORY = 64;

interface TradeState {
  readonly stat: StreamStat;
  lastA: number | undefined;
  lastTs: number;
  backfilling: boolean;
  held: TradeEvent[];
  /** Seeded from a previous session: the first hole is that session's outage (a `restart` gap). */
  resumed: boolean;
}

interface BookState {
  readonly stat: StreamStat;
  readonly sync: BinanceBookSync;
  /** Bumped at every reset: answers to older snapshot requests are dropped. */
  generation: number;
  fetching: boolean;
  retry: NodeJS.Timeout | undefined;
  /** A resync is under way: where the book was last known good (for the gap), and why. */
  gap: { fromTs: number; reason: string } | undefined;
}

interface SymbolState {
  readonly symbol: string;
  trade?: TradeState;
  liq?: { readonly stat: StreamStat; readonly recent: RecentKeys };
  mark?: { readonly stat: StreamStat; lastE: number };
  book?: BookState;
  oi?: { readonly stat: StreamStat; lastTime: number; lastValue: number; timer: NodeJS.Timeout | undefined; stopped: boolean };
}

interface StreamEntry {
  readonly sym: SymbolState;
  readonly kind: StreamKind;
  readonly stat: StreamStat;
}

interface Connection {
  readonly route: BinanceWsRoute;
  readonly stat: StreamStat;
  readonly streams: Map<string, StreamEntry>;
  socket: ReconnectingSocket;
  nextId: number;
  /** Request id -> the streams it subscribes. */
  readonly pending: Map<number, string[]>;
  readonly acked: Set<string>;
  queue: string[][];
  sendTimer: NodeJS.Timeout | undefined;
  frames: number;
  /** Exchange time of the last frame per symbol, and the symbols whose data stopped at a disconnect. */
  readonly lastE: Map<string, number>;
  readonly down: Map<string, { fromTs: number; reason: string }>;
}

export class BinanceLiveClient implements LiveClient {
  readonly venue = 'binance' as const;
  private readonly wsBase: string;
  private readonly restBase: string;
  private readonly rest: PacedRest;
  private readonly planner: BinanceBackfillPlanner;
  private readonly symbols = new Map<string, SymbolState>();
  private readonly connections: Connection[] = [];
  private readonly stats: StreamStat[] = [];
  private readonly parser: VenueMessageParser;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: BinanceLiveOptions) {
    this.wsBase = binanceWsBase(opts.wsUrl);
    this.restBase = binanceRestBase(opts.restUrl);
    this.planner = new BinanceBackfillPlanner(this.restBase);
    const depthLimit = opts.depthLimit ?? 1000;
    if (!BINANCE_DEPTH_LIMIT_WEIGHT.has(depthLimit)) throw new RangeError(`depthLimit: ${depthLimit} is not one of ${[...BINANCE_DEPTH_LIMIT_WEIGHT.keys()].join(', ')}`);
    // Each caller keeps its own retry timing (a book resyncs, a poll polls again): one try per get.
    this.rest = new PacedRest(BINANCE_REST_POLICY, { budgetLimit: opts.restWeightPerMinute, timeoutMs: opts.restTimeoutMs, attempts: 1, now: opts.now });
    const channels = opts.channels ?? LIVE_CHANNELS;
    const mappers = channels.map((c) => CHANNEL_MAPPERS[c].mapper);
    this.parser = createBinanceParser({ fileName: 'binance live', symbol: undefined, instruments: opts.instruments }, mappers);
    const report = statusReporter(opts.handlers);
    const stat = (name: string) => {
      const s = new StreamStat('binance', name, report);
      this.stats.push(s);
      return s;
    };

    const byRoute = new Map<BinanceWsRoute, [string, StreamEntry][]>();
    for (const raw of opts.symbols) {
      const symbol = raw.toUpperCase();
      if (this.symbols.has(symbol)) continue;
      const sym: SymbolState = { symbol };
      this.symbols.set(symbol, sym);
      for (const c of channels) {
        const { kind, mapper } = CHANNEL_MAPPERS[c];
        for (const name of mapper.streams([symbol])) {
          const s = stat(name);
          if (kind === 'aggTrade') {
            const r = opts.resume?.get(symbol);
            const seeded = r !== undefined && r.lastId !== undefined && Number.isSafeInteger(r.lastId);
            sym.trade = { stat: s, lastA: seeded ? r.lastId : undefined, lastTs: seeded ? r.lastTs : NaN, backfilling: false, held: [], resumed: seeded };
          }
          else if (kind === 'forceOrder') sym.liq = { stat: s, recent: new RecentKeys(LIQUIDATION_MEMORY) };
          else if (kind === 'markPrice') sym.mark = { stat: s, lastE: -Infinity };
          else sym.book = { stat: s, sync: new BinanceBookSync(), generation: 0, fetching: false, retry: undefined, gap: undefined };
          const route = binanceStreamRoute(name);
          byRoute.set(route, [...(byRoute.get(route) ?? []), [name, { sym, kind, stat: s }]]);
        }
        if (c === 'ticker') sym.oi = { stat: stat(`${symbol.toLowerCase()}@openInterest`), lastTime: NaN, lastValue: NaN, timer: undefined, stopped: false };
      }
    }

    const max = opts.maxStreamsPerConnection ?? 1024;
    for (const [route, entries] of byRoute) {
      for (let i = 0; i < entries.length; i += max) {
        const part = entries.slice(i, i + max);
        const name = `connection:${route}${entries.length > max ? `#${i / max + 1}` : ''}`;
        this.connections.push(this.connection(route, stat(name), new Map(part)));
      }
    }
  }

  status(): StreamStatus[] {
    return this.stats.map((s) => s.snapshot());
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('BinanceLiveClient.start: already started');
    this.started = true;
    for (const sym of this.symbols.values()) if (sym.oi) this.pollOpenInterest(sym);
    await Promise.all(this.connections.map((c) => c.socket.start()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.rest.close();
    for (const sym of this.symbols.values()) {
      if (sym.oi) {
        sym.oi.stopped = true;
        clearTimeout(sym.oi.timer);
      }
      if (sym.book) clearTimeout(sym.book.retry);
    }
    for (const c of this.connections) clearTimeout(c.sendTimer);
    await Promise.all(this.connections.map((c) => c.socket.stop().catch(() => undefined)));
    for (const s of this.stats) s.set('down');
  }

  // -------------------------------------------------------------------------------------------
  // Connections: open, subscribe, replies, down

  private connection(route: BinanceWsRoute, stat: StreamStat, streams: Map<string, StreamEntry>): Connection {
    const staleAfterMs = this.opts.staleAfterMs ?? 30_000;
    const c: Connection = {
      route,
      stat,
      streams,
      socket: undefined as unknown as ReconnectingSocket,
      nextId: 1,
      pending: new Map(),
      acked: new Set(),
      queue: [],
      sendTimer: undefined,
      frames: 0,
      lastE: new Map(),
      down: new Map(),
    };
    c.socket = new ReconnectingSocket({
      url: () => binanceCombinedStreamUrl(this.wsBase, route),
      onOpen: (reconnect) => this.onOpen(c, reconnect),
      onMessage: (text, localMs, localNs) => this.onFrame(c, text, localMs, localNs),
      onDown: (reason) => this.onDown(c, reason),
      heartbeat: { everyMs: this.opts.heartbeatMs ?? Math.max(10, Math.floor(staleAfterMs / 3)), payload: JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: HEARTBEAT_ID }) },
      staleAfterMs,
      backoff: this.opts.backoff,
      now: this.opts.now,
      random: this.opts.random,
    });
    return c;
  }

  private onOpen(c: Connection, reconnect: boolean): void {
    if (this.stopped) return;
    c.pending.clear();
    c.acked.clear();
    if (reconnect) {
      c.stat.reconnects++;
      for (const e of c.streams.values()) e.stat.reconnects++;
    }
    c.stat.set('connected');
    for (const e of c.streams.values()) e.stat.set('connecting');
    c.queue = requestBatches([...c.streams.keys()]);
    this.sendNext(c);
  }

  /** Send the next queued SUBSCRIBE now, the following ones `requestIntervalMs` apart. */
  private sendNext(c: Connection): void {
    if (c.sendTimer !== undefined || this.stopped) return;
    const params = c.queue.shift();
    if (params === undefined) return;
    const id = c.nextId++;
    c.pending.set(id, params);
    c.socket.send(JSON.stringify({ method: 'SUBSCRIBE', params, id }));
    if (c.queue.length === 0) return;
    c.sendTimer = setTimeout(() => {
      c.sendTimer = undefined;
      this.sendNext(c);
    }, this.opts.requestIntervalMs ?? 200);
  }

  private onDown(c: Connection, reason: string): void {
    clearTimeout(c.sendTimer);
    c.sendTimer = undefined;
    c.queue = [];
    c.pending.clear();
    c.acked.clear();
    if (this.stopped) return;
    c.stat.set('down', errorText(new LiveError('E_DISCONNECT', c.stat.stream, reason)));
    for (const e of c.streams.values()) {
      e.stat.set('down', errorText(new LiveError('E_DISCONNECT', e.stat.stream, reason)));
      const book = e.sym.book;
      if (e.kind === 'depth' && book) this.resetBook(book, `reconnect after: ${reason}`);
    }
    if (c.route === 'market') {
      for (const [symbol, fromTs] of c.lastE) if (!c.down.has(symbol)) c.down.set(symbol, { fromTs, reason });
    }
  }

  private onReply(c: Connection, reply: BinanceReply): void {
    if (reply.id === HEARTBEAT_ID) {
      if (reply.kind !== 'result' || !Array.isArray(reply.result)) return;
      const listed = new Set(reply.result);
      const lost = [...c.acked].filter((s) => !listed.has(s));
      if (lost.length === 0) return;
      for (const s of lost) {
        c.acked.delete(s);
        c.streams.get(s)?.stat.set('connecting', errorText(new LiveError('E_SUBSCRIBE', s, 'LIST_SUBSCRIPTIONS no longer lists it: subscribing again')));
      }
      c.queue.push(...requestBatches(lost));
      this.sendNext(c);
      return;
    }
    const streams = typeof reply.id === 'number' ? c.pending.get(reply.id) : undefined;
    if (streams === undefined) {
      // Not an answer to a SUBSCRIBE of ours (id null: the server could not read the request).
      if (reply.kind === 'error') c.stat.error(errorText(new LiveError('E_OP', c.stat.stream, `request ${reply.id} refused by the server: ${reply.msg} (code ${reply.code})`)));
      return;
    }
    c.pending.delete(reply.id as number);
    if (reply.kind === 'result') {
      for (const s of streams) {
        c.acked.add(s);
        const e = c.streams.get(s);
        if (!e) continue;
        if (e.kind === 'depth' && e.sym.book) {
          e.stat.set('resyncing');
          this.fetchSnapshot(e.sym.symbol, e.sym.book);
        } else e.stat.set('connected');
        const t = e.kind === 'aggTrade' ? e.sym.trade : undefined;
        if (t !== undefined && t.lastA !== undefined && !t.backfilling) {
          // Subscribed again after an outage: fetch what traded meanwhile.
          t.backfilling = true;
          void this.backfill(e.sym, t, t.lastA + 1);
        }
      }
    } else {
      const bySymbol = groupBySymbol(streams);
      if (bySymbol.length > 1 || streams.length > 1) {
        // One refusal for many streams: ask again per symbol, then per stream, so only the bad one stays out.
        c.queue.push(...(bySymbol.length > 1 ? bySymbol : streams.map((s) => [s])));
      } else {
        for (const s of streams) c.streams.get(s)?.stat.set('down', errorText(new LiveError('E_SUBSCRIBE', s, `SUBSCRIBE refused by the server: ${reply.msg} (code ${reply.code}, request ${reply.id})`)));
      }
    }
    this.sendNext(c);
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  private onFrame(c: Connection, text: string, localMs: number, localNs: bigint): void {
    callHandler(c.stat, 'onRawFrame', () => this.opts.handlers.onRawFrame?.(text, localNs));
    const n = ++c.frames;
    c.stat.messages++;
    c.stat.lastMessageAt = localMs;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      // Truncated frames keep their head: name the stream when it is there.
      const stream = /^\{"stream":"([^"]+)"/.exec(text)?.[1];
      const stat = (stream !== undefined ? c.streams.get(stream)?.stat : undefined) ?? c.stat;
      this.parseError(stat, new ParseError('E_JSON', `invalid JSON: ${(e as Error).message}`, undefined, text), c, n, stream);
      return;
    }
    let entry: StreamEntry | undefined;
    try {
      const reply = binanceReply(msg);
      if (reply) return this.onReply(c, reply);
      if (!isObject(msg) || typeof msg.stream !== 'string') throw new ParseError('E_MESSAGE', 'not a combined-stream frame: expected {"stream":...,"data":...}', 'stream', text);
      entry = c.streams.get(msg.stream);
      if (entry === undefined) throw new ParseError('E_MESSAGE', 'frame of a stream not subscribed on this connection', 'stream', msg.stream);
      this.onStreamFrame(c, entry, msg, localMs);
    } catch (e) {
      // Whatever a frame holds, it costs that frame only: a bug surfaces in the status, not as a crash.
      const err = e instanceof ParseError ? e : new ParseError('E_MESSAGE', `unexpected ${(e as Error).name}: ${(e as Error).message}`);
      this.parseError(entry?.stat ?? c.stat, err, c, n, entry?.stat.stream);
    }
  }

  private parseError(stat: StreamStat, e: ParseError, c: Connection, n: number, stream: string | undefined): void {
    stat.parseErrors++;
    stat.error(errorText(e.at(`${stream ?? c.stat.stream} frame ${n}`)));
  }

  private onStreamFrame(c: Connection, entry: StreamEntry, msg: Record<string, unknown>, localMs: number): void {
    const { stat, sym, kind } = entry;
    stat.messages++;
    stat.lastMessageAt = localMs;
    const data = msg.data;
    if (isObject(data) && typeof data.E === 'number') {
      stat.lagMs = localMs - data.E;
      // Data proves the subscription (the ack may still be on its way); a book is `connected` only in sync.
      const flowing = stat.state === 'connected' || stat.state === 'lagging' || (stat.state === 'connecting' && kind !== 'depth');
      if (flowing) stat.set(stat.lagMs > (this.opts.lagWarnMs ?? 2000) ? 'lagging' : 'connected');
      c.lastE.set(sym.symbol, data.E);
      const down = c.down.get(sym.symbol);
      if (down !== undefined) {
        c.down.delete(sym.symbol);
        this.disconnectGap(c, sym, down, data.E);
      }
    }
    const records = this.parser.parse(msg, localMs) ?? [];
    switch (kind) {
      case 'aggTrade': {
        const a = Number((records[0] as TradeEvent | undefined)?.id);
        if (records.length !== 1 || !Number.isSafeInteger(a) || !isObject(data) || data.a === undefined) throw new ParseError('E_FIELD', 'live aggTrade frames carry the aggregate id', 'data.a');
        this.onTrade(sym, records[0] as TradeEvent, localMs);
        return;
      }
      case 'forceOrder': {
        const liq = sym.liq!;
        const key = JSON.stringify(data);
        if (!liq.recent.add(key)) return; // the same liquidation again
        this.emit(liq.stat, records, localMs);
        return;
      }
      case 'markPrice': {
        const mark = sym.mark!;
        const E = (data as { E: number }).E;
        if (!(E > mark.lastE)) return; // duplicate, or older than what we have
        mark.lastE = E;
        this.emit(mark.stat, records, localMs);
        return;
      }
      case 'depth': {
        const ids = binanceDepthIds(data as Record<string, unknown>, 'data.');
        const book = sym.book!;
        this.onBookResult(sym.symbol, book, book.sync.diff({ ids, event: records[0] as BookEvent }), localMs);
        return;
      }
    }
  }

  private emit(stat: StreamStat, records: readonly CaptureRecord[], localMs: number): void {
    deliverEvents(this.opts.handlers, stat, records, localMs);
  }

  private gap(stat: StreamStat, gap: LiveGap): void {
    deliverGap(this.opts.handlers, stat, gap);
  }

  private disconnectGap(c: Connection, sym: SymbolState, down: { fromTs: number; reason: string }, toTs: number): void {
    const lost = [...c.streams.entries()].filter(([, e]) => e.sym === sym && e.kind !== 'aggTrade').map(([s]) => s);
    this.gap(c.stat, {
      venue: 'binance',
      symbol: sym.symbol,
      kind: 'disconnect',
      fromTs: down.fromTs,
      toTs,
      backfilled: false,
      detail: `${c.stat.stream} down (${down.reason}): ${lost.length ? `${lost.join(', ')} frames of this span are lost` : 'nothing lost'}${sym.trade ? '; aggTrades are back-filled by id' : ''}`,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Trades: de-duplicate, detect id gaps, back-fill from REST

  private onTrade(sym: SymbolState, ev: TradeEvent, localMs: number): void {
    const t = sym.trade!;
    if (t.backfilling) {
      t.held.push(ev);
      return;
    }
    const a = Number(ev.id);
    if (t.lastA !== undefined && a <= t.lastA) return; // duplicate, or a late frame already covered
    if (t.lastA === undefined || a === t.lastA + 1) {
      t.lastA = a;
      t.lastTs = ev.ts;
      this.emit(t.stat, [ev], localMs);
      return;
    }
    t.backfilling = true;
    t.held.push(ev);
    void this.backfill(sym, t, t.lastA + 1, a - 1);
  }

  /**
   * Fetch aggTrades `from`..`upTo` back from REST, emit them, then the frames held meanwhile. With
   * `upTo` undefined (after a resubscription) catch up: fetch until REST has nothing newer, so the
   * trades of an outage arrive now, not when the next live trade reveals the gap.
   */
  private async backfill(sym: SymbolState, t: TradeState, from: number, upTo?: number): Promise<void> {
    const gap: BackfillGap = { symbol: sym.symbol, fromId: from, toId: upTo, fromTs: t.lastTs };
    // Half the weight budget (2400 a minute, 20 per page of 1000): 60 pages, 60 000 aggTrades a minute.
    const budget = sizeBackfill(this.opts, ((this.opts.restWeightPerMinute ?? 2400) / 2) / BINANCE_AGG_TRADES_WEIGHT, this.opts.now?.() ?? Date.now());
    const kind = t.resumed ? 'restart' : 'trade_id_gap';
    t.resumed = false;
    const pages: BackfillPage[] = [];
    const got: TradeEvent[] = [];
    /** The REST elements of `got`, for the raw capture. */
    const gotRaw: Record<string, unknown>[] = [];
    /** Ids REST no longer has (its history starts later): lost for good, each a gap row. */
    const lost: { from: number; to: number; fromTs: number; toTs: number }[] = [];
    let next = from;
    let failure: string | undefined;
    let attempts = 0;
    while (failure === undefined && !this.stopped) {
      const step = this.planner.next(gap, pages, budget, this.opts.now?.() ?? Date.now());
      if (step.kind === 'done') {
        if (step.reason === 'budget') failure = `back-fill budget spent (${pages.length} requests of ${budget.maxRequests}, or backfillTimeMs ${this.opts.backfillTimeMs ?? DEFAULT_BACKFILL_TIME_MS} ms)`;
        else if (step.reason === 'exhausted') failure = `REST returned no aggTrade from id ${next}`;
        break;
      }
      try {
        const { body, localMs } = await this.rest.get(step.url, { weight: step.weight });
        attempts = 0;
        const before = next;
        const page = parseBinanceRestAggTrades(body, sym.symbol, localMs);
        pages.push(pageOf(page.map((tr) => Number(tr.id)), page.map((tr) => tr.ts)));
        for (let i = 0; i < page.length; i++) {
          const tr = page[i];
          const a = Number(tr.id);
          if (a < next) continue;
          if (upTo !== undefined && a > upTo) {
            if (next <= upTo) {
              lost.push({ from: next, to: upTo, fromTs: got.at(-1)?.ts ?? t.lastTs, toTs: tr.ts });
              next = upTo + 1;
            }
            break;
          }
          if (a !== next) {
            // REST's history starts after the hole began (or lacks these ids): they are lost, the rest is fetched.
            lost.push({ from: next, to: a - 1, fromTs: got.at(-1)?.ts ?? t.lastTs, toTs: tr.ts });
          }
          got.push(tr);
          gotRaw.push((body as Record<string, unknown>[])[i]);
          next = a + 1;
        }
        if (failure === undefined && upTo !== undefined && next === before) failure = `REST returned no aggTrade from id ${next}`;
      } catch (e) {
        if (retryable(e) && ++attempts < 3) {
          await sleep((e as RestError).retryAfterMs ?? (this.opts.retryMs ?? 1000) * attempts);
          continue;
        }
        failure = (e as Error).message;
      }
    }
    if (this.stopped) return;
    const held = t.held.sort((x, y) => Number(x.id) - Number(y.id));
    // A catch-up that failed leaves the ids to the frames: the next one shows the gap and fetches it.
    const missingTo = upTo ?? next - 1;
    const what = kind === 'restart' ? 'since the last one stored (restart)' : 'missing from the stream';
    for (const l of lost) {
      this.gap(t.stat, {
        venue: 'binance',
        symbol: sym.symbol,
        kind,
        fromTs: Number.isNaN(l.fromTs) ? l.toTs : l.fromTs,
        toTs: l.toTs,
        backfilled: false,
        detail: `aggTrade ids ${l.from}..${l.to} (${l.to - l.from + 1}) ${what}: lost, REST no longer serves them`,
      });
    }
    if (missingTo >= from && (upTo !== undefined || failure === undefined)) {
      // Everything REST still serves was fetched; the ids it no longer has are the rows above.
      const backfilled = failure === undefined;
      const lostCount = lost.reduce((n, l) => n + l.to - l.from + 1, 0);
      this.gap(t.stat, {
        venue: 'binance',
        symbol: sym.symbol,
        kind,
        fromTs: Number.isNaN(t.lastTs) ? (got[0]?.ts ?? held[0]?.ts ?? lost[0]?.toTs) : t.lastTs,
        toTs: held[0]?.ts ?? got.at(-1)?.ts ?? lost.at(-1)?.toTs ?? t.lastTs,
        backfilled,
        detail: `aggTrade ids ${from}..${missingTo} (${missingTo - from + 1}) ${what}: ${got.length} back-filled from REST${lostCount ? `, ${lostCount} lost (each range its own gap row)` : ''}${failure ? `, then: ${failure}` : ''}`,
      });
      // Whatever could not be fetched is given up on (reported here); carry on after it.
      t.lastA = missingTo;
    }
    if (failure === undefined && lost.length > 0) t.stat.error(errorText(new LiveError('E_BACKFILL', t.stat.stream, `aggTrade ids ${lost.map((l) => `${l.from}..${l.to}`).join(', ')} are no longer served by REST: lost`)));
    if (failure !== undefined) t.stat.error(errorText(new LiveError('E_BACKFILL', t.stat.stream, `back-fill of ${from}..${upTo ?? 'now'} incomplete: ${failure}`)));
    if (got.length > 0) {
      // For raw captures: the back-filled trades as one combined-stream frame of aggTrade events
      // (the REST elements with the stream's e/E/s), flagged `backfill`; a re-import reads them
      // like stream frames, and only trades not delivered live are in it (no double).
      const frame = { stream: `${sym.symbol.toLowerCase()}@aggTrade`, backfill: 'GET /fapi/v1/aggTrades', data: gotRaw.map((el) => ({ e: 'aggTrade', E: el.T, s: sym.symbol, ...el })) };
      callHandler(t.stat, 'onRestFrame', () => this.opts.handlers.onRestFrame?.(JSON.stringify(frame), epochNs()));
      t.lastTs = got[got.length - 1].ts;
      t.lastA = Math.max(t.lastA ?? 0, Number(got[got.length - 1].id));
      this.emit(t.stat, got, this.opts.now?.() ?? Date.now());
    }
    t.backfilling = false;
    t.held = [];
    for (const ev of held) this.onTrade(sym, ev, ev.localTs);
  }

  // -------------------------------------------------------------------------------------------
  // Book: snapshot fetches, results, resyncs

  private resetBook(book: BookState, reason: string): void {
    if (book.sync.inSync && book.gap === undefined) {
      book.gap = { fromTs: book.sync.lastTs, reason };
      book.stat.resyncs++;
    }
    book.sync.reset();
    book.generation++;
    book.fetching = false;
    clearTimeout(book.retry);
    book.retry = undefined;
  }

  private fetchSnapshot(symbol: string, book: BookState, delayMs = 0): void {
    if (this.stopped || book.fetching || book.retry !== undefined) return;
    if (delayMs > 0) {
      book.retry = setTimeout(() => {
        book.retry = undefined;
        this.fetchSnapshot(symbol, book);
      }, delayMs);
      return;
    }
    book.fetching = true;
    const generation = book.generation;
    const limit = this.opts.depthLimit ?? 1000;
    void this.rest.get(binanceDepthUrl(this.restBase, symbol, limit), { weight: BINANCE_DEPTH_LIMIT_WEIGHT.get(limit)! }).then(
      ({ body, localMs }) => {
        if (generation !== book.generation || this.stopped) return;
        book.fetching = false;
        let snap: BookEvent;
        try {
          snap = parseBinanceDepthSnapshot(body, symbol, localMs);
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
          book.stat.parseErrors++;
          book.stat.error(errorText(e.at(`GET /fapi/v1/depth?symbol=${symbol}`)));
          this.fetchSnapshot(symbol, book, this.opts.retryMs ?? 1000);
          return;
        }
        // For raw captures: the snapshot as `<symbol>@depthSnapshot`, which the capture parser reads back.
        callHandler(book.stat, 'onRestFrame', () => this.opts.handlers.onRestFrame?.(JSON.stringify({ stream: `${symbol.toLowerCase()}@depthSnapshot`, data: body }), epochNs()));
        this.onBookResult(symbol, book, book.sync.applySnapshot(snap), localMs);
      },
      (e: unknown) => {
        if (generation !== book.generation || this.stopped) return;
        book.fetching = false;
        const retry = retryable(e);
        book.stat.set(retry ? 'resyncing' : 'down', `${errorText(e)}${retry ? '; retrying' : ''}`);
        if (retry) this.fetchSnapshot(symbol, book, (e as RestError).retryAfterMs ?? this.opts.retryMs ?? 1000);
      },
    );
  }

  private onBookResult(symbol: string, book: BookState, r: BookSyncResult, localMs: number): void {
    this.emit(book.stat, r.events, localMs);
    if (r.synced) {
      const gap = book.gap;
      book.gap = undefined;
      if (gap !== undefined) {
        this.gap(book.stat, {
          venue: 'binance',
          symbol,
          kind: 'book_resync',
          fromTs: gap.fromTs,
          toTs: r.synced.ts,
          backfilled: false,
          detail: `${gap.reason}; book rebuilt from REST snapshot lastUpdateId ${r.synced.lastUpdateId}`,
        });
      }
      if (!r.resync) book.stat.set('connected');
    }
    if (r.resync) {
      if (r.resync.kind === 'break') {
        book.gap = { fromTs: book.sync.lastTs, reason: r.resync.reason };
        book.stat.resyncs++;
        book.generation++;
        book.fetching = false;
        book.stat.set('resyncing', errorText(new LiveError('E_SEQUENCE', book.stat.stream, r.resync.reason)));
        this.fetchSnapshot(symbol, book);
      } else {
        // A cached (stale) snapshot: said on the stream, and asked again after a pause.
        book.stat.set('resyncing', errorText(new LiveError('E_RESYNC', book.stat.stream, `${r.resync.reason}; asking REST again`)));
        this.fetchSnapshot(symbol, book, this.opts.retryMs ?? 1000);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Open interest: REST poll

  private pollOpenInterest(sym: SymbolState): void {
    const oi = sym.oi!;
    const every = this.opts.openInterestIntervalMs ?? 10_000;
    const again = () => {
      if (!oi.stopped && !this.stopped) oi.timer = setTimeout(() => this.pollOpenInterest(sym), every);
    };
    this.rest.get(binanceOpenInterestUrl(this.restBase, sym.symbol), { weight: BINANCE_OPEN_INTEREST_WEIGHT }).then(
      ({ body, localMs }) => {
        if (this.stopped) return;
        oi.stat.messages++;
        oi.stat.lastMessageAt = localMs;
        try {
          const ev = parseBinanceOpenInterest(body, localMs);
          oi.stat.lagMs = localMs - ev.ts;
          oi.stat.set('connected');
          // The same answer again (no trade moved it since the last poll): nothing new.
          if (ev.ts !== oi.lastTime || ev.openInterest !== oi.lastValue) {
            oi.lastTime = ev.ts;
            oi.lastValue = ev.openInterest;
            // For raw captures: the answer as `<symbol>@openInterest` (our frame, not a Binance
            // stream), which the capture parser reads back; only the answers that are stored.
            callHandler(oi.stat, 'onRestFrame', () => this.opts.handlers.onRestFrame?.(JSON.stringify({ stream: `${sym.symbol.toLowerCase()}@openInterest`, data: body }), epochNs()));
            this.emit(oi.stat, [ev], localMs);
          }
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
          oi.stat.parseErrors++;
          oi.stat.error(errorText(e.at(`GET /fapi/v1/openInterest?symbol=${sym.symbol}`)));
        }
        again();
      },
      (e: unknown) => {
        if (this.stopped) return;
        const retry = retryable(e);
        oi.stat.set('down', `${errorText(e)}${retry ? '' : '; polling stopped'}`);
        if (retry) again();
        else oi.stopped = true;
      },
    );
  }
}

/** SUBSCRIBE params lists: every stream, in as few requests as fit one small frame. */
function requestBatches(streams: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let chars = 0;
  for (const s of streams) {
    if (cur.length > 0 && chars + s.length + 3 > MAX_REQUEST_CHARS) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    cur.push(s);
    chars += s.length + 3;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Streams grouped by their symbol (`btcusdt@aggTrade` -> `btcusdt`), in first-seen order. */
function groupBySymbol(streams: readonly string[]): string[][] {
  const by = new Map<string, string[]>();
  for (const s of streams) {
    const k = s.slice(0, s.indexOf('@'));
    by.set(k, [...(by.get(k) ?? []), s]);
  }
  return [...by.values()];
}

function retryable(e: unknown): boolean {
  return e instanceof RestError && isRetryable(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
