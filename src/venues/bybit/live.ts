/**
 * Bybit v5 linear public market data, live (nautilus `websocket/client.rs`). One WebSocket to
 * `/v5/public/linear` (ReconnectingSocket keeps it up) carrying, per symbol:
 *
 *   publicTrade.{S}        trades       -> TradeEvent, deduplicated by trade id; after a
 *                                          reconnect back-filled from REST recent-trade
 *   allLiquidation.{S}     liquidations -> LiquidationEvent, duplicated frames dropped
 *   orderbook.{50|200}.{S} book         -> snapshot then diffs in `u` order; a broken chain is
 *                                          resynced by resubscribing (a new snapshot)
 *   tickers.{S}            ticker       -> full tickers: deltas merged into the last snapshot
 *
 * Frames are decoded by parse.ts's mappers, the same code that reads captures. Protocol facts
 * with sources: docs/live/bybit.md. Public data only: no key is ever needed.
 */
import { ParseError, UsageError } from '../../core/errors.ts';
import type { BookEvent, CaptureRecord, TradeEvent } from '../../core/events.ts';
import { isObject, type JsonObject } from '../json-fields.ts';
import { pageOf, type BackfillGap } from '../live/backfill.ts';
import { PacedRest } from '../live/rest.ts';
import { epochNs, ReconnectingSocket } from '../live/socket.ts';
import { errorText, LiveError } from '../live/errors.ts';
import { callHandler, deliverEvents, deliverGap } from '../live/handlers.ts';
import { RecentKeys } from '../live/recent-keys.ts';
import { StreamStat } from '../live/status.ts';
import { LIVE_CHANNELS } from '../live/types.ts';
import type { LiveChannel, LiveClient, LiveClientOptions, LiveGap, StreamStatus } from '../live/types.ts';
import { BybitBookSync } from './book-sync.ts';
import { bybitMappers, parseBybitRecentTrades, type BybitMapper } from './parse.ts';
import { BybitBackfillPlanner } from './backfill.ts';
import { BYBIT_REST_POLICY } from './rest.ts';
import { BybitTickerMerger } from './ticker-merge.ts';
import { bybitRestBase, bybitWsBase, publicLinearUrl } from './urls.ts';
import type { BybitOpRequest, BybitRecentTrade, BybitTrade } from './wire.ts';

/** Order-book depths the client subscribes to (Bybit linear also has 1, which only sends snapshots, and 1000). */
export type BybitBookDepth = 50 | 200;

export interface BybitLiveOptions extends LiveClientOptions {
  /** `orderbook.{depth}` topic: 50 levels (pushed every 20 ms) or 200 (every 100 ms). Default 200. */
  readonly bookDepth?: BybitBookDepth;
  /** `{"op":"ping"}` every this many ms. Default 20 000, Bybit's recommendation. */
  readonly pingEveryMs?: number;
  /** A book waiting for its snapshot this long is resubscribed again. Default 10 000 ms. */
  readonly resyncTimeoutMs?: number;
  /** Trades asked from `/v5/market/recent-trade` to back-fill a disconnect (1..1000). Default 1000, the maximum. */
  readonly backfillLimit?: number;
}

/**
 * Bybit: "Do not establish more than 500 connections within a 5-minute window" (per domain).
 * The reconnect backoff starts at 1 s, not the socket's 0.5 s default, so even a server that
 * accepts and drops every connection at once is reconnected at most 300 times in 5 minutes.
 */
const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 30_000, jitter: 0.5 } as const;
/** "for one public connection, you cannot have length of "args" array over 21,000 characters" (v5/ws/connect). */
const MAX_ARGS_CHARS = 21_000;
/** The status row of the connection itself (frames that belong to no topic, pongs, acks). */
export const BYBIT_CONNECTION_STREAM = 'connection:linear';

const TOPIC_OF_CHANNEL: Record<LiveChannel, string> = {
  trades: 'publicTrade',
  liquidations: 'allLiquidation',
  book: 'orderbook',
  ticker: 'tickers',
};

interface Stream {
  readonly topic: string;
  readonly symbol: string;
  readonly channel: LiveChannel;
  readonly mapper: BybitMapper;
  readonly status: StreamStat;
  /** Acked or delivered on some connection: a disconnect then loses its data (a gap). */
  live: boolean;
  /** The subscription was refused: `lastError` keeps Bybit's reason until it succeeds. */
  refused: boolean;
  readonly book?: BybitBookSync;
  readonly ticker?: BybitTickerMerger;
  /** Pending snapshot (after subscribe or a resync request). */
  snapshotTimer?: NodeJS.Timeout;
}

interface SymbolState {
  readonly symbol: string;
  readonly tradeIds: RecentKeys;
  readonly liquidationFrames: RecentKeys;
  /** Exchange time of the newest trade emitted; NaN before any. */
  lastTradeTs: number;
  /** Set when a disconnect may have lost trades: back-fill from this time once resubscribed. */
  backfillFrom: number;
  /** WS trades held while a back-fill runs, emitted after it (deduplicated). */
  held: { events: TradeEvent[]; localTs: number }[] | undefined;
  /** Seeded from a previous session: the first back-fill covers its outage (a `restart` gap). */
  resumed: boolean;
}

export class BybitLiveClient implements LiveClient {
  readonly venue = 'bybit' as const;
  private readonly wsUrl: string;
  private readonly restBase: string;
  private readonly streams = new Map<string, Stream>();
  private readonly bySymbol = new Map<string, Stream[]>();
  private readonly symbols = new Map<string, SymbolState>();
  private readonly connection: StreamStat;
  private readonly reporter = (st: StreamStatus) => this.reportTo(st);
  private readonly pending = new Map<string, readonly string[]>();
  private readonly rest: PacedRest;
  private readonly planner: BybitBackfillPlanner;
  private socket: ReconnectingSocket | undefined;
  private stopped = false;
  private reqSeq = 0;
  private frameNo = 0;
  /** Exchange time of the newest data frame on any topic. */
  private lastDataTs = NaN;
  /** A disconnect whose gaps are reported with the first data frame of the next connection. */
  private downSince: { fromTs: number; reason: string } | undefined;

  constructor(private readonly o: BybitLiveOptions) {
    if (o.symbols.length === 0) throw new UsageError('bybit live: no symbol given');
    const depth = o.bookDepth ?? 200;
    if (depth !== 50 && depth !== 200) throw new UsageError(`bybit live: bookDepth must be 50 or 200, got ${String(depth)}`);
    const limit = o.backfillLimit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`bybit live: backfillLimit must be 1..1000, got ${limit}`);
    this.wsUrl = publicLinearUrl(bybitWsBase(o.wsUrl));
    this.restBase = bybitRestBase(o.restUrl);
    this.rest = new PacedRest(BYBIT_REST_POLICY, { timeoutMs: o.restTimeoutMs, now: o.now });
    this.planner = new BybitBackfillPlanner(this.restBase, limit);
    const channels = o.channels ?? LIVE_CHANNELS;
    const mappers = bybitMappers(o.instruments, { bookDepth: depth });
    const mapperOf = (channel: LiveChannel) => mappers.find((m) => m.channel === TOPIC_OF_CHANNEL[channel])!;
    for (const symbol of o.symbols) {
      if (this.symbols.has(symbol)) continue;
      const r = o.resume?.get(symbol);
      const resumed = r !== undefined && Number.isFinite(r.lastTs);
      const tradeIds = new RecentKeys(4 * limit + 1000);
      // Trades stored at the last ms are skipped by id; older ones by time (recent-trade has no cursor).
      for (const id of (resumed && r.idsAtLastTs) || []) tradeIds.add(id);
      this.symbols.set(symbol, {
        symbol,
        tradeIds,
        liquidationFrames: new RecentKeys(256),
        lastTradeTs: resumed ? r.lastTs : NaN,
        backfillFrom: resumed ? r.lastTs : NaN,
        held: undefined,
        resumed,
      });
      const list: Stream[] = [];
      for (const channel of LIVE_CHANNELS.filter((c) => channels.includes(c))) {
        const mapper = mapperOf(channel);
        const [topic] = mapper.topics([symbol]);
        const s: Stream = {
          topic,
          symbol,
          channel,
          mapper,
          status: new StreamStat('bybit', topic, this.reporter),
          live: false,
          refused: false,
          book: channel === 'book' ? new BybitBookSync() : undefined,
          ticker: channel === 'ticker' ? new BybitTickerMerger() : undefined,
        };
        this.streams.set(topic, s);
        list.push(s);
      }
      this.bySymbol.set(symbol, list);
    }
    const argsChars = [...this.streams.keys()].reduce((n, t) => n + t.length + 3, 0);
    if (argsChars > MAX_ARGS_CHARS) {
      throw new UsageError(`bybit live: ${this.streams.size} topics are ${argsChars} characters of "args"; Bybit allows ${MAX_ARGS_CHARS} per connection: split the symbols over several clients`);
    }
    this.connection = new StreamStat('bybit', BYBIT_CONNECTION_STREAM, this.reporter);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async start(): Promise<void> {
    if (this.socket) throw new UsageError('bybit live: already started');
    this.socket = new ReconnectingSocket({
      url: () => this.wsUrl,
      onOpen: (reconnect) => this.onOpen(reconnect),
      onMessage: (text, localMs, localNs) => this.onFrame(text, localMs, localNs),
      onDown: (reason) => this.onDown(reason),
      heartbeat: { everyMs: this.o.pingEveryMs ?? 20_000, payload: JSON.stringify({ op: 'ping' } satisfies BybitOpRequest) },
      staleAfterMs: this.o.staleAfterMs ?? 30_000,
      backoff: this.o.backoff ?? DEFAULT_BACKOFF,
      now: this.o.now,
      random: this.o.random,
    });
    await this.socket.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.rest.close();
    for (const s of this.streams.values()) clearTimeout(s.snapshotTimer);
    await this.socket?.stop();
    this.connection.set('down');
    for (const s of this.streams.values()) s.status.set('down');
  }

  status(): StreamStatus[] {
    return [this.connection.snapshot(), ...[...this.streams.values()].map((s) => s.status.snapshot())];
  }

  // -------------------------------------------------------------------------------------------
  // Connection

  private onOpen(reconnect: boolean): void {
    this.pending.clear();
    if (reconnect) this.connection.reconnects++;
    this.connection.set('connected');
    for (const s of this.streams.values()) {
      if (reconnect) s.status.reconnects++;
      s.book?.reset();
      s.ticker?.reset();
      s.status.set('connecting');
    }
    // One request per symbol: a refused symbol costs only its own topics.
    for (const list of this.bySymbol.values()) {
      this.subscribe(list.map((s) => s.topic));
      for (const s of list) if (s.book) this.awaitSnapshot(s);
    }
  }

  private onDown(reason: string): void {
    if (this.stopped) return;
    this.pending.clear();
    this.connection.set('down', errorText(new LiveError('E_DISCONNECT', BYBIT_CONNECTION_STREAM, reason)));
    for (const s of this.streams.values()) {
      clearTimeout(s.snapshotTimer);
      // A refused stream keeps Bybit's reason.
      s.status.set('down', s.refused ? undefined : errorText(new LiveError('E_DISCONNECT', s.topic, reason)));
    }
    for (const sym of this.symbols.values()) {
      if (Number.isNaN(sym.backfillFrom) && !Number.isNaN(sym.lastTradeTs)) sym.backfillFrom = sym.lastTradeTs;
    }
    if (!this.downSince && !Number.isNaN(this.lastDataTs)) this.downSince = { fromTs: this.lastDataTs, reason };
  }

  private send(req: BybitOpRequest): void {
    this.socket?.send(JSON.stringify(req));
  }

  private subscribe(topics: readonly string[]): void {
    const reqId = `sub-${++this.reqSeq}`;
    this.pending.set(reqId, topics);
    this.send({ req_id: reqId, op: 'subscribe', args: topics });
  }

  /** A book broke its chain: unsubscribe and subscribe again, Bybit's way to get a new snapshot. */
  private resync(s: Stream): void {
    this.send({ req_id: `unsub-${++this.reqSeq}`, op: 'unsubscribe', args: [s.topic] });
    this.subscribe([s.topic]);
    this.awaitSnapshot(s);
  }

  private awaitSnapshot(s: Stream): void {
    clearTimeout(s.snapshotTimer);
    const ms = this.o.resyncTimeoutMs ?? 10_000;
    s.snapshotTimer = setTimeout(() => {
      if (this.stopped || !this.socket?.connected || s.refused) return;
      s.status.error(errorText(new LiveError('E_RESYNC', s.topic, `no snapshot within ${ms} ms: resubscribing`)));
      this.resync(s);
    }, ms);
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  private onFrame(text: string, localMs: number, localNs: bigint): void {
    const n = ++this.frameNo;
    callHandler(this.connection, 'onRawFrame', () => this.o.handlers.onRawFrame?.(text, localNs));
    this.connection.messages++;
    this.connection.lastMessageAt = localMs;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.badFrame(text, n, new ParseError('E_JSON', `invalid JSON: ${(e as Error).message}`), localMs);
      return;
    }
    if (!isObject(msg)) {
      this.badFrame(text, n, new ParseError('E_MESSAGE', 'expected a JSON object'), localMs);
      return;
    }
    if (typeof msg.topic !== 'string') {
      if (typeof msg.op === 'string') this.onOpReply(msg);
      else this.badFrame(text, n, new ParseError('E_MESSAGE', 'neither a topic frame nor an op reply', 'topic'), localMs);
      return;
    }
    const s = this.streams.get(msg.topic);
    // A topic we do not hold (unsubscribed a moment ago, or never asked for): not ours to count.
    if (!s) return;
    s.status.messages++;
    s.status.lastMessageAt = localMs;
    try {
      this.onData(s, msg, text, localMs);
    } catch (e) {
      this.parseError(s.status, n, e);
    }
  }

  /** A frame that could not be decoded: counted on its topic when the text names one, else on the connection. */
  private badFrame(text: string, n: number, e: ParseError, localMs: number): void {
    const topic = /"topic"\s*:\s*"([^"]+)"/.exec(text)?.[1];
    const s = topic === undefined ? undefined : this.streams.get(topic);
    if (s) {
      s.status.messages++;
      s.status.lastMessageAt = localMs;
    }
    this.parseError(s?.status ?? this.connection, n, e);
  }

  private parseError(st: StreamStat, n: number, e: unknown): void {
    st.parseErrors++;
    if (e instanceof ParseError) e.at(`${st.stream} frame ${n}`);
    st.error(errorText(e));
  }

  private onData(s: Stream, msg: JsonObject, text: string, localMs: number): void {
    const sym = this.symbols.get(s.symbol)!;
    const ts = typeof msg.ts === 'number' ? msg.ts : NaN;
    switch (s.channel) {
      case 'trades': {
        const events = [...s.mapper.map(msg, localMs)] as TradeEvent[];
        if (sym.held) sym.held.push({ events, localTs: localMs });
        else this.emitTrades(s, sym, events, localMs);
        break;
      }
      case 'liquidations': {
        const events = [...s.mapper.map(msg, localMs)];
        // No id on the wire: the same frame twice (same `ts`, same items) is a duplicate.
        if (sym.liquidationFrames.add(text)) this.emit(s, events, localMs);
        break;
      }
      case 'book':
        this.onBook(s, [...s.mapper.map(msg, localMs)][0] as BookEvent, localMs);
        break;
      case 'ticker': {
        // Parse the frame itself first: it validates the delta, and tells whether it changes
        // any field we map (a volume-only delta does not).
        const own = [...s.mapper.map(msg, localMs)];
        const merged = s.ticker!.accept(msg);
        if (merged.kind === 'merged' && (msg.type === 'snapshot' || own.length > 0)) this.emit(s, [...s.mapper.map(merged.frame, localMs)], localMs);
        break;
      }
    }
    s.live = true;
    if (s.refused) {
      s.refused = false;
      s.status.lastError = null;
    }
    if ((s.status.state === 'connecting' || s.status.state === 'down') && (!s.book || s.book.synced)) s.status.set('connected');
    if (!Number.isNaN(ts)) {
      if (!(ts <= this.lastDataTs)) this.lastDataTs = ts;
      this.lag(s, localMs, ts);
      if (this.downSince) this.reportDisconnect(ts);
    }
  }

  private onBook(s: Stream, ev: BookEvent, localMs: number): void {
    const step = s.book!.step(ev.isSnapshot, ev.seq, ev.ts);
    switch (step.kind) {
      case 'apply':
        this.emit(s, [ev], localMs);
        return;
      case 'snapshot':
        clearTimeout(s.snapshotTimer);
        if (step.gap) {
          // An unrequested reset (Bybit restarted its book service) is a resync too.
          if (s.status.state !== 'resyncing') s.status.resyncs++;
          this.gap(s, { kind: 'book_resync', fromTs: step.gap.fromTs, toTs: step.gap.toTs, backfilled: false, detail: `${s.topic}: ${step.gap.detail}` });
        }
        s.status.set('connected');
        this.emit(s, [ev], localMs);
        return;
      case 'gap':
        s.status.resyncs++;
        s.status.set('resyncing');
        this.resync(s);
        return;
      case 'degraded':
        // The breaker (book-sync.ts): reported on the stream's status and as a gap row, once.
        s.status.error(errorText(new LiveError('E_SEQUENCE', s.topic, `degraded: ${step.detail}`)));
        this.gap(s, { kind: 'sequence_gap', fromTs: ev.ts, toTs: ev.ts, backfilled: false, detail: `${s.topic}: degraded: ${step.detail}` });
        this.emit(s, [ev], localMs);
        return;
      case 'stale':
      case 'waiting':
        return;
    }
  }

  private emitTrades(s: Stream, sym: SymbolState, events: readonly TradeEvent[], localMs: number): void {
    this.emit(s, this.freshTrades(sym, events), localMs);
  }

  /** The trades not delivered before (by id), now counted as delivered. */
  private freshTrades(sym: SymbolState, events: readonly TradeEvent[]): TradeEvent[] {
    const fresh = events.filter((e) => sym.tradeIds.add(e.id));
    for (const e of fresh) if (!(e.ts <= sym.lastTradeTs)) sym.lastTradeTs = e.ts;
    return fresh;
  }

  private emit(s: Stream, events: readonly CaptureRecord[], localMs: number): void {
    deliverEvents(this.o.handlers, s.status, events, localMs);
  }

  private lag(s: Stream, localMs: number, exchangeTs: number): void {
    s.status.lag(localMs, exchangeTs, this.o.lagWarnMs ?? 2000);
  }

  // -------------------------------------------------------------------------------------------
  // Op replies: {"success":true,"ret_msg":"","conn_id":"..","req_id":"..","op":"subscribe"}

  private onOpReply(msg: JsonObject): void {
    const op = msg.op as string;
    // Linear pong: {"success":true,"ret_msg":"pong","conn_id":"..","req_id":"","op":"ping"}.
    if (op === 'ping' || op === 'pong') return;
    const ok = msg.success === true;
    const retMsg = typeof msg.ret_msg === 'string' ? msg.ret_msg : '';
    const reqId = typeof msg.req_id === 'string' ? msg.req_id : '';
    if (op !== 'subscribe') {
      if (!ok) {
        this.connection.error(errorText(new LiveError('E_OP', BYBIT_CONNECTION_STREAM, `Bybit refused ${op || 'a request'}: ${retMsg}`)));
      }
      return;
    }
    let topics = this.pending.get(reqId);
    this.pending.delete(reqId);
    if (!topics) {
      // No req_id echoed: the refusal names its topic ("error:handler not found,topic:...").
      const named = /topic:(\S+)/.exec(retMsg)?.[1];
      topics = named && this.streams.has(named) ? [named] : [];
    }
    for (const topic of topics) {
      const s = this.streams.get(topic);
      if (!s) continue;
      if (ok || retMsg.includes('already subscribed')) {
        s.live = true;
        if (s.refused) {
          s.refused = false;
          s.status.clearError();
        }
        if (s.status.state === 'connecting' && !s.book) s.status.set('connected');
        if (s.channel === 'trades') this.backfill(s);
      } else {
        s.refused = true;
        clearTimeout(s.snapshotTimer);
        s.status.set('down', errorText(new LiveError('E_SUBSCRIBE', topic, `Bybit refused the subscription: ${retMsg}`)));
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Gaps

  private gap(s: Stream, g: Omit<LiveGap, 'venue' | 'symbol'>): void {
    deliverGap(this.o.handlers, s.status, { venue: 'bybit', symbol: s.symbol, ...g });
    s.status.report();
  }

  /** First data frame after a reconnect: what every stream (but trades, back-filled) missed while down. */
  private reportDisconnect(toTs: number): void {
    const down = this.downSince!;
    this.downSince = undefined;
    for (const s of this.streams.values()) {
      if (!s.live || s.channel === 'trades') continue;
      const lost = s.channel === 'liquidations' ? 'liquidations are lost (Bybit has no liquidation history endpoint)' : s.channel === 'book' ? 'book diffs are lost; the book is whole again from the new snapshot' : 'ticker updates are lost; the ticker is whole again from the new snapshot';
      this.gap(s, { kind: 'disconnect', fromTs: down.fromTs, toTs, backfilled: false, detail: `${s.topic}: disconnected (${down.reason}); ${lost}` });
    }
  }

  /**
   * Trades a disconnect missed, from `GET /v5/market/recent-trade` (the newest 1000 at most), once
   * the resubscription is acked so that REST and the stream overlap. Stream trades arriving
   * meanwhile are held and emitted after the back-fill; ids deduplicate the overlap. Covered
   * when the oldest REST trade is not newer than the last trade seen before the disconnect.
   */
  private backfill(s: Stream): void {
    const sym = this.symbols.get(s.symbol)!;
    const fromTs = sym.backfillFrom;
    if (Number.isNaN(fromTs) || sym.held) return;
    sym.backfillFrom = NaN;
    sym.held = [];
    const kind = sym.resumed ? 'restart' : 'disconnect';
    const why = sym.resumed ? 'restarted after the last trade stored' : 'disconnected';
    sym.resumed = false;
    const limit = this.o.backfillLimit ?? 1000;
    const gap: BackfillGap = { symbol: s.symbol, fromId: NaN, toId: undefined, fromTs };
    // recent-trade has no cursor: one request is all Bybit serves.
    const budget = { maxRequests: Math.min(1, this.o.backfillMaxRequests ?? 1) };
    const step = this.planner.next(gap, [], budget, this.now());
    if (step.kind !== 'fetch') return;
    const url = step.url;
    const done = (all: TradeEvent[], body: unknown, error: unknown) => {
      let events = all;
      const held = sym.held ?? [];
      sym.held = undefined;
      if (this.stopped) return;
      // The socket dropped again while this ran and is already resubscribed: back-fill that too.
      if (!Number.isNaN(sym.backfillFrom) && s.status.state !== 'down' && s.status.state !== 'connecting') queueMicrotask(() => this.backfill(s));
      const localTs = this.now();
      // What REST returns from before the outage was delivered then (or stored by the previous session).
      events = all.filter((e) => !(e.ts < fromTs));
      const fresh = this.freshTrades(sym, events);
      if (fresh.length > 0) {
        const frame = backfillFrame(s.symbol, body, fresh);
        callHandler(s.status, 'onRestFrame', () => this.o.handlers.onRestFrame?.(frame, epochNs()));
      }
      this.emit(s, fresh, localTs);
      for (const h of held) this.emitTrades(s, sym, h.events, h.localTs);
      if (error !== undefined) {
        s.status.lastError = errorText(new LiveError('E_BACKFILL', s.topic, `back-fill failed: ${error instanceof Error ? error.message : String(error)}`));
        const toTs = held.length > 0 && held[0].events.length > 0 ? held[0].events[0].ts : localTs;
        this.gap(s, { kind, fromTs, toTs, backfilled: false, detail: `${s.topic}: ${why}; the REST back-fill failed (${s.status.lastError})` });
        return;
      }
      const oldest = all[0]?.ts ?? NaN;
      const verdict = this.planner.next(gap, [pageOf([], all.map((e) => e.ts))], budget, this.now());
      const covered = verdict.kind === 'done' && verdict.reason === 'covered';
      this.gap(s, covered
        ? { kind, fromTs, toTs: events.at(-1)?.ts ?? fromTs, backfilled: true, detail: `${s.topic}: ${why}; back-filled ${events.length} trades from ${url}` }
        : { kind, fromTs, toTs: oldest, backfilled: false, detail: `${s.topic}: ${why}; the ${limit} most recent trades from REST reach back only to ${new Date(oldest).toISOString()} (${oldest}): trades after ${new Date(fromTs).toISOString()} (${fromTs}) and before it are lost` });
    };
    this.rest
      .get(url)
      .then(({ body, localMs }) => {
        try {
          return { events: parseBybitRecentTrades(body, this.o.instruments, localMs), body };
        } catch (e) {
          throw e instanceof ParseError ? e.at(url) : e;
        }
      })
      .then(
        ({ events, body }) => done(events, body, undefined),
        (e: unknown) => done([], undefined, e),
      );
  }

  // -------------------------------------------------------------------------------------------
  // Status

  private reportTo(st: StreamStatus): void {
    try {
      this.o.handlers.onStatus?.(st);
    } catch (e) {
      // Reported nowhere else (onStatus is the reporter): kept on the connection row.
      this.connection.lastError = errorText(new LiveError('E_HANDLER', BYBIT_CONNECTION_STREAM, `onStatus threw: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}

/** The endpoint a back-fill frame names (`"backfill"`), as the other venues name theirs. */
export const BYBIT_BACKFILL_ENDPOINT = 'GET /v5/market/recent-trade';

/**
 * Back-filled trades for a raw capture (onRestFrame): a `publicTrade` push of the recent-trade
 * rows that were delivered (`trades`, oldest first), each row in the stream's field names, flagged
 * `backfill` so a re-import keeps it out (written after the live frames held meanwhile, it is out
 * of time order; the store has its trades). `ts` is the REST reply's server `time`. The stream's
 * `L` (tick direction) has no REST counterpart and is left out (parse.ts does not read it).
 */
function backfillFrame(symbol: string, body: unknown, trades: readonly TradeEvent[]): string {
  const reply = body as { time: number; result: { list: readonly BybitRecentTrade[] } };
  const byId = new Map(reply.result.list.map((r) => [r.execId, r]));
  const data = trades.map((t): BybitTrade => {
    const r = byId.get(t.id)!;
    return {
      T: Number(r.time), s: r.symbol, S: r.side, v: r.size, p: r.price, i: r.execId, BT: r.isBlockTrade,
      ...(r.isRPITrade !== undefined ? { RPI: r.isRPITrade } : {}),
      ...(r.seq !== undefined ? { seq: Number(r.seq) } : {}),
    };
  });
  return JSON.stringify({ topic: `publicTrade.${symbol}`, type: 'snapshot', ts: reply.time, backfill: BYBIT_BACKFILL_ENDPOINT, data });
}
