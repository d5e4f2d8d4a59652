/**
 * OKX v5 public market data, live: one WebSocket to `/ws/v5/public` (ReconnectingSocket keeps it
 * up), frames decoded by the same mappers as captures (parse.ts), REST only to repair.
 *
 * Channels (LiveChannel -> OKX):
 *   trades       -> `trades` per instId (`trades-all` lives on /ws/v5/business, not public)
 *   liquidations -> `liquidation-orders` per instType (SWAP, FUTURES), filtered to our symbols
 *   book         -> `books` (400 levels, 100 ms diffs) with seqId/prevSeqId and CRC32 checks; the
 *                   snapshot is OKX's first push or, when none comes, REST `market/books` at its seqId
 *   ticker       -> `mark-price`, `funding-rate` (swaps), `open-interest`; open interest is also
 *                   read once per connection from REST, since the channel pushes only on change
 *
 * What it guarantees, per stream (StreamStatus): every frame goes to onRawFrame; a malformed
 * frame is counted (parseErrors, lastError names the frame and field) and skipped; a book is
 * a snapshot then diffs that link by prevSeqId, and after any break (sequence, checksum,
 * reconnect) it is resubscribed or fetched from REST and a new snapshot event is emitted; a
 * book not synced in bookSyncTimeoutMs is reported and fetched again (watchdog); liquidations
 * OKX replays on subscribe are not delivered again; trades are emitted once
 * each, in trade-id order, and trade ids missing (gap, lost frame, reconnect) are fetched from
 * REST history-trades; duplicated frames are dropped (trade id, book link, liquidation and
 * ticker content); what cannot be repaired is reported to onGap. Protocol facts and sources:
 * docs/live/okx.md.
 */
import { ParseError } from '../../core/errors.ts';
import type { BookEvent, CaptureRecord, MarketEvent, TradeEvent, Venue } from '../../core/events.ts';
import { arr, isObject, obj, str, type JsonObject } from '../json-fields.ts';
import { errorText, LiveError } from '../live/errors.ts';
import { callHandler, deliverEvents, deliverGap } from '../live/handlers.ts';
import { RecentKeys } from '../live/recent-keys.ts';
import { PacedRest } from '../live/rest.ts';
import type { ConnectPacer } from '../live/connect-pacer.ts';
import { backoffDelay, epochNs, ReconnectingSocket } from '../live/socket.ts';
import { StreamStat, statusReporter } from '../live/status.ts';
import {
  LIVE_CHANNELS,
  type GapKind,
  type LiveChannel,
  type LiveClient,
  type LiveClientOptions,
  type StreamState,
  type StreamStatus,
} from '../live/types.ts';
import { OKX_BACKFILL_REQUESTS_PER_MINUTE, OkxBackfillPlanner } from './backfill.ts';
import { sizeBackfill } from '../live/backfill.ts';
import { OkxBookSync } from './book-sync.ts';
import { okxBookSeq, okxMappers, okxTradeSpan, parseOkxEvent, type OkxMapper } from './parse.ts';
import { okxData, OKX_REST_POLICY } from './rest.ts';
import { OKX_OPS_PER_HOUR, OkxSubscriptions, streamKey } from './subscriptions.ts';
import { OkxTradeSync, type OkxTradeSyncHost } from './trade-sync.ts';
import { OKX_PATHS, okxBooksUrl, okxOpenInterestUrl, okxPublicWsUrl, okxRestBase, okxWsBase } from './urls.ts';
import type { OkxArg } from './wire.ts';

export interface OkxLiveClientOptions extends LiveClientOptions {
  /**
   * Send the text `ping` this often (OKX answers `pong`). OKX closes a connection that has had
   * nothing for 30 s and asks for a ping when idle for N < 30 s. Default 20 000.
   */
  readonly pingEveryMs?: number;
  /** After a trade-id gap, wait this long for late (out-of-order) frames before asking REST. Default 250. */
  readonly backfillDelayMs?: number;
  /** Minimum spacing between REST requests, ms (history-trades: 20 requests per 2 s per IP). Default 110. */
  readonly restSpacingMs?: number;
  /**
   * After a `books` subscription is acknowledged, wait this long for a WebSocket snapshot before
   * fetching the book from REST (OKX announced it stops sending that snapshot). Default 1 000.
   */
  readonly bookSnapshotWaitMs?: number;
  /**
   * Watchdog: a book not synced this long after its subscription (or a break) is resynced from
   * REST, reported (`resyncing`, `[E_RESYNC]`, a `book_resync` gap once it syncs) and retried
   * every as long again. Default 10 000.
   */
  readonly bookSyncTimeoutMs?: number;
  /**
   * `liquidation-orders` replays recent liquidations on subscribe: one whose exchange time is
   * older than the subscription ack (local clock) by more than this is that replay and is not
   * delivered (a restart would count it twice). Infinity keeps them all (a feed timed in the
   * past, as tests replay). Default 1 000.
   */
  readonly liquidationReplayToleranceMs?: number;
  /**
   * The REST client to use (the shards of one OkxShardedClient share one, so OKX's per-IP limits
   * hold across its connections); the caller closes it. Default: the client's own.
   */
  readonly rest?: PacedRest;
  /**
   * Connection slots shared with other connections to OKX (the shards of one OkxShardedClient),
   * so that their opens and reconnects together keep OKX's 3 connections per second per IP.
   * Default none: this connection's own backoff alone.
   */
  readonly connectPacer?: ConnectPacer;
}

/** A PacedRest with OKX's limits and these options' timeout and spacing. */
export function okxPacedRest(opts: OkxLiveClientOptions): PacedRest {
  return new PacedRest(OKX_REST_POLICY, { timeoutMs: opts.restTimeoutMs, spacingMs: opts.restSpacingMs, attempts: REST_ATTEMPTS, retryBaseMs: 200, now: opts.now });
}

const VENUE: Venue = 'okx';
/** Liquidations remembered to drop a repeated one. */
const RECENT_LIQUIDATIONS = 512;
/** REST attempts for a retryable failure (rate limit, 5xx, network). */
const REST_ATTEMPTS = 3;
/** Levels asked of REST books: the depth of the `books` channel. */
const REST_BOOK_LEVELS = 400;


/** One subscription (`books:BTC-USDT-SWAP`): its status and what the client tracks per stream. */
class Stream extends StreamStat {
  acked = false;
  /** The venue refused the subscription (error event): stays down until the next connection. */
  refused = false;
  /** Exchange time of the last event delivered, NaN before any. */
  lastTs = NaN;
  /** Set while the connection is (or was) down and the outage not yet reported. */
  outage: { fromTs: number; reason: string } | undefined;
  /** Ticker channels: the last event delivered, to drop repeats. */
  lastKey = '';
  /** Local time of the subscription ack (liquidations older than it are a replay). */
  ackAt = NaN;

  constructor(
    readonly arg: OkxArg,
    report: (s: StreamStatus) => void,
  ) {
    super(VENUE, streamKey(arg), report);
  }

  get key(): string {
    return this.stream;
  }

  /** A refused subscription stays down until the next connection. */
  override set(state: StreamState, error?: string): void {
    if (this.refused && state !== 'down') return;
    super.set(state, error);
  }
}

interface BookState {
  readonly sync: OkxBookSync<BookEvent>;
  /** The break being repaired, reported when the new snapshot arrives. */
  pending: { kind: GapKind; fromTs: number; detail: string } | undefined;
  /** Resyncs since the last good update (backs off when a book keeps failing). */
  failures: number;
  timer: NodeJS.Timeout | undefined;
  /** Fires when the book has not synced in time (bookSyncTimeoutMs). */
  watchdog: NodeJS.Timeout | undefined;
  /** This connection pushed a WebSocket snapshot: a resync resubscribes rather than asks REST. */
  wsSnapshots: boolean;
  /** A REST book request is in flight. */
  fetching: boolean;
}

export class OkxLiveClient implements LiveClient {
  readonly venue: Venue = VENUE;
  private readonly o: OkxLiveClientOptions;
  private readonly wsBase: string;
  private readonly restBase: string;
  private readonly channels: ReadonlySet<LiveChannel>;
  private readonly symbols: ReadonlySet<string>;
  private readonly streams = new Map<string, Stream>();
  /** Errors that name no stream (a frame too broken to tell): made on first use. */
  private conn: Stream | undefined;
  private readonly books = new Map<string, BookState>();
  private readonly trades = new Map<string, OkxTradeSync>();
  private readonly liqSeen = new RecentKeys(RECENT_LIQUIDATIONS);
  private readonly mappers: ReadonlyMap<string, OkxMapper>;
  private readonly socket: ReconnectingSocket;
  private stopped = false;
  private readonly subs: OkxSubscriptions;
  private readonly rest: PacedRest;
  private readonly report: (s: StreamStatus) => void;

  constructor(opts: OkxLiveClientOptions) {
    this.o = opts;
    this.report = statusReporter(opts.handlers);
    this.wsBase = okxWsBase(opts.wsUrl);
    this.restBase = okxRestBase(opts.restUrl);
    this.rest = opts.rest ?? okxPacedRest(opts);
    this.channels = new Set(opts.channels ?? LIVE_CHANNELS);
    this.symbols = new Set(opts.symbols);
    const byChannel = new Map<string, OkxMapper>();
    for (const m of okxMappers(opts.instruments)) for (const c of m.channels) if (!byChannel.has(c)) byChannel.set(c, m);
    this.mappers = byChannel;
    for (const arg of this.args()) {
      const stream = new Stream(arg, this.report);
      this.streams.set(streamKey(arg), stream);
      if (arg.channel === 'books') this.books.set(arg.instId!, { sync: new OkxBookSync<BookEvent>(), pending: undefined, failures: 0, timer: undefined, watchdog: undefined, wsSnapshots: false, fetching: false });
      if (arg.channel === 'trades') this.trades.set(arg.instId!, this.tradeSync(stream));
    }
    this.subs = new OkxSubscriptions({
      send: (text) => this.socket.send(text),
      now: () => this.now(),
      refused: (keys, error) => {
        for (const key of keys) {
          const s = this.streams.get(key);
          if (!s || s.acked || s.refused) continue;
          s.refused = true;
          s.set('down', errorText(new LiveError('E_SUBSCRIBE', s.key, error)));
        }
      },
    });
    this.socket = new ReconnectingSocket({
      url: () => okxPublicWsUrl(this.wsBase),
      onOpen: (reconnect) => this.onOpen(reconnect),
      onMessage: (text, localMs, localNs) => this.onMessage(text, localMs, localNs),
      onDown: (reason) => this.onDown(reason),
      heartbeat: { everyMs: opts.pingEveryMs ?? 20_000, payload: 'ping' },
      staleAfterMs: opts.staleAfterMs ?? 30_000,
      backoff: opts.backoff,
      now: opts.now,
      random: opts.random,
      pacer: opts.connectPacer,
    });
  }

  async start(): Promise<void> {
    for (const s of this.streams.values()) s.report();
    await this.socket.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.o.rest) this.rest.close();
    for (const b of this.books.values()) this.clearBookTimers(b);
    for (const t of this.trades.values()) t.stop();
    this.subs.stop();
    await this.socket.stop();
    for (const s of this.streams.values()) s.set('down');
    if (this.conn) this.conn.set('down');
  }

  status(): StreamStatus[] {
    return [...this.streams.values(), ...(this.conn ? [this.conn] : [])].map((s) => s.snapshot());
  }

  // -------------------------------------------------------------------------------------------
  // Subscriptions

  /** What to subscribe to: one arg per channel and symbol, liquidations once per instType. */
  private args(): OkxArg[] {
    const out: OkxArg[] = [];
    const liqTypes = new Set<string>();
    for (const instId of this.symbols) {
      const kind = this.o.instruments.get(VENUE, instId)?.kind;
      if (this.channels.has('trades')) out.push({ channel: 'trades', instId });
      if (this.channels.has('book')) out.push({ channel: 'books', instId });
      if (this.channels.has('ticker')) {
        out.push({ channel: 'mark-price', instId });
        // Funding exists for perpetual swaps only; open interest for swaps and futures.
        if (kind !== 'future') out.push({ channel: 'funding-rate', instId });
        out.push({ channel: 'open-interest', instId });
      }
      if (this.channels.has('liquidations')) liqTypes.add(instTypeOf(kind));
    }
    for (const instType of liqTypes) out.push({ channel: 'liquidation-orders', instType });
    return out;
  }

  private onOpen(reconnect: boolean): void {
    if (this.stopped) return;
    this.subs.reset();
    if (this.conn) this.conn.set('connected');
    for (const s of this.streams.values()) {
      s.acked = false;
      s.refused = false;
      if (reconnect) s.reconnects++;
      s.set('connecting');
    }
    for (const b of this.books.values()) {
      this.clearBookTimers(b);
      b.sync.desync();
      b.failures = 0;
      b.wsSnapshots = false;
    }
    this.subs.request('subscribe', [...this.streams.values()].map((s) => s.arg));
    if (this.channels.has('ticker')) void this.seedOpenInterest();
  }

  private onDown(reason: string): void {
    if (this.stopped) return;
    const now = this.now();
    if (this.conn) this.conn.set('down', errorText(new LiveError('E_DISCONNECT', this.conn.key, reason)));
    for (const s of this.streams.values()) {
      s.outage ??= { fromTs: Number.isNaN(s.lastTs) ? now : s.lastTs, reason };
      s.set('down', errorText(new LiveError('E_DISCONNECT', s.key, reason)));
    }
    for (const [instId, b] of this.books) {
      this.clearBookTimers(b);
      b.sync.desync();
      const s = this.streams.get(`books:${instId}`)!;
      b.pending ??= { kind: 'disconnect', fromTs: s.outage!.fromTs, detail: `disconnected: ${reason}` };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  private onMessage(text: string, localMs: number, localNs: bigint): void {
    if (this.stopped) return;
    callHandler(() => this.connectionStream(), 'onRawFrame', () => this.o.handlers.onRawFrame?.(text, localNs));
    if (text === 'pong') return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.badFrame(text, new ParseError('E_JSON', `invalid JSON: ${(e as Error).message}`, undefined, text));
      return;
    }
    try {
      if (!isObject(msg)) throw new ParseError('E_MESSAGE', 'expected a JSON object', undefined, text);
      if (msg.event !== undefined) this.onEvent(msg);
      else this.onPush(msg, localMs);
    } catch (e) {
      // A recorder runs for weeks: whatever a frame does, it is counted and skipped, never fatal.
      this.badFrame(text, e instanceof ParseError ? e : internalError(e, text));
    }
  }

  /** A frame that could not be read at all: counted on the stream its text names, if any. */
  private badFrame(text: string, err: ParseError): void {
    const m = /"channel"\s*:\s*"([^"]+)"\s*,\s*"(?:instId|instType)"\s*:\s*"([^"]+)"/.exec(text.slice(0, 300));
    const s = (m && this.streams.get(`${m[1]}:${m[2]}`)) || this.connectionStream();
    s.messages++;
    this.parseError(s, err);
  }

  /** Where errors that name no stream are counted: a status entry `connection`, made on first use. */
  private connectionStream(): Stream {
    if (!this.conn) {
      this.conn = new Stream({ channel: 'connection', instId: 'public' }, this.report);
      this.conn.acked = true;
      this.conn.state = this.socket.connected ? 'connected' : 'connecting';
    }
    return this.conn;
  }

  private parseError(s: Stream, err: ParseError): void {
    s.parseErrors++;
    s.error(errorText(err.at(`${s.key} frame ${s.messages}`)));
  }

  private onEvent(msg: JsonObject): void {
    const ev = parseOkxEvent(msg);
    switch (ev.event) {
      case 'subscribe': {
        const s = this.streams.get(streamKey(ev.arg));
        if (s && !s.acked) {
          s.acked = true;
          s.ackAt = this.now();
          if (s.arg.channel === 'books') this.awaitSnapshot(s, this.books.get(s.arg.instId!)!);
          // A book is connected once its snapshot arrives; trades report an outage at the first trade.
          if (s.arg.channel !== 'books') s.set('connected');
          if (s.arg.channel !== 'books' && s.arg.channel !== 'trades') this.closeOutage(s, this.now(), false, 'cannot be replayed');
        }
        this.subs.replied(ev.id);
        return;
      }
      case 'unsubscribe':
      case 'other':
        return;
      case 'error': {
        const text = `OKX error ${ev.code}: ${ev.msg}`;
        const s = ev.target && this.streams.get(streamKey(ev.target));
        if (s) {
          s.refused = true;
          s.set('down', errorText(new LiveError('E_SUBSCRIBE', s.key, text)));
          this.subs.replied(ev.id);
        } else if (this.subs.isPending(ev.id)) {
          this.subs.replied(ev.id, text);
        } else {
          // Names neither a subscription nor a request of ours: said on the connection entry.
          const c = this.connectionStream();
          c.error(errorText(new LiveError('E_SUBSCRIBE', c.key, text)));
        }
        return;
      }
      case 'notice': {
        // 64008: "The connection will soon be closed for a service upgrade. Please reconnect."
        if (ev.code === '64008') this.socket.reconnect(`OKX announced it (notice ${ev.code}: ${ev.msg})`);
        return;
      }
    }
  }

  private onPush(msg: JsonObject, localMs: number): void {
    const arg = obj(msg.arg, 'arg');
    const channel = str(arg.channel, 'arg.channel');
    const target = typeof arg.instId === 'string' ? arg.instId : arg.instType;
    const s = this.streams.get(`${channel}:${String(target)}`);
    // Not ours (e.g. still in flight after an unsubscribe): ignored.
    if (!s) return;
    s.messages++;
    s.lastMessageAt = localMs;
    try {
      switch (channel) {
        case 'trades':
          this.onTrades(s, msg, localMs);
          break;
        case 'books':
          this.onBook(s, msg, localMs);
          break;
        case 'liquidation-orders':
          this.onLiquidations(s, msg, localMs);
          break;
        default:
          this.onTicker(s, msg, localMs);
      }
    } catch (e) {
      this.parseError(s, e instanceof ParseError ? e : internalError(e, JSON.stringify(msg)));
    }
    // Liquidation times are when the liquidation happened and arrive out of order: no lag from them.
    if (channel !== 'liquidation-orders') this.updateLag(s, msg, localMs);
  }

  private updateLag(s: Stream, msg: JsonObject, localMs: number): void {
    let ts = NaN;
    if (Array.isArray(msg.data)) {
      for (const d of msg.data) if (isObject(d) && typeof d.ts === 'string' && /^\d{1,16}$/.test(d.ts)) ts = Number.isNaN(ts) ? Number(d.ts) : Math.max(ts, Number(d.ts));
    }
    s.lag(localMs, ts, this.o.lagWarnMs ?? 2_000);
  }

  private map(msg: JsonObject, localTs: number): MarketEvent[] {
    const m = this.mappers.get(msg.arg && isObject(msg.arg) ? String(msg.arg.channel) : '');
    if (!m) throw new ParseError('E_MESSAGE', 'unknown OKX channel', 'arg.channel');
    return [...m.map(msg, localTs)] as MarketEvent[];
  }

  // -------------------------------------------------------------------------------------------
  // Tickers and liquidations

  private onTicker(s: Stream, msg: JsonObject, localMs: number): void {
    const out: MarketEvent[] = [];
    for (const ev of this.map(msg, localMs)) {
      const key = JSON.stringify({ ...ev, localTs: 0 });
      if (key === s.lastKey) continue;
      s.lastKey = key;
      out.push(ev);
    }
    this.emit(s, out, localMs);
  }

  /** `liquidation-orders` carries every instrument of the instType: keep ours, drop repeats. */
  private onLiquidations(s: Stream, msg: JsonObject, localMs: number): void {
    const data = arr(msg.data, 'data');
    const ours = data.filter((d) => !(isObject(d) && typeof d.instId === 'string' && !this.symbols.has(d.instId)));
    if (ours.length === 0) return;
    const out: MarketEvent[] = [];
    // OKX replays recent liquidations on subscribe: what happened before it is not news.
    const since = Number.isNaN(s.ackAt) ? -Infinity : s.ackAt - (this.o.liquidationReplayToleranceMs ?? 1_000);
    for (const ev of this.map({ ...msg, data: ours }, localMs)) {
      if (ev.type !== 'liquidation' || ev.ts < since) continue;
      const key = `${ev.symbol}|${ev.ts}|${ev.side}|${ev.price}|${ev.qty}`;
      if (!this.liqSeen.add(key)) continue;
      out.push(ev);
    }
    this.emit(s, out, localMs);
  }

  // -------------------------------------------------------------------------------------------
  // Book

  private onBook(s: Stream, msg: JsonObject, localMs: number): void {
    const instId = s.arg.instId!;
    const b = this.books.get(instId)!;
    // The mapper validates every level, time and seqId before anything is applied.
    const events = this.map(msg, localMs) as BookEvent[];
    const action = events[0]?.isSnapshot ? 'snapshot' : 'update';
    const data = arr(msg.data, 'data');
    for (let i = 0; i < data.length; i++) {
      const at = `data[${i}]`;
      const item = obj(data[i], at);
      const r = b.sync.apply(action, arr(item.bids, `${at}.bids`) as string[][], arr(item.asks, `${at}.asks`) as string[][], okxBookSeq(item, at), events[i]);
      switch (r.kind) {
        case 'snapshot':
          b.wsSnapshots = true;
          this.synced(s, b, [events[i]], localMs);
          break;
        case 'update':
          b.failures = 0;
          this.emit(s, [events[i]], localMs);
          break;
        case 'heartbeat':
        case 'duplicate':
        case 'waiting':
          break;
        case 'sequence_gap':
        case 'checksum':
          this.resync(s, b, r.kind, r.detail, events[i].ts);
          return;
      }
    }
  }

  /** A snapshot (WebSocket or REST, then the held updates) is in: emit, report the repaired break, connected. */
  private synced(s: Stream, b: BookState, events: readonly BookEvent[], localMs: number): void {
    this.clearBookTimers(b);
    b.failures = 0;
    this.emit(s, events, localMs);
    if (b.pending) {
      this.gap(s, s.arg.instId!, b.pending.kind, b.pending.fromTs, events[0].ts, false, b.pending.detail);
      b.pending = undefined;
    }
    s.outage = undefined;
    s.set('connected');
  }

  /**
   * The local book is wrong: resubscribe for a new WebSocket snapshot when this connection sends
   * them (or reconnect when the op budget is spent), else fetch the book from REST.
   */
  private resync(s: Stream, b: BookState, kind: 'sequence_gap' | 'checksum', detail: string, ts: number): void {
    s.resyncs++;
    b.failures++;
    b.pending ??= { kind, fromTs: Number.isNaN(s.lastTs) ? ts : s.lastTs, detail };
    s.set('resyncing', errorText(new LiveError(kind === 'checksum' ? 'E_CHECKSUM' : 'E_SEQUENCE', s.key, detail)));
    clearTimeout(b.timer);
    // A book that keeps failing is retried with the reconnect backoff, not in a tight loop.
    const delay = b.failures <= 1 ? 0 : backoffDelay(b.failures - 2, this.o.backoff, this.o.random);
    b.timer = setTimeout(() => {
      if (this.stopped || b.sync.isSynced) return;
      if (!b.wsSnapshots) void this.restSnapshot(s, b);
      else this.resubscribe(s);
    }, delay);
    this.armWatchdog(s, b);
  }

  private resubscribe(s: Stream): void {
    if (!this.subs.request('unsubscribe', [s.arg]) || !this.subs.request('subscribe', [s.arg])) {
      this.socket.reconnect(`subscribe budget of ${OKX_OPS_PER_HOUR} requests per hour spent by resyncs`);
    }
  }

  /** Subscribed: a WebSocket snapshot may follow; if none within bookSnapshotWaitMs, ask REST. */
  private awaitSnapshot(s: Stream, b: BookState): void {
    clearTimeout(b.timer);
    b.timer = setTimeout(() => {
      if (!this.stopped && !b.sync.isSynced) void this.restSnapshot(s, b);
    }, this.o.bookSnapshotWaitMs ?? 1_000);
    this.armWatchdog(s, b);
  }

  /** Not synced within bookSyncTimeoutMs: say so, resync from REST, and keep watching. */
  private armWatchdog(s: Stream, b: BookState): void {
    clearTimeout(b.watchdog);
    const after = this.o.bookSyncTimeoutMs ?? 10_000;
    b.watchdog = setTimeout(() => {
      if (this.stopped || b.sync.isSynced) return;
      const detail = `no book snapshot within ${after} ms (${b.sync.heldCount} updates held); resyncing from REST`;
      s.resyncs++;
      b.pending ??= { kind: 'book_resync', fromTs: Number.isNaN(s.lastTs) ? this.now() : s.lastTs, detail };
      s.set('resyncing', errorText(new LiveError('E_RESYNC', s.key, detail)));
      void this.restSnapshot(s, b);
      this.armWatchdog(s, b);
    }, after);
  }

  private clearBookTimers(b: BookState): void {
    clearTimeout(b.timer);
    clearTimeout(b.watchdog);
    b.timer = undefined;
    b.watchdog = undefined;
  }

  /**
   * `GET /api/v5/market/books?sz=400`: the book at its `seqId`, joined to the held updates
   * (OkxBookSync.fromRest). A reply without `seqId` cannot be aligned: resubscribe instead.
   */
  private async restSnapshot(s: Stream, b: BookState): Promise<void> {
    if (b.fetching || this.stopped) return;
    const instId = s.arg.instId!;
    b.fetching = true;
    try {
      const data = await okxData(this.rest, okxBooksUrl(this.restBase, instId, REST_BOOK_LEVELS));
      // Down meanwhile: the next connection asks again.
      if (this.stopped || b.sync.isSynced || !this.socket.connected) return;
      const item = obj(data[0], `GET ${OKX_PATHS.books} data[0]`);
      if (item.seqId === undefined) {
        s.error(errorText(new LiveError('E_RESYNC', s.key, `GET ${OKX_PATHS.books}: no seqId, cannot align it with the stream; resubscribing`)));
        this.resubscribe(s);
        return;
      }
      const localMs = this.now();
      const [snap] = this.map({ arg: { channel: 'books', instId }, action: 'snapshot', data: [{ ...item, prevSeqId: -1, checksum: 0 }] }, localMs) as BookEvent[];
      const seq = okxBookSeq(item, 'data[0]');
      const r = b.sync.fromRest(arr(item.bids, 'data[0].bids') as string[][], arr(item.asks, 'data[0].asks') as string[][], seq.seqId!);
      if (r.kind === 'synced') this.synced(s, b, [snap, ...r.applied], localMs);
      else this.resync(s, b, r.kind, `REST book: ${r.detail}`, snap.ts);
    } catch (e) {
      if (this.stopped) return;
      // The watchdog asks again; the stream says why it is not connected.
      s.set('resyncing', errorText(e instanceof ParseError ? e.at(`GET ${OKX_PATHS.books}`) : e));
    } finally {
      b.fetching = false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Trades

  private onTrades(s: Stream, msg: JsonObject, localMs: number): void {
    const events = this.map(msg, localMs) as TradeEvent[];
    const data = arr(msg.data, 'data');
    const spans = data.map((d, i) => okxTradeSpan(obj(d, `data[${i}]`), `data[${i}]`));
    this.trades.get(s.arg.instId!)!.onFrame(events, spans, localMs);
  }

  /** The trade-id sync of a trades stream, wired to it. */
  private tradeSync(s: Stream): OkxTradeSync {
    const instId = s.arg.instId!;
    const host: OkxTradeSyncHost = {
      instId,
      lastTs: () => s.lastTs,
      takeOutage: () => {
        const o = s.outage;
        s.outage = undefined;
        return o;
      },
      deliver: (events, localMs) => this.emit(s, events, localMs),
      // For raw captures: a trades push of the recovered items, flagged `backfill` (a re-import reads it as one).
      restFrame: (items) =>
        callHandler(s, 'onRestFrame', () => this.o.handlers.onRestFrame?.(JSON.stringify({ arg: { channel: 'trades', instId }, backfill: 'GET /api/v5/market/history-trades', data: items }), epochNs())),
      gap: (kind, fromTs, toTs, backfilled, detail) => this.gap(s, instId, kind, fromTs, toTs, backfilled, detail),
      error: (message) => s.error(errorText(new LiveError('E_BACKFILL', s.key, message))),
      mapPage: (data) => ({
        events: this.map({ arg: { channel: 'trades', instId }, data: data as JsonObject[] }, this.now()) as TradeEvent[],
        spans: data.map((d, i) => okxTradeSpan(obj(d, `data[${i}]`), `data[${i}]`)),
      }),
      fetch: (url) => okxData(this.rest, url),
      now: () => this.now(),
      stopped: () => this.stopped,
    };
    const sync = new OkxTradeSync(host, new OkxBackfillPlanner(this.restBase), { backfillDelayMs: this.o.backfillDelayMs ?? 250, budget: () => sizeBackfill(this.o, OKX_BACKFILL_REQUESTS_PER_MINUTE, this.now()) });
    const r = this.o.resume?.get(instId);
    if (r !== undefined && r.lastId !== undefined && Number.isSafeInteger(r.lastId)) sync.resume(r.lastId, r.lastTs);
    return sync;
  }

  // -------------------------------------------------------------------------------------------
  // REST

  /** Open interest once per connection: the channel pushes only when it changes. */
  private async seedOpenInterest(): Promise<void> {
    for (const instId of this.symbols) {
      const s = this.streams.get(`open-interest:${instId}`);
      if (!s || this.stopped) continue;
      const instType = instTypeOf(this.o.instruments.get(VENUE, instId)?.kind);
      try {
        const data = await okxData(this.rest, okxOpenInterestUrl(this.restBase, instType, instId));
        if (this.stopped) return;
        if (data.length > 0) this.onTicker(s, { arg: { channel: 'open-interest', instId }, data }, this.now());
      } catch (e) {
        if (this.stopped) return;
        s.error(errorText(e instanceof ParseError ? e.at(`GET ${OKX_PATHS.openInterest}`) : e));
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Output

  private emit(s: Stream, events: readonly CaptureRecord[], localTs: number): void {
    for (const e of events) if (e.type !== 'kline' && !(e.ts <= s.lastTs)) s.lastTs = e.ts;
    deliverEvents(this.o.handlers, s, events, localTs);
  }

  /** Report a gap for each symbol the stream covers (liquidation-orders covers all of its instType). */
  private gap(s: Stream, symbol: string | undefined, kind: GapKind, fromTs: number, toTs: number, backfilled: boolean, detail: string): void {
    const symbols = symbol !== undefined ? [symbol] : [...this.symbols].filter((id) => instTypeOf(this.o.instruments.get(VENUE, id)?.kind) === s.arg.instType);
    for (const sym of symbols) deliverGap(this.o.handlers, s, { venue: VENUE, symbol: sym, kind, fromTs, toTs, backfilled, detail: `${s.key}: ${detail}` });
  }

  /** A stream without replay (tickers, liquidations) is back: the outage is a gap. */
  private closeOutage(s: Stream, toTs: number, backfilled: boolean, why: string): void {
    const o = s.outage;
    if (!o) return;
    s.outage = undefined;
    this.gap(s, s.arg.instId, 'disconnect', o.fromTs, toTs, backfilled, `disconnected: ${o.reason}; ${s.arg.channel} ${why}`);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}

/** A frame that broke our code rather than a field: still counted and skipped like a bad frame. */
function internalError(e: unknown, text: string): ParseError {
  return new ParseError('E_MESSAGE', `internal error on this frame: ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`, undefined, text);
}

/** The liquidation-orders / open-interest instType of an instrument kind (perpetual by default). */
function instTypeOf(kind: string | undefined): string {
  return kind === 'future' ? 'FUTURES' : 'SWAP';
}
