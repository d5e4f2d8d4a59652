/**
 * A loopback Binance USD-M exchange (nautilus `tests/websocket.rs` / `tests/http.rs` style): a
 * WebSocket server (`ws`) speaking the combined-stream protocol on the routed paths
 * (`/public/stream`, `/market/stream`; also `/stream` and the raw `/ws` modes), with SUBSCRIBE /
 * UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY and their replies and refusals,
 * the venue's ping every 3 minutes and its 10-minute pong deadline, the 24 h cut and the 10
 * incoming messages per second limit; and an HTTP server (`node:http`) for the REST endpoints the
 * live client uses (`/fapi/v1/depth`, `/fapi/v1/aggTrades`, `/fapi/v1/openInterest`) with the
 * venue's error bodies and its REQUEST_WEIGHT limit. Both listen on 127.0.0.1:0 unless `host` /
 * `wsPort` / `restPort` say otherwise.
 *
 * Fed by any event source: `publish(event)` (or an async iterable of events) encodes normalized
 * events into the venue's frames (encode.ts, the inverse of parse.ts); `publishRaw(text)` replays
 * captured frames as they are. Everything published is kept, so REST answers agree with the stream:
 * the book (and its update id) for depth snapshots, the aggTrade history for back-fill, the last
 * open interest. Frames are sent only to connections subscribed to their stream, on the route
 * that serves it. Faults: `faults`, the API every loopback server shares (src/venues/live/mock-kit.ts;
 * a malformed frame has a price, level or order field replaced by `"x"`; a subscription error is
 * `{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":N}`; a REST error -1001).
 * Facts and sources: docs/live/binance.md.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { InstrumentRegistry } from '../../core/instruments.ts';
import type { BookEvent, BookLevel, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../core/events.ts';
import { splitCaptureLine } from '../capture.ts';
import { isObject } from '../json-fields.ts';
import { keepNewest, LoopbackKit, loopbackConn, paced, urlHost, type LoopbackConn, type LoopbackListen, type LoopbackVenueServer, type MockFaults } from '../live/mock-kit.ts';
import {
  aggTradeId,
  encodeAggTrade,
  encodeBookTicker,
  encodeDepthSnapshot,
  encodeDepthUpdate,
  encodeForceOrder,
  encodeMarkPrice,
  encodeOpenInterest,
  encodeRestAggTrade,
} from './encode.ts';
import { LiveError } from '../live/errors.ts';
import { createBinanceParser } from './parse.ts';
import type { BinanceAggTrade, BinanceRestAggTrade } from './wire.ts';
import { BinanceMockInstruments } from './mock-instruments.ts';
import { BINANCE_AGG_TRADES_WEIGHT, BINANCE_DEPTH_LIMIT_WEIGHT, BINANCE_EXCHANGE_INFO_WEIGHT, BINANCE_OPEN_INTEREST_WEIGHT, BINANCE_REST_PATHS, binanceStreamRoute, type BinanceWsRoute } from './urls.ts';

export interface BinanceMockServerOptions extends LoopbackListen {
  /** Symbols the venue lists (REST answers -1121 "Invalid symbol." for others). Symbols of published events are added. */
  readonly symbols?: readonly string[];
  /** The venue's own exchangeInfo rows (`GET /fapi/v1/exchangeInfo`). Default: the bundled snapshot's Binance responses. */
  readonly listings?: BinanceMockInstruments;
  /** Server ping period, ms. Default 180 000 ("a ping frame every 3 minutes"). */
  readonly pingIntervalMs?: number;
  /** No pong for this long: the connection is dropped, ms. Default 600 000 ("within a 10 minute period"). */
  readonly pongTimeoutMs?: number;
  /** Connection lifetime, ms. Default 86 400 000 ("only valid for 24 hours"). */
  readonly maxConnectionMs?: number;
  /** Incoming messages allowed per second per connection; over it the connection is closed. Default 10. */
  readonly maxIncomingPerSecond?: number;
  /** REST REQUEST_WEIGHT per rolling minute; over it: HTTP 429 with Retry-After. Default 2400. */
  readonly restWeightPerMinute?: number;
  /**
   * forceOrder sampling window, ms: per symbol only the latest liquidation of each window is pushed,
   * at its end ("only the latest one liquidation order within 1000ms will be pushed"). Default 1000;
   * 0 pushes every liquidation.
   */
  readonly liquidationSampleMs?: number;
  /** aggTrades kept per symbol for REST (older ones cannot be back-filled; up to an eighth more: keepNewest). Default 100 000. */
  readonly historyLimit?: number;
  /**
   * One update-id counter across every symbol, as the venue's matching engine has: a symbol's
   * diffs jump (`U` > `pu` + 1, other symbols' updates between) and a REST snapshot carries the
   * symbol's last `u`, so the first diff after it may start after it with `pu` = lastUpdateId.
   * Default false (per-symbol ids counting up by one).
   */
  readonly sharedUpdateIds?: boolean;
  /**
   * REST depth answers are cached per symbol and limit for this long, ms, as Binance's cache
   * does: a snapshot asked again within it is the old one, its lastUpdateId older than the diffs
   * streamed since. Default 0 (always fresh).
   */
  readonly depthCacheMs?: number;
  /** Raw depth replays: how long a depth request waits for the next diff to pick its lastUpdateId, ms. Default 2000. */
  readonly depthHoldMs?: number;
  /** Fed in the background from the start (events are encoded, strings replayed raw). */
  readonly source?: AsyncIterable<MarketEvent | string>;
}

export interface BinanceMockStats {
  connectionsOpened: number;
  subscribeRequests: number;
  unsubscribeRequests: number;
  listRequests: number;
  refusals: number;
  pingsSent: number;
  pongsReceived: number;
  framesSent: number;
  restCalls: Record<string, number>;
}

export interface BinanceMockServer extends LoopbackVenueServer {
  /** The venue's exchangeInfo rows (list a new symbol, change a status): served by REST. */
  readonly listings: BinanceMockInstruments;
  /** `ws://127.0.0.1:<port>`: a base, as the client's wsUrl takes it. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:<port>`: a base, as the client's restUrl takes it. */
  readonly restUrl: string;
  /** The fault API shared by every loopback server (src/venues/live/mock-kit.ts). */
  readonly faults: MockFaults;
  /** Encode a normalized event and push it to the subscribers of its stream (book snapshots change the venue book). */
  publish(ev: MarketEvent): void;
  /** Replay one captured frame (combined `{"stream":..}`, a bare payload, or a REST depth snapshot line) as it is. */
  publishRaw(text: string, opts?: { readonly symbol?: string }): void;
  /** Resolves with the count when `opts.source` is exhausted (at once without one); rejects with its error. */
  readonly sourceDone: Promise<number>;
  /** Publish everything a source yields (events encoded, strings replayed raw), `everyMs` apart; resolves with the count. */
  feed(source: Iterable<MarketEvent | string> | AsyncIterable<MarketEvent | string>, opts?: { readonly everyMs?: number }): Promise<number>;
  /** Captured frames through publishRaw; `symbol` names the symbol of REST depth snapshot lines. */
  replayRaw(lines: Iterable<string> | AsyncIterable<string>, opts?: { readonly everyMs?: number; readonly symbol?: string }): Promise<number>;
  /** Replay a capture file (`.jsonl`, `<ns> <json>` lines, optionally `.gz`): every line through publishRaw. */
  replayCapture(path: string, opts?: { readonly symbol?: string }): Promise<number>;
  /** Open connections. */
  connections(): number;
  /** Streams subscribed on open connections (sorted, with duplicates across connections). */
  subscriptions(): string[];
  stats(): BinanceMockStats;
  /** The venue book: what a depth snapshot would return now. */
  book(symbol: string): { readonly lastUpdateId: number; readonly bids: BookLevel[]; readonly asks: BookLevel[] };
  /** The aggTrade history kept for REST, oldest first. */
  trades(symbol: string): TradeEvent[];
  close(): Promise<void>;
}

interface Conn extends LoopbackConn {
  readonly route: BinanceWsRoute | 'root';
  combined: boolean;
  readonly subs: Set<string>;
  lastPong: number;
  window: { start: number; count: number };
  readonly timers: NodeJS.Timeout[];
}

interface KeptTrade {
  readonly ev: TradeEvent;
  readonly a: number;
  readonly f: number;
  readonly l: number;
  /** The REST element as the capture had it (raw replays keep the venue's decimal text). */
  readonly rest?: BinanceRestAggTrade;
}

interface Market {
  readonly symbol: string;
  readonly trades: KeptTrade[];
  nextA: number;
  nextTradeId: number;
  readonly bids: Map<number, number>;
  readonly asks: Map<number, number>;
  lastU: number;
  bookTs: number;
  rawDepth: boolean;
  holds: { limit: number; res: ServerResponse; timer: NodeJS.Timeout }[];
  oi: { value: number; time: number } | undefined;
  /** Exchange time of the latest event published. */
  lastTs: number;
  liq: { pending: LiquidationEvent; timer: NodeJS.Timeout } | undefined;
}

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];
/** Stream channels the mock knows (USDⓈ-M Websocket Market Streams); anything else is "invalid stream". */
const CHANNEL = /^(aggTrade|trade|forceOrder|markPrice(@1s)?|depth(5|10|20)?(@(0|100|250|500)ms)?|bookTicker|kline_(1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M)|ticker|miniTicker)$/;
const ALL_MARKET = /^!(forceOrder|markPrice|ticker|miniTicker|bookTicker)@arr(@1s)?$|^!bookTicker$|^!forceOrder@arr$/;

export async function startBinanceMockServer(opts: BinanceMockServerOptions = {}): Promise<BinanceMockServer> {
  const kit = new LoopbackKit<Conn>({ venue: 'binance', malformed });
  const faults = kit.faults;
  const conns = kit.conns;
  const markets = new Map<string, Market>();
  const listed = new Set((opts.symbols ?? []).map((s) => s.toUpperCase()));
  const listings = opts.listings ?? BinanceMockInstruments.fromSnapshot();
  const stats: Omit<BinanceMockStats, 'framesSent'> = { connectionsOpened: 0, subscribeRequests: 0, unsubscribeRequests: 0, listRequests: 0, refusals: 0, pingsSent: 0, pongsReceived: 0, restCalls: {} };
  const restSpent: { at: number; weight: number }[] = [];
  const parser = createBinanceParser({ fileName: 'mock replay', symbol: undefined, instruments: new InstrumentRegistry() });

  const market = (symbol: string): Market => {
    const s = symbol.toUpperCase();
    let m = markets.get(s);
    if (m === undefined) {
      m = { symbol: s, trades: [], nextA: 1, nextTradeId: 1, bids: new Map(), asks: new Map(), lastU: 0, bookTs: 0, rawDepth: false, holds: [], oi: undefined, lastTs: 0, liq: undefined };
      markets.set(s, m);
      listed.add(s);
    }
    return m;
  };

  // -------------------------------------------------------------------------------------------
  // Sending

  /**
   * Deliver a frame published on any of `names` to the connections subscribed to them on the
   * route that serves it (`build` writes it for one connection: wrapped or raw).
   */
  const deliverWith = (names: readonly string[], build: (c: Conn, name: string) => string): void => {
    for (const name of names) kit.publish(name, (c) => build(c, name), (c) => c.subs.has(name) && routes(c.route, name));
  };

  /** Deliver a payload (its JSON text), wrapped `{"stream":..,"data":..}` on combined connections. */
  const deliver = (names: readonly string[], payload: string): void =>
    deliverWith(names, (c, name) => (c.combined ? `{"stream":${JSON.stringify(name)},"data":${payload}}` : payload));

  // -------------------------------------------------------------------------------------------
  // Venue state and encoding

  const keepTrade = (m: Market, ev: TradeEvent, a: number, f: number, l: number, rest?: BinanceRestAggTrade): KeptTrade => {
    const last = m.trades[m.trades.length - 1];
    if (last !== undefined && a <= last.a) throw new LiveError('E_ENCODE', `trade ${m.symbol} id ${ev.id}`, `aggregate ids must increase (last ${last.a})`);
    const kept = { ev, a, f, l, rest };
    m.trades.push(kept);
    keepNewest(m.trades, opts.historyLimit ?? 100_000);
    m.nextA = a + 1;
    m.nextTradeId = Math.max(m.nextTradeId, l + 1);
    return kept;
  };

  const publishTrade = (ev: TradeEvent): void => {
    const m = market(ev.symbol);
    const a = aggTradeId(ev) ?? m.nextA;
    const f = m.nextTradeId;
    const kept = keepTrade(m, ev, a, f, f);
    deliver([`${ev.symbol.toLowerCase()}@aggTrade`], JSON.stringify(encodeAggTrade(ev, kept)));
  };

  const pushLiquidation = (ev: LiquidationEvent): void => {
    const lower = ev.symbol.toLowerCase();
    deliver([`${lower}@forceOrder`, '!forceOrder@arr'], JSON.stringify(encodeForceOrder(ev)));
  };

  const publishLiquidation = (ev: LiquidationEvent): void => {
    const m = market(ev.symbol);
    const sample = opts.liquidationSampleMs ?? 1000;
    if (sample <= 0) return pushLiquidation(ev);
    if (m.liq !== undefined) {
      m.liq.pending = ev;
      return;
    }
    const timer = setTimeout(() => {
      const pending = m.liq!.pending;
      m.liq = undefined;
      pushLiquidation(pending);
    }, sample);
    m.liq = { pending: ev, timer };
  };

  const applyLevels = (side: Map<number, number>, levels: readonly BookLevel[]): void => {
    for (const [p, q] of levels) {
      if (q === 0) side.delete(p);
      else side.set(p, q);
    }
  };

  /** The last id of the shared update-id counter (sharedUpdateIds), and diffs sent (for the jumps). */
  let sharedU = 0;
  let diffNo = 0;
  /** Cached REST depth answers (depthCacheMs), per `<symbol> <limit>`. */
  const depthCache = new Map<string, { at: number; body: string }>();

  const depthNames = (symbol: string): string[] => {
    const lower = symbol.toLowerCase();
    return [`${lower}@depth`, `${lower}@depth@0ms`, `${lower}@depth@100ms`, `${lower}@depth@250ms`, `${lower}@depth@500ms`];
  };

  /** A diff on the wire: U = pu + 1 (a snapshot at lastUpdateId = pu is continued by it), u = the event's seq or pu + 1. */
  const sendDiff = (m: Market, ev: BookEvent): void => {
    const pu = m.lastU;
    if (opts.sharedUpdateIds && !Number.isFinite(ev.seq)) {
      // Other symbols' updates took ids since this one's last: U jumps past pu + 1, and the
      // event spans a few ids of its own (several updates within 100 ms).
      const U = Math.max(sharedU, pu) + 1 + (diffNo++ % 3);
      const u = U + (diffNo % 2);
      sharedU = u;
      answerHolds(m, U);
      applyLevels(m.bids, ev.bids);
      applyLevels(m.asks, ev.asks);
      m.lastU = u;
      m.bookTs = ev.ts;
      m.rawDepth = false;
      deliver(depthNames(m.symbol), JSON.stringify(encodeDepthUpdate(ev, { U, u, pu })));
      return;
    }
    const u = Number.isFinite(ev.seq) ? ev.seq : pu + 1;
    if (!(u > pu) || !Number.isSafeInteger(u)) throw new LiveError('E_ENCODE', `book ${m.symbol} seq ${ev.seq}`, `update ids must increase (last ${pu})`);
    answerHolds(m, pu + 1);
    applyLevels(m.bids, ev.bids);
    applyLevels(m.asks, ev.asks);
    m.lastU = u;
    m.bookTs = ev.ts;
    m.rawDepth = false;
    deliver(depthNames(m.symbol), JSON.stringify(encodeDepthUpdate(ev, { U: pu + 1, u, pu })));
  };

  const publishBook = (ev: BookEvent): void => {
    const m = market(ev.symbol);
    if (!ev.isSnapshot) return sendDiff(m, ev);
    // A new venue book: clients learn it as the diff that turns the old book into it.
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    const nb = new Map(ev.bids.filter(([, q]) => q > 0));
    const na = new Map(ev.asks.filter(([, q]) => q > 0));
    for (const p of m.bids.keys()) if (!nb.has(p)) bids.push([p, 0]);
    for (const [p, q] of nb) if (m.bids.get(p) !== q) bids.push([p, q]);
    for (const p of m.asks.keys()) if (!na.has(p)) asks.push([p, 0]);
    for (const [p, q] of na) if (m.asks.get(p) !== q) asks.push([p, q]);
    sendDiff(m, { ...ev, isSnapshot: false, bids, asks, seq: Number.isFinite(ev.seq) && ev.seq > m.lastU ? ev.seq : NaN });
  };

  const publishTicker = (ev: TickerEvent): void => {
    const m = market(ev.symbol);
    const lower = ev.symbol.toLowerCase();
    if (Number.isFinite(ev.openInterest)) m.oi = { value: ev.openInterest, time: ev.ts };
    if (Number.isFinite(ev.markPrice)) deliver([`${lower}@markPrice@1s`, `${lower}@markPrice`], JSON.stringify(encodeMarkPrice(ev)));
    if (Number.isFinite(ev.bestBid) && Number.isFinite(ev.bestAsk)) deliver([`${lower}@bookTicker`], JSON.stringify(encodeBookTicker(ev, m.lastU)));
  };

  const publish = (ev: MarketEvent): void => {
    const m = market(ev.symbol);
    m.lastTs = Math.max(m.lastTs, ev.ts);
    switch (ev.type) {
      case 'trade':
        return publishTrade(ev);
      case 'liquidation':
        return publishLiquidation(ev);
      case 'book':
        return publishBook(ev);
      case 'ticker':
        return publishTicker(ev);
    }
  };

  /** A captured frame: keep the venue state it implies, then send it as it is. */
  const publishRaw = (text: string, ro: { readonly symbol?: string } = {}): void => {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      for (const c of conns) kit.data(c, text); // garbage: everyone gets it
      return;
    }
    if (!isObject(msg)) return;
    const wrapped = typeof msg.stream === 'string';
    const data = wrapped ? msg.data : msg;
    if (!isObject(data)) return;
    if (data.e === undefined && typeof data.lastUpdateId === 'number') {
      // A REST depth snapshot line (hftbacktest captures one): the venue book from now on.
      const symbol = ro.symbol ?? (markets.size === 1 ? [...markets.keys()][0] : undefined);
      if (symbol === undefined) throw new LiveError('E_ENCODE', 'publishRaw', 'a depth snapshot line names no symbol: pass { symbol }');
      const [snap] = (parser.parse(data, NaN) ?? []) as BookEvent[];
      const m = market(symbol);
      m.bids.clear();
      m.asks.clear();
      applyLevels(m.bids, snap.bids);
      applyLevels(m.asks, snap.asks);
      m.lastU = snap.seq;
      m.bookTs = snap.ts;
      m.rawDepth = true;
      return;
    }
    const symbol = typeof data.s === 'string' ? data.s : isObject(data.o) && typeof data.o.s === 'string' ? data.o.s : undefined;
    const name = wrapped ? (msg.stream as string) : symbol !== undefined ? `${symbol.toLowerCase()}@${streamOf(data.e)}` : undefined;
    if (symbol !== undefined) {
      const m = market(symbol);
      let records: ReturnType<typeof parser.parse> = null;
      try {
        records = parser.parse(wrapped ? msg : { stream: name, data }, NaN);
      } catch {
        records = null; // a malformed capture line is replayed as it is, without state
      }
      const last = m.trades[m.trades.length - 1];
      if (data.e === 'aggTrade' && records?.[0]?.type === 'trade' && typeof data.a === 'number' && (last === undefined || data.a > last.a)) {
        const { p, q, f, l, T, m: maker } = data as unknown as BinanceAggTrade;
        keepTrade(m, records[0], data.a, f, l, { a: data.a, p, q, f, l, T, m: maker });
      } else if (data.e === 'depthUpdate' && records?.[0]?.type === 'book' && typeof data.U === 'number' && typeof data.u === 'number') {
        answerHolds(m, data.U);
        applyLevels(m.bids, records[0].bids);
        applyLevels(m.asks, records[0].asks);
        m.lastU = data.u;
        m.bookTs = records[0].ts;
        m.rawDepth = true;
      }
    }
    if (name === undefined) return;
    const payload = wrapped ? JSON.stringify(data) : text;
    // Byte-exact when the capture's wrapper is what the subscriber gets.
    deliverWith([name], (c) => (c.combined ? (wrapped ? text : `{"stream":${JSON.stringify(name)},"data":${payload}}`) : payload));
  };

  // -------------------------------------------------------------------------------------------
  // REST

  const sortedBook = (m: Market, limit: number): { bids: BookLevel[]; asks: BookLevel[] } => ({
    bids: [...m.bids.entries()].sort((x, y) => y[0] - x[0]).slice(0, limit),
    asks: [...m.asks.entries()].sort((x, y) => x[0] - y[0]).slice(0, limit),
  });

  const snapshotBody = (m: Market, limit: number, lastUpdateId: number): string =>
    JSON.stringify(encodeDepthSnapshot({ ts: m.bookTs || Date.now(), seq: lastUpdateId, ...sortedBook(m, limit) }, Date.now()));

  /** Answer depth requests waiting for the next raw diff, with lastUpdateId = its U (the book before it). */
  function answerHolds(m: Market, U: number): void {
    for (const h of m.holds) {
      clearTimeout(h.timer);
      reply(h.res, 200, snapshotBody(m, h.limit, U));
    }
    m.holds = [];
  }

  const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    if (res.headersSent) return;
    const used = restSpent.reduce((s, x) => s + x.weight, 0);
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(used), ...headers });
    res.end(body);
  };

  const venueError = (res: ServerResponse, status: number, code: number, msg: string, headers?: Record<string, string>) => reply(res, status, JSON.stringify({ code, msg }), headers);

  const onRest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    stats.restCalls[path] = (stats.restCalls[path] ?? 0) + 1;
    const q = url.searchParams;
    const weight = path === BINANCE_REST_PATHS.depth ? (BINANCE_DEPTH_LIMIT_WEIGHT.get(Number(q.get('limit') ?? 500)) ?? 10) : path === BINANCE_REST_PATHS.aggTrades ? BINANCE_AGG_TRADES_WEIGHT : path === BINANCE_REST_PATHS.exchangeInfo ? BINANCE_EXCHANGE_INFO_WEIGHT : BINANCE_OPEN_INTEREST_WEIGHT;
    const now = Date.now();
    while (restSpent.length > 0 && restSpent[0].at <= now - 60_000) restSpent.shift();
    const used = restSpent.reduce((s, x) => s + x.weight, 0);
    const budget = opts.restWeightPerMinute ?? 2400;
    if (used + weight > budget) {
      const retryAfter = Math.max(1, Math.ceil((restSpent[0].at + 60_000 - now) / 1000));
      return venueError(res, 429, -1003, `Too many requests; current limit of IP(127.0.0.1) is ${budget} requests per minute. Please use the websocket for live updates to avoid polling the API.`, { 'retry-after': String(retryAfter) });
    }
    restSpent.push({ at: now, weight });
    const failure = faults.takeRest(path);
    if (failure) return venueError(res, failure.status, -1001, 'Internal error; unable to process your request. Please try again.');
    if (path === BINANCE_REST_PATHS.exchangeInfo) return reply(res, 200, JSON.stringify(listings.exchangeInfo()));
    if (path !== BINANCE_REST_PATHS.depth && path !== BINANCE_REST_PATHS.aggTrades && path !== BINANCE_REST_PATHS.openInterest) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body><h2>404 Not found</h2></body></html>');
      return;
    }
    const symbol = q.get('symbol');
    if (!symbol) return venueError(res, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    if (!listed.has(symbol)) return venueError(res, 400, -1121, 'Invalid symbol.');
    const m = market(symbol);
    if (path === BINANCE_REST_PATHS.depth) {
      const limit = Number(q.get('limit') ?? 500);
      if (!BINANCE_DEPTH_LIMIT_WEIGHT.has(limit)) return venueError(res, 400, -1130, "Data sent for parameter 'limit' is not valid.");
      if (m.rawDepth) {
        // Which id the venue's snapshot carries depends on the next diff: wait for it.
        const timer = setTimeout(() => {
          m.holds = m.holds.filter((h) => h.res !== res);
          reply(res, 200, snapshotBody(m, limit, m.lastU));
        }, opts.depthHoldMs ?? 2000);
        m.holds.push({ limit, res, timer });
        return;
      }
      // The book through the symbol's last update: lastUpdateId = its u, so the next diff has pu = it.
      const fresh = () => snapshotBody(m, limit, m.lastU);
      const cacheMs = opts.depthCacheMs ?? 0;
      if (cacheMs <= 0) return reply(res, 200, fresh());
      const key = `${symbol} ${limit}`;
      const hit = depthCache.get(key);
      if (hit !== undefined && now - hit.at < cacheMs) return reply(res, 200, hit.body);
      const body = fresh();
      depthCache.set(key, { at: now, body });
      return reply(res, 200, body);
    }
    if (path === BINANCE_REST_PATHS.aggTrades) {
      const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 500)));
      const fromId = q.get('fromId');
      let start: number;
      if (fromId === null) start = Math.max(0, m.trades.length - limit);
      else {
        const id = Number(fromId);
        if (!Number.isSafeInteger(id)) return venueError(res, 400, -1100, "Illegal characters found in parameter 'fromId'; legal range is '^[0-9]{1,20}$'.");
        start = lowerBound(m.trades, id);
      }
      const out = m.trades.slice(start, start + limit).map((t) => t.rest ?? encodeRestAggTrade(t.ev, t));
      return reply(res, 200, JSON.stringify(out));
    }
    const oi = m.oi ?? { value: 0, time: m.lastTs || Date.now() };
    return reply(res, 200, JSON.stringify(encodeOpenInterest(m.symbol, oi.value, oi.time)));
  };

  // -------------------------------------------------------------------------------------------
  // WebSocket

  const http = createServer(onRest);
  const wsHttp = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  const wss = new WebSocketServer({ server: wsHttp, autoPong: false, perMessageDeflate: false });

  const answer = (c: Conn, body: unknown): void => kit.reply(c, JSON.stringify(body));

  const onRequest = (c: Conn, text: string): void => {
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      return answer(c, { error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id: null });
    }
    if (!isObject(req)) return answer(c, { error: { code: 2, msg: 'Invalid request: expected a JSON object' }, id: null });
    const id = req.id;
    if (!(id === null || (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && /^[A-Za-z0-9]{1,36}$/.test(id)))) {
      return answer(c, { error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: null });
    }
    if (typeof req.method !== 'string') return answer(c, { error: { code: 2, msg: `Invalid request: missing field \`method\` at line 1 column ${text.length}` }, id });
    if (!METHODS.includes(req.method)) {
      return answer(c, { error: { code: 2, msg: `Invalid request: unknown variant \`${req.method}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\` at line 1 column 28` }, id });
    }
    const params = req.params;
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p) => typeof p === 'string')) return answer(c, { error: { code: 2, msg: 'Invalid request: invalid stream' }, id });
        if (req.method === 'UNSUBSCRIBE') {
          stats.unsubscribeRequests++;
          for (const p of params) c.subs.delete(p);
          return answer(c, { result: null, id });
        }
        stats.subscribeRequests++;
        let refused: { code?: string; msg?: string } | undefined;
        for (const p of params) if ((refused = faults.takeSubscription(p))) break;
        if (refused) {
          stats.refusals++;
          return answer(c, { error: { code: refused.code === undefined ? 2 : Number(refused.code), msg: refused.msg ?? 'Invalid request: invalid stream' }, id });
        }
        if (!params.every(validStream)) {
          stats.refusals++;
          return answer(c, { error: { code: 2, msg: 'Invalid request: invalid stream' }, id });
        }
        // A well-formed stream of a symbol the venue does not list is accepted and stays silent, as on Binance.
        for (const p of params) c.subs.add(p);
        return answer(c, { result: null, id });
      }
      case 'LIST_SUBSCRIPTIONS':
        stats.listRequests++;
        return answer(c, { result: [...c.subs], id });
      case 'SET_PROPERTY':
        if (!Array.isArray(params) || params[0] !== 'combined') return answer(c, { error: { code: 0, msg: 'Unknown property' }, id });
        if (typeof params[1] !== 'boolean') return answer(c, { error: { code: 1, msg: 'Invalid value type: expected Boolean' }, id });
        c.combined = params[1];
        return answer(c, { result: null, id });
      case 'GET_PROPERTY':
        if (!Array.isArray(params) || params[0] !== 'combined') return answer(c, { error: { code: 0, msg: 'Unknown property' }, id });
        return answer(c, { result: c.combined, id });
    }
  };

  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'ws://127.0.0.1');
    const m = /^\/(?:(public|market)\/)?(stream|ws)(?:\/(.*))?$/.exec(url.pathname);
    if (m === null) {
      ws.close(1008, 'unknown path');
      return;
    }
    const c: Conn = {
      ...loopbackConn(ws),
      route: (m[1] as BinanceWsRoute | undefined) ?? 'root',
      combined: m[2] === 'stream',
      subs: new Set([...(url.searchParams.get('streams')?.split('/') ?? []), ...(m[3]?.split('/') ?? [])].filter((s) => s !== '')),
      lastPong: Date.now(),
      window: { start: Date.now(), count: 0 },
      timers: [],
    };
    kit.add(c);
    stats.connectionsOpened++;
    const incoming = (): boolean => {
      const now = Date.now();
      if (now - c.window.start >= 1000) c.window = { start: now, count: 0 };
      if (++c.window.count <= (opts.maxIncomingPerSecond ?? 10)) return true;
      ws.close(1008, 'Too many messages');
      return false;
    };
    ws.on('message', (data) => {
      if (c.stalled || !incoming()) return;
      onRequest(c, data.toString());
    });
    ws.on('ping', (data) => {
      if (!c.stalled && incoming()) ws.pong(data);
    });
    ws.on('pong', () => {
      stats.pongsReceived++;
      c.lastPong = Date.now();
      incoming();
    });
    ws.on('close', () => {
      kit.remove(c);
      for (const t of c.timers) clearTimeout(t);
    });
    ws.on('error', () => undefined);
    const pingEvery = opts.pingIntervalMs ?? 180_000;
    const pongTimeout = opts.pongTimeoutMs ?? 600_000;
    c.timers.push(
      setInterval(() => {
        if (c.stalled) return;
        if (Date.now() - c.lastPong > pongTimeout) {
          ws.terminate();
          return;
        }
        ws.ping();
        stats.pingsSent++;
      }, pingEvery),
      setTimeout(() => ws.close(1000, 'connection lifetime reached'), opts.maxConnectionMs ?? 86_400_000),
    );
  });

  const host = opts.host ?? '127.0.0.1';
  await Promise.all([listen(http, host, opts.restPort ?? 0), listen(wsHttp, host, opts.wsPort ?? 0)]);
  const wsPort = (wsHttp.address() as AddressInfo).port;
  const restPort = (http.address() as AddressInfo).port;

  const feed = (source: Iterable<MarketEvent | string> | AsyncIterable<MarketEvent | string>, o: { readonly everyMs?: number } = {}): Promise<number> =>
    paced(source, (item) => (typeof item === 'string' ? publishRaw(item) : publish(item)), o.everyMs);
  const replayRaw = (lines: Iterable<string> | AsyncIterable<string>, o: { readonly everyMs?: number; readonly symbol?: string } = {}): Promise<number> =>
    paced(lines, (line) => publishRaw(splitCaptureLine(line).json, o), o.everyMs);
  const sourceDone = opts.source ? feed(opts.source) : Promise.resolve(0);
  sourceDone.catch(() => undefined); // observed through `sourceDone`

  return {
    listings,
    wsUrl: `ws://${urlHost(host)}:${wsPort}`,
    restUrl: `http://${urlHost(host)}:${restPort}`,
    faults,
    publish,
    publishRaw,
    sourceDone,
    feed,
    replayRaw,
    async replayCapture(path, ro) {
      const buf = await readFile(path);
      const text = path.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
      return replayRaw(text.split('\n'), ro);
    },
    connections: () => conns.size,
    subscriptions: () => [...conns].flatMap((c) => [...c.subs]).sort(),
    stats: () => ({ ...stats, framesSent: kit.framesSent, restCalls: { ...stats.restCalls } }),
    book(symbol) {
      const m = market(symbol);
      return { lastUpdateId: m.lastU, ...sortedBook(m, Infinity) };
    },
    trades: (symbol) => market(symbol).trades.map((t) => t.ev),
    async close() {
      for (const m of markets.values()) {
        if (m.liq) clearTimeout(m.liq.timer);
        for (const h of m.holds) clearTimeout(h.timer);
      }
      kit.closeAll();
      wss.close();
      http.closeAllConnections();
      wsHttp.closeAllConnections();
      await Promise.all([new Promise((r) => http.close(r)), new Promise((r) => wsHttp.close(r))]);
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Whether a connection on `route` receives `stream`: unrouted ones get only public data. */
function routes(route: BinanceWsRoute | 'root', stream: string): boolean {
  const r = stream.startsWith('!') ? 'market' : binanceStreamRoute(stream);
  return route === 'root' ? r === 'public' : r === route;
}

/** Stream names: lower-case `<symbol>@<channel>` or an all-market `!...` stream. */
function validStream(s: string): boolean {
  if (ALL_MARKET.test(s)) return true;
  const at = s.indexOf('@');
  return at > 0 && /^[a-z0-9_]+$/.test(s.slice(0, at)) && CHANNEL.test(s.slice(at + 1));
}

/** The stream a bare payload's event type `e` is published on. */
function streamOf(e: unknown): string {
  switch (e) {
    case 'depthUpdate':
      return 'depth@100ms';
    case 'markPriceUpdate':
      return 'markPrice@1s';
    default:
      return String(e);
  }
}

/** First index with a >= id. */
function lowerBound(trades: readonly KeptTrade[], id: number): number {
  let lo = 0;
  let hi = trades.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (trades[mid].a < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keep the JSON valid, break one field the parser reads: an order price, a price, a level. */
function malformed(text: string): string {
  for (const re of [/("ap":)"[^"]*"/, /("p":)"[^"]*"/, /("b":\[\[)"[^"]*"/, /("a":\[\[)"[^"]*"/, /("openInterest":)"[^"]*"/]) {
    if (re.test(text)) return text.replace(re, '$1"x"');
  }
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v) && 'data' in v) return JSON.stringify({ ...v, data: 'x' });
  } catch {
    // not JSON already
  }
  return '"x"';
}
