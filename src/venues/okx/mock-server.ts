/**
 * A loopback OKX: the v5 public WebSocket (`/ws/v5/public`) and the REST endpoints live.ts uses,
 * on 127.0.0.1:0, speaking OKX's protocol so the same client code runs against it as against
 * OKX. Fed by anything: normalized events (`publish`, `feed` from any async iterable: fixtures,
 * the simulator, another venue's capture), encoded by encode.ts into OKX frames; or raw captured
 * frames (`replayRaw`, e.g. the lines of test/fixtures/okx/full/okx-v5-ws-books-2022-05-13.jsonl.gz) sent verbatim.
 * It keeps what it sent (book, trade history, last mark/funding/open interest), so REST and the
 * subscribe-time snapshot agree with the stream.
 *
 * Protocol, as OKX documents and sends it (sources in docs/live/okx.md):
 *   - `{"id"?, "op":"subscribe"|"unsubscribe", "args":[{channel, instId|instType}]}` -> one
 *     `{"id"?, "event":"subscribe", "arg":{..}, "connId":".."}` per arg; an unknown instrument
 *     or channel -> `{"id"?, "event":"error", "code":"60018", "msg":"Wrong URL or
 *     channel:books,instId:X doesn't exist. Please use ...", "connId"}` (no `arg`: OKX names the
 *     subscription only in `msg`); a request that is not JSON or has no args -> 60012
 *     `Invalid request: <text>`; an unknown op -> 60019 `Invalid op: <op>`;
 *   - the text `ping` -> `pong`;
 *   - nothing sent or received for 30 s (`idleCloseMs`) -> close 4004 "No data received in 30s";
 *   - `books`: on subscribe a `snapshot` (`prevSeqId: -1`; none with `wsBookSnapshot: false`, as
 *     OKX announced), then `update`s whose `prevSeqId` is the previous `seqId` (ids step by 1 to
 *     4, as OKX's are not consecutive), `checksum` the CRC32 of the best 25 levels (or 0,
 *     `checksums: false`, as OKX sends since 2026-06-23); REST books carry the same `seqId`;
 *   - `liquidation-orders`: on subscribe the most recent liquidations of the instType again
 *     (`liquidationReplay`, as OKX replays them), then the new ones;
 *   - push shapes: encode.ts, each with the capture line it copies;
 *   - REST: `{"code":"0","msg":"","data":[..]}`, 51001 for an unknown instId, 50011 + HTTP 429
 *     past OKX's per-endpoint limits, newest-first trade lists.
 *
 * Faults: `faults`, the API every loopback server shares (src/venues/live/mock-kit.ts); streams
 * are named as the client names them (`books:BTC-USDT-SWAP`, `liquidation-orders:SWAP`). Here a
 * malformed frame has `data[0].ts` = "not-a-time" (liquidations: `details[0].sz`), a checksum
 * mismatch is one level wrong in transit (the best bid's size + 1), a subscription error is
 * 60018 with OKX's text unless given, a REST error 50001. OKX's own events: `noticeUpgrade`
 * (64008), `bookHeartbeat`, `resetSequence`, and `burst` (many frames at once).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { BookEvent, MarketEvent, TickerEvent } from '../../core/events.ts';
import { splitCaptureLine } from '../capture.ts';
import { keepNewest, LoopbackKit, loopbackConn, paced, urlHost, type LoopbackConn, type LoopbackListen, type LoopbackVenueServer, type MockFaults } from '../live/mock-kit.ts';
import { WireBook } from './book-sync.ts';
import type { WireLevel } from './checksum.ts';
import { OkxEncoder, okxDecimal, okxLevel4 as level4, okxMs } from './encode.ts';
import { OkxMockInstruments } from './mock-instruments.ts';
import { OKX_PATHS } from './urls.ts';
import type { OkxArg, OkxMarkPrice, OkxOpenInterest, OkxTrade } from './wire.ts';

/** One port serves the WebSocket and REST (`wsPort`; `restPort` is not used). */
export interface OkxMockServerOptions extends LoopbackListen {
  /**
   * The venue's own instruments: what `public/instruments` and `public/position-tiers` serve,
   * which instIds exist, and the contract values sizes are written with. Default: the bundled
   * snapshot's OKX responses. Never the client's registry.
   */
  readonly listings?: OkxMockInstruments;
  /** Events to publish as soon as the server listens (see `sourceDone`). */
  readonly source?: AsyncIterable<MarketEvent> | Iterable<MarketEvent>;
  /** CRC32 checksums in books frames (true, default), or 0 as OKX sends since 2026-06-23. */
  readonly checksums?: boolean;
  /** Close a connection with 4004 after this long with nothing sent or received. Default 30 000. */
  readonly idleCloseMs?: number;
  /** Trades kept per instrument for REST (up to an eighth more: keepNewest). Default 10 000. */
  readonly historyLimit?: number;
  /** Answer 429 / 50011 past OKX's documented REST limits. Default true. */
  readonly restRateLimits?: boolean;
  /** Funding interval, for `nextFundingTime` in funding-rate frames. Default 8 h. */
  readonly fundingIntervalMs?: number;
  /** The first book seqId. Default 1000. */
  readonly firstSeqId?: number;
  /** Push a book `snapshot` on subscribe (true, default), or updates only, as OKX announced. */
  readonly wsBookSnapshot?: boolean;
  /** Liquidations per instType pushed again on subscribe, newest last. Default 10. */
  readonly liquidationReplay?: number;
}

export interface OkxMockStats {
  /** Connections accepted, ever. */
  readonly connections: number;
  /** Open now. */
  readonly open: number;
  /** Subscriptions acknowledged / removed, and error replies. */
  readonly subscribes: number;
  readonly unsubscribes: number;
  readonly errors: number;
  readonly pings: number;
  /** Data frames sent (after fan-out). */
  readonly framesSent: number;
  readonly restRequests: number;
  /** REST requests refused for the rate limit. */
  readonly rest429: number;
  /** The largest `bufferedAmount` seen on a socket (a slow reader makes it grow). */
  readonly maxBuffered: number;
}

export interface OkxMockServer extends LoopbackVenueServer {
  /** The venue's instruments (list a new swap, halt one): served by REST, used for contract values. */
  readonly listings: OkxMockInstruments;
  /** WebSocket base (`ws://127.0.0.1:<port>`); the client appends `/ws/v5/public`. */
  readonly wsUrl: string;
  /** REST base (`http://127.0.0.1:<port>`). */
  readonly restUrl: string;
  /** Settles when `source` is drained. */
  readonly sourceDone: Promise<number>;
  /** Publish many events at once, without yielding (a slow consumer falls behind). Returns frames sent. */
  burst(events: Iterable<MarketEvent>): number;
  /** A books update with no change: `seqId == prevSeqId`, empty sides (OKX: after ~60 s idle). */
  bookHeartbeat(instId: string): void;
  /** The next books update restarts the sequence at `seqId` (smaller than prevSeqId), as after OKX maintenance. */
  resetSequence(instId: string, seqId: number): void;
  /** The fault API shared by every loopback server (src/venues/live/mock-kit.ts). */
  readonly faults: MockFaults;
  /** `{"event":"notice","code":"64008",...}` to every connection. */
  noticeUpgrade(): void;
  /** Open connections subscribed to this arg. */
  subscribers(arg: OkxArg): number;
  /** The venue's book (wire text, contracts) and its seqId. */
  book(instId: string): { readonly bids: WireLevel[]; readonly asks: WireLevel[]; readonly seqId: number };
  /** The trade history REST serves (oldest first). */
  trades(instId: string): readonly OkxTrade[];
  stats(): OkxMockStats;
  /** When each WebSocket connection request (upgrade) arrived, ms on the monotonic clock (`performance.now()`), oldest first. */
  connectionTimes(): readonly number[];
  close(): Promise<void>;
}

/** Channels this server publishes. */
const CHANNELS = new Set(['trades', 'books', 'liquidation-orders', 'funding-rate', 'open-interest', 'mark-price', 'tickers']);
const INST_TYPES = new Set(['SWAP', 'FUTURES', 'MARGIN', 'OPTION']);
const SPOT_ID = /^[A-Z0-9]+-[A-Z0-9]+$/;
/** OKX REST limits per IP (docs: "Rate Limit: N requests per 2 seconds"). */
const REST_LIMITS: Record<string, number> = {
  [OKX_PATHS.books]: 40,
  [OKX_PATHS.trades]: 100,
  [OKX_PATHS.historyTrades]: 20,
  [OKX_PATHS.openInterest]: 20,
  [OKX_PATHS.instruments]: 20,
  [OKX_PATHS.positionTiers]: 10,
};

interface Conn extends LoopbackConn {
  readonly connId: string;
  readonly subs: Set<string>;
  lastActivity: number;
  timer: NodeJS.Timeout;
}

interface InstState {
  readonly book: WireBook;
  seqId: number;
  bookTs: number;
  resetTo: number | undefined;
  readonly trades: (OkxTrade & { readonly source: string })[];
  nextTradeId: number;
  mark: OkxMarkPrice | undefined;
  funding: Record<string, string> | undefined;
  oi: OkxOpenInterest | undefined;
  lastPrice: number;
}

type Frame = { readonly arg: OkxArg; readonly action?: string; readonly data: readonly Record<string, unknown>[] };

export async function startOkxMockServer(opts: OkxMockServerOptions = {}): Promise<OkxMockServer> {
  const listings = opts.listings ?? OkxMockInstruments.fromSnapshot();
  const instruments = { get: (venue: 'okx', instId: string) => listings.registry().get(venue, instId) };
  const enc = new OkxEncoder(instruments);
  const checksums = opts.checksums ?? true;
  const idleCloseMs = opts.idleCloseMs ?? 30_000;
  const historyLimit = opts.historyLimit ?? 10_000;
  const fundingIntervalMs = opts.fundingIntervalMs ?? 8 * 3_600_000;
  const kit = new LoopbackKit<Conn>({ venue: 'okx', malformed, checksum: true, onData: (c) => ((c as Conn).lastActivity = Date.now()) });
  const faults = kit.faults;
  const conns = kit.conns;
  const states = new Map<string, InstState>();
  let connCount = 0;
  let seqSteps = 0;
  const restWindows = new Map<string, number[]>();
  const recentLiqs = new Map<string, Record<string, unknown>[]>();
  const liquidationReplay = opts.liquidationReplay ?? 10;
  const requestedAt: number[] = [];
  const stats = { connections: 0, subscribes: 0, unsubscribes: 0, errors: 0, pings: 0, restRequests: 0, rest429: 0 };

  const known = (instId: string) => instruments.get('okx', instId) !== undefined || SPOT_ID.test(instId);
  const instTypeOf = (instId: string) => {
    const kind = instruments.get('okx', instId)?.kind;
    return kind === 'future' ? 'FUTURES' : kind === 'spot' || SPOT_ID.test(instId) ? 'SPOT' : 'SWAP';
  };
  /** The stream's name, as the client names it: `books:BTC-USDT-SWAP`, `liquidation-orders:SWAP`. */
  const keyOf = (arg: OkxArg) => `${arg.channel}:${arg.instId ?? arg.instType}`;
  const state = (instId: string): InstState => {
    let s = states.get(instId);
    if (!s) {
      s = {
        book: new WireBook(), seqId: opts.firstSeqId ?? 1000, bookTs: NaN, resetTo: undefined, trades: [], nextTradeId: 1,
        mark: undefined, funding: undefined, oi: undefined, lastPrice: NaN,
      };
      states.set(instId, s);
    }
    return s;
  };

  // ---------------------------------------------------------------------------------------------
  // Sending

  /** One frame to its subscribers, through the armed faults. */
  const emit = (frame: Frame, text = JSON.stringify(frame)) => {
    const key = keyOf(frame.arg);
    kit.publish(key, text, (c) => c.subs.has(key));
  };

  // ---------------------------------------------------------------------------------------------
  // Publishing normalized events

  const bookItem = (s: InstState, bids: readonly WireLevel[], asks: readonly WireLevel[], prevSeqId: number) => ({
    asks: asks.map(level4),
    bids: bids.map(level4),
    ts: okxMs(Number.isNaN(s.bookTs) ? Date.now() : s.bookTs),
    checksum: checksums ? s.book.checksum() : 0,
    prevSeqId,
    seqId: s.seqId,
  });

  const publishBook = (ev: BookEvent) => {
    const s = state(ev.symbol);
    const bids = enc.levels(ev.symbol, ev.bids);
    const asks = enc.levels(ev.symbol, ev.asks);
    let dBids: WireLevel[] = bids;
    let dAsks: WireLevel[] = asks;
    if (ev.isSnapshot) {
      // The venue never re-sends a snapshot mid-stream: subscribers get the difference.
      dBids = diffSide(s.book.bids.top(), bids);
      dAsks = diffSide(s.book.asks.top(), asks);
      s.book.clear();
    }
    s.book.apply(dBids, dAsks);
    const prev = s.seqId;
    if (s.resetTo !== undefined) {
      s.seqId = s.resetTo;
      s.resetTo = undefined;
    } else {
      s.seqId = Number.isFinite(ev.seq) && ev.seq > prev ? ev.seq : prev + 1 + (seqSteps++ % 4);
    }
    s.bookTs = ev.ts;
    const item = bookItem(s, dBids, dAsks, prev);
    if (faults.takeFrame(`books:${ev.symbol}`, ['checksum'])) {
      // One level wrong in transit: the best bid (or ask) with its size + 1.
      const side = s.book.bids.size > 0 ? 'bids' : 'asks';
      const best = (side === 'bids' ? s.book.bids : s.book.asks).top(1)[0] ?? ['1', '0'];
      const wrong = level4([best[0], okxDecimal(Number(best[1]) + 1)]);
      const levels = item[side].filter((l) => l[0] !== best[0]);
      levels.push(wrong);
      item[side] = levels;
    }
    emit({ arg: { channel: 'books', instId: ev.symbol }, action: 'update', data: [item] });
  };

  const publishTicker = (ev: TickerEvent) => {
    const s = state(ev.symbol);
    const instType = instTypeOf(ev.symbol);
    const arg = (channel: string): OkxArg => ({ channel, instId: ev.symbol });
    if (!Number.isNaN(ev.markPrice)) {
      s.mark = enc.markPrice(ev, instType);
      emit({ arg: arg('mark-price'), data: [s.mark as unknown as Record<string, unknown>] });
    }
    if (!Number.isNaN(ev.fundingRate) && !Number.isNaN(ev.nextFundingTs)) {
      s.funding = enc.fundingRate(ev, instType, fundingIntervalMs) as unknown as Record<string, string>;
      emit({ arg: arg('funding-rate'), data: [s.funding] });
    }
    if (!Number.isNaN(ev.openInterest)) {
      s.oi = enc.openInterest(ev, instType, s.mark ? Number(s.mark.markPx) : s.lastPrice);
      emit({ arg: arg('open-interest'), data: [s.oi as unknown as Record<string, unknown>] });
    }
    if (!Number.isNaN(ev.lastPrice) || !Number.isNaN(ev.bestBid) || !Number.isNaN(ev.bestAsk)) {
      emit({ arg: arg('tickers'), data: [enc.ticker(ev, instType) as unknown as Record<string, unknown>] });
    }
  };

  const publish = (ev: MarketEvent) => {
    switch (ev.type) {
      case 'trade': {
        const s = state(ev.symbol);
        const id = /^\d{1,15}$/.test(ev.id) ? ev.id : String(s.nextTradeId);
        s.nextTradeId = Math.max(s.nextTradeId, Number(id) + 1);
        const item = enc.trade(ev, id);
        s.trades.push(item);
        keepNewest(s.trades, historyLimit);
        s.lastPrice = ev.price;
        emit({ arg: { channel: 'trades', instId: ev.symbol }, data: [item as unknown as Record<string, unknown>] });
        return;
      }
      case 'liquidation': {
        const instType = instTypeOf(ev.symbol);
        const item = enc.liquidation(ev, instType) as unknown as Record<string, unknown>;
        const recent = recentLiqs.get(instType) ?? [];
        recent.push(item);
        if (recent.length > liquidationReplay) recent.splice(0, recent.length - liquidationReplay);
        recentLiqs.set(instType, recent);
        emit({ arg: { channel: 'liquidation-orders', instType }, data: [item] });
        return;
      }
      case 'book':
        publishBook(ev);
        return;
      case 'ticker':
        publishTicker(ev);
    }
  };

  /** Raw frames: routed by `arg`, applied to the venue state, sent as they are. */
  const replayOne = (line: string) => {
    let json = line;
    try {
      json = splitCaptureLine(line).json;
    } catch {
      // Not a capture line (`<ns> <json>` or JSON): sent as it is, like any other garbage.
    }
    let msg: Frame & { event?: string };
    try {
      msg = JSON.parse(json) as Frame & { event?: string };
    } catch {
      for (const c of conns) kit.data(c, json);
      return;
    }
    // Captured acks belong to the recording's connection, not to ours.
    if (typeof msg !== 'object' || msg === null) {
      for (const c of conns) kit.data(c, json);
      return;
    }
    if (msg.event !== undefined || typeof msg.arg !== 'object' || msg.arg === null) return;
    const items = Array.isArray(msg.data) ? msg.data : [];
    const instId = msg.arg.instId;
    try {
      if (msg.arg.channel === 'books' && instId) {
        const s = state(instId);
        for (const it of items) {
          if (msg.action === 'snapshot') s.book.clear();
          s.book.apply((it.bids ?? []) as string[][], (it.asks ?? []) as string[][]);
          if (typeof it.seqId === 'number') s.seqId = it.seqId;
          s.bookTs = Number(it.ts);
        }
      } else if (msg.arg.channel === 'trades' && instId) {
        state(instId).trades.push(...(items as unknown as (OkxTrade & { source: string })[]));
      } else if (msg.arg.channel === 'mark-price' && instId) {
        state(instId).mark = items[items.length - 1] as unknown as OkxMarkPrice;
      } else if (msg.arg.channel === 'open-interest' && instId) {
        state(instId).oi = items[items.length - 1] as unknown as OkxOpenInterest;
      } else if (msg.arg.channel === 'funding-rate' && instId) {
        state(instId).funding = items[items.length - 1] as unknown as Record<string, string>;
      }
    } catch {
      // A malformed captured frame still goes out as it is; the venue state keeps what it had.
    }
    emit(msg, json);
  };

  // ---------------------------------------------------------------------------------------------
  // WebSocket protocol

  const reply = (c: Conn, body: Record<string, unknown>) => kit.reply(c, JSON.stringify(body));

  const subscribeArg = (c: Conn, id: unknown, raw: unknown): void => {
    const withId = (body: Record<string, unknown>) => (typeof id === 'string' ? { id, ...body } : body);
    const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const arg: OkxArg = typeof a.instType === 'string' && a.instId === undefined
      ? { channel: String(a.channel), instType: a.instType }
      : { channel: String(a.channel), instId: String(a.instId) };
    const rule = faults.takeSubscription(keyOf(arg));
    const name = arg.instType !== undefined ? `instType:${arg.instType}` : `instId:${arg.instId}`;
    const valid = CHANNELS.has(arg.channel) && (arg.channel === 'liquidation-orders' ? INST_TYPES.has(arg.instType ?? '') : arg.instId !== undefined && known(arg.instId));
    if (rule || !valid) {
      stats.errors++;
      reply(c, withId({
        event: 'error',
        code: rule?.code ?? '60018',
        msg: rule?.msg ?? `Wrong URL or channel:${arg.channel},${name} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
        connId: c.connId,
      }));
      return;
    }
    const key = keyOf(arg);
    c.subs.add(key);
    stats.subscribes++;
    reply(c, withId({ event: 'subscribe', arg, connId: c.connId }));
    if (arg.instId === undefined) {
      const recent = recentLiqs.get(arg.instType ?? '');
      if (arg.channel === 'liquidation-orders' && recent && recent.length > 0) kit.data(c, JSON.stringify({ arg, data: recent }));
      return;
    }
    const s = state(arg.instId);
    // What OKX pushes right after subscribing: the book snapshot, the latest derivative figures.
    if (arg.channel === 'books') {
      if (opts.wsBookSnapshot === false) return;
      const item = { ...bookItem(s, s.book.bids.top(400), s.book.asks.top(400), -1) };
      kit.data(c, JSON.stringify({ arg, action: 'snapshot', data: [item] }));
    } else if (arg.channel === 'mark-price' && s.mark) kit.data(c, JSON.stringify({ arg, data: [s.mark] }));
    else if (arg.channel === 'funding-rate' && s.funding) kit.data(c, JSON.stringify({ arg, data: [s.funding] }));
    else if (arg.channel === 'open-interest' && s.oi) kit.data(c, JSON.stringify({ arg, data: [s.oi] }));
  };

  const onText = (c: Conn, text: string) => {
    if (c.stalled) return;
    c.lastActivity = Date.now();
    if (text === 'ping') {
      stats.pings++;
      kit.reply(c, 'pong');
      return;
    }
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(text) as Record<string, unknown>;
      if (typeof req !== 'object' || req === null) throw new Error('not an object');
    } catch {
      stats.errors++;
      reply(c, { event: 'error', code: '60012', msg: `Invalid request: ${text}`, connId: c.connId });
      return;
    }
    const id = req.id;
    const withId = (body: Record<string, unknown>) => (typeof id === 'string' ? { id, ...body } : body);
    if (req.op !== 'subscribe' && req.op !== 'unsubscribe') {
      stats.errors++;
      reply(c, withId(req.op === undefined
        ? { event: 'error', code: '60012', msg: `Invalid request: ${text}`, connId: c.connId }
        : { event: 'error', code: '60019', msg: `Invalid op: ${String(req.op)}`, connId: c.connId }));
      return;
    }
    if (!Array.isArray(req.args) || req.args.length === 0) {
      stats.errors++;
      reply(c, withId({ event: 'error', code: '60012', msg: `Invalid request: ${text}`, connId: c.connId }));
      return;
    }
    for (const raw of req.args) {
      if (req.op === 'subscribe') {
        subscribeArg(c, id, raw);
        continue;
      }
      const a = raw as Record<string, unknown>;
      const arg: OkxArg = a.instType !== undefined && a.instId === undefined
        ? { channel: String(a.channel), instType: String(a.instType) }
        : { channel: String(a.channel), instId: String(a.instId) };
      c.subs.delete(keyOf(arg));
      stats.unsubscribes++;
      reply(c, withId({ event: 'unsubscribe', arg, connId: c.connId }));
    }
  };

  // ---------------------------------------------------------------------------------------------
  // REST

  const restReply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const onRest = (req: IncomingMessage, res: ServerResponse) => {
    stats.restRequests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    const path = url.pathname;
    const failure = faults.takeRest(path);
    if (failure) {
      restReply(res, failure.status, { code: '50001', msg: 'Service temporarily unavailable. Please try again later.', data: [] });
      return;
    }
    const limit = REST_LIMITS[path];
    if (limit === undefined) {
      restReply(res, 404, { code: '404', msg: 'Not Found', data: [] });
      return;
    }
    if (opts.restRateLimits ?? true) {
      const now = Date.now();
      const w = (restWindows.get(path) ?? []).filter((t) => now - t < 2_000);
      restWindows.set(path, w);
      if (w.length >= limit) {
        stats.rest429++;
        restReply(res, 429, { msg: 'Too Many Requests', code: '50011' });
        return;
      }
      w.push(now);
    }
    const listed = listings.answer(path, q);
    if (listed) return restReply(res, listed.status, listed.body);
    const ok = (data: unknown[]) => restReply(res, 200, { code: '0', msg: '', data });
    const instId = q.get('instId');
    if (path === OKX_PATHS.openInterest) {
      const instType = q.get('instType');
      if (!instType) return restReply(res, 200, { code: '50014', msg: 'Parameter instType can not be empty.', data: [] });
      if (instId && !known(instId)) return restReply(res, 200, { code: '51001', msg: 'Instrument ID does not exist', data: [] });
      const out: unknown[] = [];
      for (const [id, s] of states) {
        if (s.oi && (instId ? id === instId : instTypeOf(id) === instType)) out.push({ instType: s.oi.instType, instId: s.oi.instId, oi: s.oi.oi, oiCcy: s.oi.oiCcy, ts: s.oi.ts });
      }
      return ok(out);
    }
    if (!instId) return restReply(res, 200, { code: '50014', msg: 'Parameter instId can not be empty.', data: [] });
    if (!known(instId)) return restReply(res, 200, { code: '51001', msg: 'Instrument ID does not exist', data: [] });
    const s = state(instId);
    const count = (name: string, dflt: number, max: number) => Math.min(max, Math.max(1, Number(q.get(name) ?? dflt) || dflt));
    if (path === OKX_PATHS.books) {
      const sz = count('sz', 1, 400);
      // `seqId`: the stream's, so a client joins this book to the updates after it.
      return ok([{ asks: s.book.asks.top(sz).map(level4), bids: s.book.bids.top(sz).map(level4), ts: okxMs(Number.isNaN(s.bookTs) ? Date.now() : s.bookTs), seqId: s.seqId }]);
    }
    const restTrade = (t: OkxTrade & { source?: string }) => ({ instId: t.instId, side: t.side, sz: t.sz, source: t.source ?? '0', px: t.px, tradeId: t.tradeId, ts: t.ts });
    const newestFirst = [...s.trades].reverse();
    if (path === OKX_PATHS.trades) return ok(newestFirst.slice(0, count('limit', 100, 500)).map(restTrade));
    // history-trades: type 1 pages by trade id, type 2 by time; `after` = older than, `before` = newer than.
    const byTime = q.get('type') === '2';
    const key = (t: OkxTrade) => (byTime ? Number(t.ts) : Number(t.tradeId));
    const after = q.get('after');
    const before = q.get('before');
    let list = newestFirst;
    if (after !== null) list = list.filter((t) => key(t) < Number(after));
    if (before !== null) list = list.filter((t) => Number(t.tradeId) > Number(before));
    return ok(list.slice(0, count('limit', 100, 100)).map(restTrade));
  };

  // ---------------------------------------------------------------------------------------------
  // Servers

  const http = createServer(onRest);
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    // A connection request as OKX's per-IP limit counts it: when the upgrade request arrives.
    requestedAt.push(performance.now());
    if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== OKX_PATHS.wsPublic) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Conn = {
        ...loopbackConn(ws), connId: (0xa4d3ae55 + connCount++).toString(16).slice(-8), subs: new Set(), lastActivity: Date.now(),
        timer: setInterval(() => {
          if (!c.stalled && Date.now() - c.lastActivity > idleCloseMs && ws.readyState === WebSocket.OPEN) ws.close(4004, 'No data received in 30s');
        }, Math.max(5, Math.floor(idleCloseMs / 4))),
      };
      stats.connections++;
      kit.add(c);
      ws.on('message', (data, isBinary) => onText(c, isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()));
      ws.on('close', () => {
        clearInterval(c.timer);
        kit.remove(c);
      });
      ws.on('error', () => undefined);
    });
  });
  const host = opts.host ?? '127.0.0.1';
  http.listen(opts.wsPort ?? 0, host);
  await once(http, 'listening');
  const port = (http.address() as AddressInfo).port;

  const feed = (events: AsyncIterable<MarketEvent> | Iterable<MarketEvent>, o: { readonly everyMs?: number } = {}) => paced(events, publish, o.everyMs);

  return {
    listings,
    wsUrl: `ws://${urlHost(host)}:${port}`,
    restUrl: `http://${urlHost(host)}:${port}`,
    sourceDone: opts.source ? feed(opts.source) : Promise.resolve(0),
    publish,
    feed,
    burst(events) {
      const before = kit.framesSent;
      for (const ev of events) publish(ev);
      return kit.framesSent - before;
    },
    replayRaw: (lines, o = {}) => paced(lines, replayOne, o.everyMs),
    bookHeartbeat(instId) {
      const s = state(instId);
      emit({ arg: { channel: 'books', instId }, action: 'update', data: [bookItem(s, [], [], s.seqId)] });
    },
    resetSequence(instId, seqId) {
      state(instId).resetTo = seqId;
    },
    faults,
    noticeUpgrade() {
      for (const c of conns) reply(c, { event: 'notice', code: '64008', msg: 'The connection will soon be closed for a service upgrade. Please reconnect.', connId: c.connId });
    },
    subscribers(arg) {
      let n = 0;
      for (const c of conns) if (c.subs.has(keyOf(arg)) && c.ws.readyState === WebSocket.OPEN) n++;
      return n;
    },
    book(instId) {
      const s = state(instId);
      return { bids: s.book.bids.top(), asks: s.book.asks.top(), seqId: s.seqId };
    },
    trades(instId) {
      return state(instId).trades;
    },
    connectionTimes: () => requestedAt,
    stats() {
      return { ...stats, framesSent: kit.framesSent, maxBuffered: kit.maxBuffered, open: conns.size };
    },
    async close() {
      for (const c of conns) clearInterval(c.timer);
      kit.closeAll();
      wss.close();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}

/** Levels turning `from` into `to`: changed or new ones, and "0" for the ones gone. */
function diffSide(from: readonly WireLevel[], to: readonly WireLevel[]): WireLevel[] {
  const next = new Map(to.map((l) => [Number(l[0]), l]));
  const out: WireLevel[] = [];
  for (const l of from) if (!next.has(Number(l[0]))) out.push([l[0], '0']);
  const prev = new Map(from.map((l) => [Number(l[0]), l[1]]));
  for (const l of to) if (prev.get(Number(l[0])) !== l[1]) out.push(l);
  return out;
}

/** A copy of the frame with one field the parser must refuse (`data[0].ts`, liquidations `details[0].sz`). */
function malformed(text: string): string {
  const copy = JSON.parse(text) as { arg: OkxArg; data: Record<string, unknown>[] };
  const first = copy.data[0] ?? {};
  if (Array.isArray(first.details) && first.details.length > 0) (first.details[0] as Record<string, unknown>).sz = 'not-a-number';
  else first.ts = 'not-a-time';
  copy.data[0] = first;
  return JSON.stringify(copy);
}
