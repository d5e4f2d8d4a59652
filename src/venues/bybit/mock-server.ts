/**
 * A loopback Bybit (nautilus `tests/websocket.rs` / `tests/http.rs`): a WebSocket server speaking
 * the v5 public linear protocol on `/v5/public/linear` and an HTTP server answering the REST
 * endpoints the client uses, both on 127.0.0.1:0. The same client code runs against it as
 * against Bybit (point `wsUrl` / `restUrl`, or ORDERFLOW_BYBIT_WS_URL / _REST_URL, at it).
 *
 * Fed by any event source: `publish(...events)` and `feed(iterable | async iterable)` take
 * normalized events (trades, liquidations, book snapshots/diffs, tickers), keep the venue's state
 * (book per depth window with its `u`, full tickers, trade history, open interest) and encode
 * frames with encode.ts; `replayRaw(lines)` sends captured frames verbatim. REST answers from
 * the same state, so a back-fill or a snapshot agrees with the stream.
 *
 * Protocol shapes (docs/live/bybit.md, "Mock server"):
 *   subscribe ack  {"success":true,"ret_msg":"","conn_id":"..","req_id":"","op":"subscribe"}
 *                  (bybit-exchange.github.io/docs/v5/ws/connect, "Understanding the Subscription
 *                  Response", Linear/Inverse tab)
 *   pong           {"success":true,"ret_msg":"pong","conn_id":"..","req_id":"","op":"ping"}
 *                  (same page, "How to Send the Heartbeat Packet", Linear/Inverse tab)
 *   refusal        {"success":false,"ret_msg":"error:handler not found,topic:orderbook.50.NOPEUSDT",
 *                  "conn_id":"..","req_id":"e1","op":"subscribe"}; "error:already subscribed,topic:.."
 *                  (frames captured from Bybit's linear stream in public probe notes; the docs give none)
 *   data frames    encode.ts (each shape cites its capture file and line)
 *
 * Faults: `faults`, the API every loopback server shares (src/venues/live/mock-kit.ts), streams
 * named by topic (`orderbook.200.BTCUSDT`). Here a sequence gap on a book topic spends its `u`; a
 * malformed frame has a price that is not a number (`u` as text on a book); a subscription error
 * is `error:handler not found,topic:..`; a REST error is a bare HTTP status. Bybit's own event:
 * `restartBookService` (snapshots with `u` = 1).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { BookEvent, BookLevel, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../core/events.ts';
import { InstrumentRegistry } from '../../core/instruments.ts';
import type { Contract } from '../json-fields.ts';
import { LoopbackKit, loopbackConn, paced, urlHost, type LoopbackConn, type LoopbackListen, type LoopbackVenueServer, type MockFaults } from '../live/mock-kit.ts';
import {
  decimalText,
  encodeBook,
  encodeLevels,
  encodeLiquidation,
  encodeTickerData,
  encodeTrade,
  liquidationFrame,
  tickDirection,
  tickerFrame,
  toVenueSize,
  tradeFrame,
  type BybitTickerData,
} from './encode.ts';
import { MockBook, type BookView } from './mock-book.ts';
import { BybitMockInstruments } from './mock-instruments.ts';
import { BybitUnits, bybitMappers } from './parse.ts';
import { BYBIT_OPEN_INTEREST_PATH, BYBIT_ORDERBOOK_PATH, BYBIT_PUBLIC_LINEAR_PATH, BYBIT_RECENT_TRADE_PATH } from './urls.ts';
import type { BybitAllLiquidation, BybitOpenInterestRow, BybitRecentTrade, BybitRestOrderBook, BybitRestResponse } from './wire.ts';

export interface BybitMockServerOptions extends LoopbackListen {
  /** Listed symbols: subscribing to any other is refused as Bybit refuses it. Default: any upper-case symbol. */
  readonly symbols?: readonly string[];
  /** Instruments for size units (inverse symbols need theirs). Default: none (linear, base coin). */
  readonly instruments?: InstrumentRegistry;
  /** Trades kept per symbol for `/v5/market/recent-trade` (Bybit serves the newest 1000). Default 1000. */
  readonly tradeHistory?: number;
  /** Batch `allLiquidation` pushes every this many ms, as Bybit does every 500 ms; 0 = push each publish at once. Default 0. */
  readonly liquidationPushMs?: number;
  /**
   * Hold the subscribe snapshot of a book nothing was published for until its first update or
   * replayed frame (a replay's first book frame is its snapshot). Default false: an empty
   * snapshot at once, as Bybit always answers a subscription with one.
   */
  readonly awaitBookData?: boolean;
  /**
   * How much each book delta advances its `u`. Bybit: 1 ("always in sequence"). More plays a
   * venue that numbers updates otherwise, every delta seeming to skip ahead (the client's
   * circuit breaker, book-sync.ts). Default 1.
   */
  readonly bookUpdateIdStep?: number;
  /** Server clock for REST `time` and generated frames. Default Date.now. */
  readonly now?: () => number;
  /** The venue's own instrument list and risk limits (REST). Default: the bundled snapshot's Bybit responses. */
  readonly listings?: BybitMockInstruments;
}

export interface BybitMockStats {
  /** Connections open now. */
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly pings: number;
  readonly subscribeRequests: number;
  readonly unsubscribeRequests: number;
  /** Data frames written to sockets (duplicates count twice). */
  readonly framesSent: number;
  readonly restRequests: number;
}

export interface BybitMockServer extends LoopbackVenueServer {
  /** The venue's instruments (list a new contract, change a status, page size): served by REST. */
  readonly listings: BybitMockInstruments;
  /** WebSocket base, `ws://127.0.0.1:<port>` (the client appends `/v5/public/linear`). */
  readonly wsUrl: string;
  /** REST base, `http://127.0.0.1:<port>`. */
  readonly restUrl: string;
  /** Publish events now: consecutive trades (liquidations) of one symbol share a frame. */
  publish(...events: MarketEvent[]): void;
  /** Publish every event of a source, `everyMs` apart (default 0: as fast as the source gives them); resolves with the count. */
  feed(source: Iterable<MarketEvent> | AsyncIterable<MarketEvent>, opts?: { readonly everyMs?: number }): Promise<number>;
  /** Send captured frames verbatim to the subscribers of their topic (`<local_ns> <json>` lines too); trades and books also feed REST. */
  replayRaw(lines: Iterable<string> | AsyncIterable<string>, opts?: { readonly everyMs?: number }): Promise<number>;
  /** Send any text to every connection. */
  sendRaw(text: string): void;
  /** The fault API shared by every loopback server (src/venues/live/mock-kit.ts). */
  readonly faults: MockFaults;
  /** Bybit restarted its book service: every window of `symbol` sends a snapshot with `u` = 1. */
  restartBookService(symbol: string): void;
  /** The venue's book as a `depth` subscriber holds it (the reference for tests). */
  bookView(symbol: string, depth: number): BookView;
  /** Topics subscribed on each open connection. */
  subscriptions(): string[][];
  /** Every text a client sent, in order. */
  readonly received: readonly string[];
  readonly stats: BybitMockStats;
  close(): Promise<void>;
}

interface Conn extends LoopbackConn {
  readonly id: string;
  readonly topics: Set<string>;
  /** Ticker topics that already got their snapshot. */
  readonly tickerSnapshot: Set<string>;
  /** Book topics subscribed before the book was known: their snapshot goes with the first update. */
  readonly bookPending: Set<string>;
}

interface SymbolState {
  readonly symbol: string;
  book: MockBook | undefined;
  /** Book state of replayed raw frames (REST answers from it when no event fed the book). */
  rawBook: { bids: Map<number, number>; asks: Map<number, number>; u: number; seq: number; ts: number } | undefined;
  /** Full wire ticker. */
  ticker: BybitTickerData | undefined;
  cs: number;
  crossSeq: number;
  lastPrice: number | undefined;
  lastTick: string | undefined;
  readonly trades: BybitRecentTrade[];
  /** Exchange time of the last ticker. */
  tickerTs: number;
  /** Open interest by exchange time: one side, in contracts. */
  readonly openInterest: Map<number, number>;
  liquidations: BybitAllLiquidation[];
  liquidationTs: number;
}

const TOPIC = /^(publicTrade|allLiquidation|tickers)\.([A-Z0-9]+)$|^orderbook\.(1|50|200|500|1000)\.([A-Z0-9]+)$/;
const OI_BUCKET_MS: Record<string, number> = { '5min': 300_000, '15min': 900_000, '30min': 1_800_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 };

/** Start a loopback Bybit, by default on 127.0.0.1 (two ephemeral ports: stream and REST). */
export async function startBybitMockServer(opts: BybitMockServerOptions = {}): Promise<BybitMockServer> {
  const now = opts.now ?? Date.now;
  const listings = opts.listings ?? BybitMockInstruments.fromSnapshot();
  const instruments = opts.instruments ?? new InstrumentRegistry();
  const units = new BybitUnits(instruments);
  const contract = (symbol: string): Contract => units.contract(symbol, 'symbol');
  const listed = opts.symbols ? new Set(opts.symbols) : undefined;
  const historyCap = opts.tradeHistory ?? 1000;
  const uStep = opts.bookUpdateIdStep ?? 1;
  if (!(Number.isInteger(uStep) && uStep >= 1)) throw new RangeError(`bookUpdateIdStep must be an integer >= 1, got ${uStep}`);
  const mappers = bybitMappers(instruments);
  const kit = new LoopbackKit<Conn>({ venue: 'bybit', malformed });
  const faults = kit.faults;
  const conns = kit.conns;
  const received: string[] = [];
  const stats = { connections: 0, connectionsTotal: 0, pings: 0, subscribeRequests: 0, unsubscribeRequests: 0, restRequests: 0 };
  const symbols = new Map<string, SymbolState>();
  let liquidationTimer: NodeJS.Timeout | undefined;

  const stateOf = (symbol: string): SymbolState => {
    let s = symbols.get(symbol);
    if (!s) {
      s = { symbol, book: undefined, rawBook: undefined, ticker: undefined, tickerTs: NaN, cs: 1_000_000, crossSeq: 1_000_000, lastPrice: undefined, lastTick: undefined, trades: [], openInterest: new Map(), liquidations: [], liquidationTs: NaN };
      symbols.set(symbol, s);
    }
    return s;
  };

  // ------------------------------------------------------------------------------------------
  // Writing

  /** Control replies (acks, pongs): never subject to frame faults. */
  const reply = (c: Conn, body: Record<string, unknown>) => kit.reply(c, JSON.stringify(body));
  const writeData = (c: Conn, text: string) => kit.data(c, text);
  const broadcast = (topic: string, text: string) => kit.publish(topic, text, (c) => c.topics.has(topic));

  // ------------------------------------------------------------------------------------------
  // Venue state

  /** `ts` = when the frame is generated, `cts` = when the book last changed. */
  const bookFrame = (symbol: string, depth: number, type: 'snapshot' | 'delta', bids: readonly BookLevel[], asks: readonly BookLevel[], u: number, ts: number, cts = ts) => {
    const st = stateOf(symbol);
    const ev: BookEvent = { type: 'book', venue: 'bybit', symbol, ts, localTs: NaN, isSnapshot: type === 'snapshot', bids, asks, seq: u };
    return JSON.stringify(encodeBook(ev, depth, contract(symbol), st.crossSeq, cts));
  };
  /** A snapshot of a window, generated now (a subscribe, a restart). */
  const snapshotFrame = (book: MockBook, depth: number) => {
    const v = book.view(depth);
    const t = now();
    return bookFrame(book.symbol, depth, 'snapshot', v.bids, v.asks, v.u, Math.max(t, book.ts || 0), Number.isNaN(book.ts) ? t : book.ts);
  };

  const publishBook = (ev: BookEvent) => {
    const st = stateOf(ev.symbol);
    st.book ??= new MockBook(ev.symbol, uStep);
    st.book.apply(ev);
    st.crossSeq++;
    for (const d of st.book.deltas()) {
      const topic = `orderbook.${d.depth}.${ev.symbol}`;
      const delta = bookFrame(ev.symbol, d.depth, 'delta', d.bids, d.asks, d.u, ev.ts);
      // A subscriber still waiting for its snapshot gets the snapshot (which holds this change) instead.
      const fresh = new Set<Conn>();
      for (const c of conns) {
        if (c.topics.has(topic) && c.bookPending.delete(topic)) {
          writeData(c, snapshotFrame(st.book, d.depth));
          fresh.add(c);
        }
      }
      kit.publish(topic, delta, (c) => c.topics.has(topic) && !fresh.has(c));
    }
  };

  const publishTrades = (events: readonly TradeEvent[]) => {
    const st = stateOf(events[0].symbol);
    const c = contract(st.symbol);
    const items = events.map((e) => {
      st.crossSeq++;
      const L = tickDirection(e.price, st.lastPrice, st.lastTick);
      st.lastPrice = e.price;
      st.lastTick = L;
      const item = encodeTrade(e.id === '' ? { ...e, id: randomUUID() } : e, c, { tickDirection: L, seq: st.crossSeq });
      st.trades.push({ execId: item.i, symbol: item.s, price: item.p, size: item.v, side: item.S, time: String(item.T), isBlockTrade: false, isRPITrade: false, seq: String(item.seq) });
      return item;
    });
    if (st.trades.length > historyCap) st.trades.splice(0, st.trades.length - historyCap);
    const ts = Math.max(...events.map((e) => e.ts));
    broadcast(`publicTrade.${st.symbol}`, JSON.stringify(tradeFrame(st.symbol, ts, items)));
  };

  const flushLiquidations = (st: SymbolState) => {
    if (st.liquidations.length === 0) return;
    const frame = liquidationFrame(st.symbol, st.liquidationTs, st.liquidations);
    st.liquidations = [];
    broadcast(`allLiquidation.${st.symbol}`, JSON.stringify(frame));
  };

  const publishLiquidations = (events: readonly LiquidationEvent[]) => {
    const st = stateOf(events[0].symbol);
    for (const e of events) {
      st.liquidations.push(encodeLiquidation(e, contract(st.symbol)));
      if (!(e.ts <= st.liquidationTs)) st.liquidationTs = e.ts;
    }
    if (!opts.liquidationPushMs) flushLiquidations(st);
    else liquidationTimer ??= setInterval(() => symbols.forEach(flushLiquidations), opts.liquidationPushMs);
  };

  const publishTicker = (ev: TickerEvent) => {
    const st = stateOf(ev.symbol);
    const data = encodeTickerData(ev, contract(ev.symbol));
    const changed: BybitTickerData = { symbol: ev.symbol };
    let any = false;
    for (const [k, v] of Object.entries(data)) {
      if (k === 'symbol' || (st.ticker && (st.ticker as Record<string, unknown>)[k] === v)) continue;
      (changed as Record<string, string>)[k] = v as string;
      any = true;
    }
    if (!any) return;
    st.ticker = { ...st.ticker, ...changed };
    st.cs++;
    st.tickerTs = ev.ts;
    if (data.singleOpenInterest !== undefined) st.openInterest.set(ev.ts, Number(data.singleOpenInterest));
    const topic = `tickers.${ev.symbol}`;
    const full = st.ticker;
    kit.publish(
      topic,
      (c) => {
        const first = !c.tickerSnapshot.has(topic);
        c.tickerSnapshot.add(topic);
        return JSON.stringify(tickerFrame(first ? 'snapshot' : 'delta', first ? full : changed, st.cs, ev.ts));
      },
      (c) => c.topics.has(topic),
    );
  };

  const publish = (...events: MarketEvent[]) => {
    for (let i = 0; i < events.length; ) {
      const e = events[i];
      let j = i + 1;
      if (e.type === 'trade' || e.type === 'liquidation') {
        while (j < events.length && events[j].type === e.type && events[j].symbol === e.symbol) j++;
        if (e.type === 'trade') publishTrades(events.slice(i, j) as TradeEvent[]);
        else publishLiquidations(events.slice(i, j) as LiquidationEvent[]);
      } else if (e.type === 'book') publishBook(e);
      else publishTicker(e);
      i = j;
    }
  };

  /** A raw captured frame: verbatim to subscribers; its trades and book also become REST state. */
  const replayFrame = (line: string) => {
    const text = /^\d+ \{/.test(line) ? line.slice(line.indexOf(' ') + 1) : line;
    let msg: { topic?: unknown; data?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.topic !== 'string') return;
    const mapper = mappers.find((m) => m.canHandle(msg as Record<string, unknown>));
    try {
      for (const ev of mapper ? mapper.map(msg as Record<string, unknown>, NaN) : []) {
        if (ev.type === 'trade') {
          const st = stateOf(ev.symbol);
          st.trades.push({ execId: ev.id, symbol: ev.symbol, price: decimalText(ev.price), size: decimalText(toVenueSize(contract(ev.symbol), ev.qty, ev.price)), side: ev.side === 'buy' ? 'Buy' : 'Sell', time: String(ev.ts), isBlockTrade: false, isRPITrade: false });
          if (st.trades.length > historyCap) st.trades.shift();
        } else if (ev.type === 'book') {
          const st = stateOf(ev.symbol);
          if (ev.isSnapshot || !st.rawBook) st.rawBook = { bids: new Map(), asks: new Map(), u: 0, seq: 0, ts: 0 };
          const rb = st.rawBook;
          for (const [p, q] of ev.bids) q === 0 ? rb.bids.delete(p) : rb.bids.set(p, q);
          for (const [p, q] of ev.asks) q === 0 ? rb.asks.delete(p) : rb.asks.set(p, q);
          rb.u = ev.seq;
          rb.ts = ev.ts;
          rb.seq = typeof (msg.data as { seq?: unknown }).seq === 'number' ? (msg.data as { seq: number }).seq : rb.seq;
        }
      }
    } catch {
      // A malformed captured frame is still replayed as is; it just feeds no REST state.
    }
    for (const c of conns) c.bookPending.delete(msg.topic);
    broadcast(msg.topic, text);
  };

  /** A subscribe snapshot of a replayed book, with the replayed `u`. */
  const rawSnapshotFrame = (topic: string, rb: NonNullable<SymbolState['rawBook']>) => {
    const [, depth, symbol] = topic.split('.');
    const side = (m: Map<number, number>, desc: boolean) => [...m].sort((x, y) => (desc ? y[0] - x[0] : x[0] - y[0])).slice(0, Number(depth));
    const t = now();
    const ev: BookEvent = { type: 'book', venue: 'bybit', symbol, ts: Math.max(t, rb.ts), localTs: NaN, isSnapshot: true, bids: side(rb.bids, true), asks: side(rb.asks, false), seq: rb.u };
    return JSON.stringify(encodeBook(ev, Number(depth), contract(symbol), rb.seq, rb.ts));
  };

  // ------------------------------------------------------------------------------------------
  // WebSocket protocol

  const onSubscribe = (c: Conn, reqId: string, args: unknown) => {
    stats.subscribeRequests++;
    const base = { conn_id: c.id, req_id: reqId, op: 'subscribe' };
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
      // Bybit's text for a malformed args list is not documented; this one is ours.
      reply(c, { success: false, ret_msg: 'error:args must be an array of topics', ...base });
      return;
    }
    const topics = args as string[];
    // A request with one bad topic is refused whole (the conservative reading; Bybit's docs do
    // not say): the client sends one request per symbol, so a bad symbol costs only its own.
    for (const t of topics) {
      const m = TOPIC.exec(t);
      const symbol = m?.[2] ?? m?.[4];
      if (!m || (listed && !listed.has(symbol!)) || faults.takeSubscription(t)) {
        reply(c, { success: false, ret_msg: `error:handler not found,topic:${t}`, ...base });
        return;
      }
      if (c.topics.has(t)) {
        reply(c, { success: false, ret_msg: `error:already subscribed,topic:${t}`, ...base });
        return;
      }
    }
    for (const t of topics) c.topics.add(t);
    reply(c, { success: true, ret_msg: '', ...base });
    // "Once you have subscribed successfully, you will receive a snapshot" (orderbook, tickers).
    for (const t of topics) {
      const [channel, a, b] = t.split('.');
      if (channel === 'orderbook') {
        const st = stateOf(b);
        const depth = Number(a);
        if (st.book?.updates) writeData(c, snapshotFrame(st.book, depth));
        else if (st.rawBook) writeData(c, rawSnapshotFrame(t, st.rawBook));
        else if (opts.awaitBookData) {
          // Nothing known of this book yet: its snapshot goes out with its first update.
          (st.book ??= new MockBook(b, uStep)).view(depth);
          c.bookPending.add(t);
        } else writeData(c, snapshotFrame((st.book ??= new MockBook(b, uStep)), depth));
      } else if (channel === 'tickers') {
        const st = stateOf(a);
        if (st.ticker) {
          c.tickerSnapshot.add(t);
          writeData(c, JSON.stringify(tickerFrame('snapshot', st.ticker, st.cs, Math.max(now(), st.tickerTs))));
        }
      }
    }
  };

  const onClientText = (c: Conn, text: string) => {
    received.push(text);
    if (c.stalled) return;
    let msg: { op?: unknown; req_id?: unknown; args?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch (e) {
      // Bybit answers undecodable text with "Failed to decode incoming data:..." (probe notes); the envelope is ours.
      reply(c, { success: false, ret_msg: `Failed to decode incoming data:${(e as Error).message}`, conn_id: c.id, req_id: '', op: '' });
      return;
    }
    const reqId = typeof msg?.req_id === 'string' ? msg.req_id : '';
    switch (msg?.op) {
      case 'ping':
        stats.pings++;
        reply(c, { success: true, ret_msg: 'pong', conn_id: c.id, req_id: reqId, op: 'ping' });
        return;
      case 'subscribe':
        onSubscribe(c, reqId, msg.args);
        return;
      case 'unsubscribe':
        stats.unsubscribeRequests++;
        if (Array.isArray(msg.args)) {
          for (const t of msg.args) {
            c.topics.delete(t as string);
            c.tickerSnapshot.delete(t as string);
            c.bookPending.delete(t as string);
          }
        }
        reply(c, { success: true, ret_msg: '', conn_id: c.id, req_id: reqId, op: 'unsubscribe' });
        return;
      default:
        reply(c, { success: false, ret_msg: 'error:invalid op', conn_id: c.id, req_id: reqId, op: typeof msg?.op === 'string' ? msg.op : '' });
    }
  };

  const host = opts.host ?? '127.0.0.1';
  const wss = new WebSocketServer({ host, port: opts.wsPort ?? 0, path: BYBIT_PUBLIC_LINEAR_PATH, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    const c: Conn = { ...loopbackConn(ws), id: randomUUID(), topics: new Set(), tickerSnapshot: new Set(), bookPending: new Set() };
    kit.add(c);
    stats.connectionsTotal++;
    stats.connections = conns.size;
    ws.on('message', (data) => onClientText(c, data.toString()));
    ws.on('error', () => {});
    ws.on('close', () => {
      kit.remove(c);
      stats.connections = conns.size;
    });
  });

  // ------------------------------------------------------------------------------------------
  // REST

  const restReply = (res: ServerResponse, result: unknown, retCode = 0, retMsg = 'OK') => {
    const body: BybitRestResponse<unknown> = { retCode, retMsg, result, retExtInfo: {}, time: now() };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const onRest = (req: IncomingMessage, res: ServerResponse) => {
    stats.restRequests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const failure = faults.takeRest(url.pathname);
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    const q = url.searchParams;
    const listedReply = req.method === 'GET' ? listings.answer(url.pathname, q) : undefined;
    if (listedReply) return restReply(res, listedReply.result, listedReply.retCode, listedReply.retMsg);
    const symbol = q.get('symbol') ?? '';
    const limitOf = (def: number, max: number) => Math.min(max, Math.max(1, Number(q.get('limit') ?? def) || def));
    if (req.method !== 'GET' || ![BYBIT_ORDERBOOK_PATH, BYBIT_RECENT_TRADE_PATH, BYBIT_OPEN_INTEREST_PATH].includes(url.pathname)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    // Bybit's error texts for these are not in its docs; the 10001 "params error" family is.
    if (q.get('category') !== 'linear') return restReply(res, {}, 10001, 'params error: category only support linear in this loopback server');
    if (!/^[A-Z0-9]+$/.test(symbol) || (listed && !listed.has(symbol))) return restReply(res, {}, 10001, 'params error: symbol invalid');
    const st = stateOf(symbol);
    if (url.pathname === BYBIT_RECENT_TRADE_PATH) {
      const list = st.trades.slice(-limitOf(500, 1000)).reverse();
      return restReply(res, { category: 'linear', list });
    }
    if (url.pathname === BYBIT_ORDERBOOK_PATH) {
      const n = limitOf(25, 1000);
      const c = contract(symbol);
      let ob: BybitRestOrderBook;
      if (st.book) {
        const top = st.book.top(n);
        const ts = Number.isNaN(st.book.ts) ? now() : st.book.ts;
        // Bybit: this `u` "is corresponding to u in the wss 1000-level orderbook" (older docs: 500).
        ob = { s: symbol, b: encodeLevels(top.bids, c), a: encodeLevels(top.asks, c), ts, u: st.book.view(1000).u, seq: st.crossSeq, cts: ts };
      } else if (st.rawBook) {
        const rb = st.rawBook;
        const side = (m: Map<number, number>, desc: boolean) => encodeLevels([...m].sort((x, y) => (desc ? y[0] - x[0] : x[0] - y[0])).slice(0, n), c);
        ob = { s: symbol, b: side(rb.bids, true), a: side(rb.asks, false), ts: rb.ts, u: rb.u, seq: rb.seq, cts: rb.ts };
      } else {
        ob = { s: symbol, b: [], a: [], ts: now(), u: 0, seq: st.crossSeq, cts: now() };
      }
      return restReply(res, ob);
    }
    const interval = q.get('intervalTime') ?? '';
    const bucket = OI_BUCKET_MS[interval];
    if (!bucket) return restReply(res, {}, 10001, 'params error: intervalTime invalid');
    const byBucket = new Map<number, number>();
    for (const [t, oi] of [...st.openInterest].sort((a, b) => a[0] - b[0])) byBucket.set(Math.floor(t / bucket) * bucket, oi);
    const list: BybitOpenInterestRow[] = [...byBucket]
      .sort((a, b) => b[0] - a[0])
      .slice(0, limitOf(50, 200))
      .map(([t, oi]) => ({ openInterest: decimalText(oi * 2), singleOpenInterest: decimalText(oi), timestamp: String(t) }));
    return restReply(res, { symbol, category: 'linear', list, nextPageCursor: '' });
  };

  const http: Server = createServer(onRest);
  http.listen(opts.restPort ?? 0, host);
  await once(http, 'listening');

  const wsPort = (wss.address() as AddressInfo).port;
  const restPort = (http.address() as AddressInfo).port;

  return {
    listings,
    wsUrl: `ws://${urlHost(host)}:${wsPort}`,
    restUrl: `http://${urlHost(host)}:${restPort}`,
    publish,
    feed: (source, o = {}) => paced(source, (e) => publish(e), o.everyMs),
    replayRaw: (lines, o = {}) => paced(lines, replayFrame, o.everyMs),
    sendRaw(text) {
      for (const c of conns) writeData(c, text);
    },
    faults,
    restartBookService(symbol) {
      const st = stateOf(symbol);
      if (!st.book) return;
      for (const depth of st.book.restart()) broadcast(`orderbook.${depth}.${symbol}`, snapshotFrame(st.book, depth));
    },
    bookView(symbol, depth) {
      const st = stateOf(symbol);
      st.book ??= new MockBook(symbol, uStep);
      return st.book.view(depth);
    },
    subscriptions() {
      return [...conns].map((c) => [...c.topics]);
    },
    received,
    get stats() {
      return { ...stats, framesSent: kit.framesSent };
    },
    async close() {
      clearInterval(liquidationTimer);
      kit.closeAll();
      await Promise.all([new Promise<void>((r) => wss.close(() => r())), new Promise<void>((r) => http.close(() => r()))]);
    },
  };
}

/** One field of a data frame made invalid, the way a broken venue or proxy would: the frame stays valid JSON. */
function malformed(text: string): string {
  const f = JSON.parse(text) as { topic: string; data: unknown };
  const d = f.data;
  if (Array.isArray(d) && d.length > 0) (d[0] as Record<string, unknown>).p = 'not-a-number';
  else if (typeof d === 'object' && d !== null && f.topic.startsWith('orderbook.')) (d as Record<string, unknown>).u = 'not-an-integer';
  else if (typeof d === 'object' && d !== null) (d as Record<string, unknown>).markPrice = 'not-a-number';
  else f.data = 'not-a-list';
  return JSON.stringify(f);
}
