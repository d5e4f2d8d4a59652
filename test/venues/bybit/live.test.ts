/**
 * BybitLiveClient against the loopback Bybit (mock-server.ts) on 127.0.0.1: normal flow, the
 * capture replayed, and every fault the server can inject. Timers are short (options), and every
 * wait polls a condition, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseError, UsageError } from '../../../src/core/errors.ts';
import type { BookEvent, CaptureRecord, LiquidationEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../../../src/core/events.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import type { LiveGap, StreamStatus } from '../../../src/venues/live/types.ts';
import { BREAKER_BREAKS, BREAKER_WINDOW_MS, BybitBookSync } from '../../../src/venues/bybit/book-sync.ts';
import { BYBIT_CONNECTION_STREAM, BybitLiveClient, type BybitLiveOptions } from '../../../src/venues/bybit/live.ts';
import { startBybitMockServer, type BybitMockServer, type BybitMockServerOptions } from '../../../src/venues/bybit/mock-server.ts';
import { createBybitParser, parseBybitRecentTrades } from '../../../src/venues/bybit/parse.ts';
import { BybitTickerMerger } from '../../../src/venues/bybit/ticker-merge.ts';
import { RecentKeys } from '../../../src/venues/live/recent-keys.ts';
import { mutatedFrames } from '../../helpers/mutate.ts';
import { realLines } from '../../helpers/real-data.ts';

const instruments = new InstrumentRegistry();

// A generous bound: a wait ends as soon as its condition holds, and a loaded machine must not
// turn a slow pass into a timeout (no case here expects a wait to run out).
async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A book built by applying events, as a consumer would. */
class LocalBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  apply(e: BookEvent): void {
    if (e.isSnapshot) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [p, q] of e.bids) q === 0 ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of e.asks) q === 0 ? this.asks.delete(p) : this.asks.set(p, q);
  }
  top(n = Infinity): { bids: [number, number][]; asks: [number, number][] } {
    const side = (m: Map<number, number>, desc: boolean) => [...m].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0])).slice(0, n);
    return { bids: side(this.bids, true), asks: side(this.asks, false) };
  }
}

/** Deterministic book diffs around 100 (bids below, asks above; 0 deletes). */
function bookStream(symbol: string, n: number, seed = 7): BookEvent[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const level = (bid: boolean): [number, number] => [bid ? 90 + Math.floor(rnd() * 20) / 2 : 100.5 + Math.floor(rnd() * 20) / 2, rnd() < 0.25 ? 0 : Math.round(rnd() * 1000) / 100 + 0.01];
  const out: BookEvent[] = [{ type: 'book', venue: 'bybit', symbol, ts: Date.now(), localTs: NaN, isSnapshot: true, bids: [[99.5, 1], [99, 2], [98.5, 3]], asks: [[100.5, 1], [101, 2]], seq: NaN }];
  for (let i = 0; i < n; i++) {
    const bids = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => level(true));
    const asks = Array.from({ length: Math.floor(rnd() * 3) }, () => level(false));
    out.push({ type: 'book', venue: 'bybit', symbol, ts: Date.now(), localTs: NaN, isSnapshot: false, bids: dedupe(bids), asks: dedupe(asks), seq: NaN });
  }
  return out;
}
const dedupe = (levels: [number, number][]) => [...new Map(levels)];

let tradeNo = 0;
function trade(over: Partial<TradeEvent> = {}): TradeEvent {
  tradeNo++;
  return { type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, price: 100 + (tradeNo % 7) / 10, qty: 0.001 * (1 + (tradeNo % 5)), side: tradeNo % 3 ? 'buy' : 'sell', id: `t-${tradeNo}`, ...over };
}
function liquidation(over: Partial<LiquidationEvent> = {}): LiquidationEvent {
  return { type: 'liquidation', venue: 'bybit', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, price: 99.5, qty: 1.25, side: 'sell', id: '', ...over };
}
function ticker(fields: Partial<TickerEvent>): TickerEvent {
  return { type: 'ticker', venue: 'bybit', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, ...EMPTY_TICKER_FIELDS, ...fields };
}
const strip = (e: CaptureRecord) => ({ ...e, localTs: NaN });

interface Rig {
  srv: BybitMockServer;
  client: BybitLiveClient;
  events: CaptureRecord[];
  gaps: LiveGap[];
  statuses: StreamStatus[];
  raw: string[];
  /** onRestFrame: REST answers kept for raw captures (back-filled trades). */
  rest: string[];
  of<T extends CaptureRecord['type']>(type: T): Extract<CaptureRecord, { type: T }>[];
  stream(topic: string): StreamStatus;
  book(symbol?: string): LocalBook;
}

const open: Rig[] = [];
after(async () => {
  for (const r of open) {
    await r.client.stop();
    await r.srv.close();
  }
});

/** A mock server and a client subscribed to it, every stream live. */
async function rig(over: Partial<BybitLiveOptions> = {}, server: BybitMockServerOptions = { symbols: ['BTCUSDT', 'ETHUSDT'] }): Promise<Rig> {
  const srv = await startBybitMockServer(server);
  const events: CaptureRecord[] = [];
  const gaps: LiveGap[] = [];
  const statuses: StreamStatus[] = [];
  const raw: string[] = [];
  const rest: string[] = [];
  const client = new BybitLiveClient({
    symbols: ['BTCUSDT'],
    wsUrl: srv.wsUrl,
    restUrl: srv.restUrl,
    instruments,
    pingEveryMs: 50,
    // Server and client share this process: a long synchronous publish must not look like a stall.
    staleAfterMs: 2000,
    backoff: { initialMs: 10, maxMs: 40 },
    resyncTimeoutMs: 1500,
    ...over,
    handlers: {
      onEvents: (r) => events.push(...r),
      onGap: (g) => gaps.push(g),
      onStatus: (s) => statuses.push(s),
      onRawFrame: (t) => raw.push(t),
      onRestFrame: (t) => rest.push(t),
      ...over.handlers,
    },
  });
  const r: Rig = {
    srv,
    client,
    events,
    gaps,
    statuses,
    raw,
    rest,
    of: (type) => events.filter((e) => e.type === type) as never,
    stream: (topic) => client.status().find((s) => s.stream === topic)!,
    book: (symbol = 'BTCUSDT') => {
      const b = new LocalBook();
      for (const e of events) if (e.type === 'book' && e.symbol === symbol) b.apply(e);
      return b;
    },
  };
  open.push(r);
  await client.start();
  await until(() => client.status().every((s) => s.state === 'connected' || s.lastError?.startsWith('[E_SUBSCRIBE]') || (server.awaitBookData && s.stream.startsWith('orderbook'))), 'every stream subscribed');
  return r;
}

/** The reference: the published book events applied in order (top 200: every test book is smaller). */
function reference(events: readonly BookEvent[]): LocalBook {
  const b = new LocalBook();
  for (const e of events) b.apply(e);
  return b;
}

describe('bybit live: normal flow', () => {
  it('delivers trades, liquidations, books and merged tickers as they were published', async () => {
    const r = await rig();
    const trades = Array.from({ length: 12 }, () => trade());
    const liqs = [liquidation(), liquidation({ side: 'buy', price: 101, qty: 0.5 })];
    const books = bookStream('BTCUSDT', 40);
    r.srv.publish(...trades.slice(0, 5));
    r.srv.publish(...trades.slice(5), ...liqs);
    for (const b of books) r.srv.publish(b);
    const full = ticker({ markPrice: 100.25, indexPrice: 100.3, lastPrice: 100.2, fundingRate: 0.0001, nextFundingTs: 1786320000000, openInterest: 29945.866, openInterestValue: 1949998132.5, bestBid: 99.5, bestBidQty: 1, bestAsk: 100.5, bestAskQty: 2 });
    r.srv.publish(full);
    const delta = ticker({ markPrice: 100.27, openInterest: 29950 });
    r.srv.publish(delta);
    r.srv.publish(ticker({ markPrice: 100.27 })); // no change: Bybit sends no delta
    await until(() => r.of('ticker').length >= 2 && r.of('trade').length === 12 && r.of('book').at(-1)?.seq === r.srv.bookView('BTCUSDT', 200).u, 'all events');

    assert.deepEqual(r.of('trade').map(strip), trades);
    assert.deepEqual(r.of('liquidation').map(strip), liqs);
    // The empty subscribe snapshot, then the published ones.
    assert.deepEqual(r.book().top(), reference(books).top());
    assert.deepEqual(r.book().top(), { bids: r.srv.bookView('BTCUSDT', 200).bids, asks: r.srv.bookView('BTCUSDT', 200).asks });
    const [first, second] = r.of('ticker');
    assert.deepEqual(strip(first), { ...full, localTs: NaN });
    // The delta carried markPrice and open interest only; the client merged it into the snapshot.
    assert.deepEqual(strip(second), { ...full, ts: delta.ts, markPrice: 100.27, openInterest: 29950, localTs: NaN });
    assert.equal(r.of('ticker').length, 2);

    // Every raw frame went to onRawFrame, acks and pongs included; pings were answered.
    await until(() => r.srv.stats.pings >= 2, 'pings');
    const conn = r.stream(BYBIT_CONNECTION_STREAM);
    assert.equal(r.raw.length, conn.messages);
    assert.ok(r.raw.some((t) => t.includes('"ret_msg":"pong"')));
    const st = r.stream('publicTrade.BTCUSDT');
    assert.equal(st.state, 'connected');
    assert.equal(st.events, 12);
    assert.equal(st.messages, 2);
    assert.equal(r.stream('orderbook.200.BTCUSDT').events, r.of('book').length);
    assert.ok(r.client.status().every((s) => s.parseErrors === 0 && s.gaps === 0 && s.reconnects === 0));
    assert.ok(Number.isFinite(st.lagMs) && Number.isFinite(st.lastMessageAt));
    assert.deepEqual(r.gaps, []);
  });

  const CAPTURES = ['publicTrade', 'orderbook200', 'tickers'].map((k) => `bybit-v5-linear-ws-${k}-2026-08-09.jsonl`);
  it('replays the captured frames: the client decodes them exactly as parse.ts does', async () => {
    const r = await rig({ lagWarnMs: Infinity }, { symbols: ['BTCUSDT'], awaitBookData: true });
    const frames = CAPTURES.flatMap((f) => realLines(f).filter((l) => l.includes('BTCUSDT"'))).map((l) => ({ l, ts: (JSON.parse(l) as { ts: number }).ts }));
    frames.sort((a, b) => a.ts - b.ts);
    await r.srv.replayRaw(frames.map((f) => f.l));
    const parser = createBybitParser({ fileName: 'x', symbol: undefined, instruments });
    const expected = frames.flatMap((f) => parser.parse(JSON.parse(f.l), NaN) ?? []);
    const want = (t: string) => expected.filter((e) => e.type === t).map(strip);
    await until(() => r.of('trade').length === want('trade').length && r.of('book').length === want('book').length, 'the replayed capture', 30_000);
    assert.deepEqual(r.of('trade').map(strip), want('trade'));
    assert.deepEqual(r.of('book').map(strip), want('book'));
    assert.equal(r.stream('orderbook.200.BTCUSDT').resyncs, 0);
    // Tickers come out whole: every emitted one has a mark price, though most deltas lack it.
    await until(() => r.of('ticker').length === want('ticker').length, 'tickers');
    assert.ok(r.of('ticker').every((t) => Number.isFinite(t.markPrice) && Number.isFinite(t.openInterest)));
    assert.deepEqual(r.gaps, []);
    // REST answers from what was replayed: the same trades, newest first.
    const body = (await (await fetch(`${r.srv.restUrl}/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1000`)).json()) as unknown;
    assert.deepEqual(parseBybitRecentTrades(body, instruments, NaN).map(strip), want('trade'));
  });
});

describe('bybit live: faults', () => {
  it('reconnects after a disconnect, resubscribes, and back-fills the missed trades: none lost, none twice', async () => {
    const r = await rig();
    const a = [trade(), trade(), trade()];
    r.srv.publish(...a);
    await until(() => r.of('trade').length === 3, 'first trades');
    r.srv.faults.disconnect();
    const b = Array.from({ length: 5 }, () => trade());
    r.srv.publish(...b); // the connection is gone: only the venue's history has them
    await until(() => r.client.status().every((s) => s.reconnects === 1 && s.state === 'connected'), 'reconnected');
    const c = [trade(), trade()];
    r.srv.publish(...c);
    await until(() => r.of('trade').length === 10, 'every trade');
    assert.deepEqual(r.of('trade').map((t) => t.id), [...a, ...b, ...c].map((t) => t.id));
    assert.equal(r.srv.stats.subscribeRequests, 2);
    assert.deepEqual(r.srv.subscriptions(), [['publicTrade.BTCUSDT', 'allLiquidation.BTCUSDT', 'orderbook.200.BTCUSDT', 'tickers.BTCUSDT']]);
    assert.equal(r.srv.stats.restRequests, 1);
    const g = r.gaps.find((x) => x.detail.startsWith('publicTrade'))!;
    assert.equal(g.kind, 'disconnect');
    assert.equal(g.backfilled, true);
    assert.equal(g.fromTs, a[2].ts);
    // The other streams lost what the disconnect hid, with nothing to replay it from.
    assert.deepEqual(r.gaps.filter((x) => !x.backfilled).map((x) => x.detail.split(':')[0]).sort(), ['allLiquidation.BTCUSDT', 'orderbook.200.BTCUSDT', 'tickers.BTCUSDT']);
    assert.match(r.statuses.find((s) => s.state === 'down')!.lastError!, /^\[E_DISCONNECT\] [\w.:]+: closed \(1006\)/);
  });

  it('back-filled trades reach the raw capture as one flagged publicTrade frame holding exactly the trades delivered from REST', async () => {
    const r = await rig();
    const a = [trade(), trade()];
    r.srv.publish(...a);
    await until(() => r.of('trade').length === 2, 'first trades');
    r.srv.faults.disconnect();
    const b = Array.from({ length: 4 }, (_, i) => trade({ ts: Date.now() + 1 + i }));
    r.srv.publish(...b);
    await until(() => r.of('trade').length === 6, 'back-filled');
    assert.equal(r.rest.length, 1);
    const { backfill, ...frame } = JSON.parse(r.rest[0]) as { backfill: string; topic: string };
    assert.equal(backfill, 'GET /v5/market/recent-trade');
    assert.equal(frame.topic, 'publicTrade.BTCUSDT');
    // Without the flag it is the stream's own shape: the parser gives back the trades delivered
    // from REST (not the ones delivered live before the outage, which REST also returned).
    const parser = () => createBybitParser({ fileName: 'capture', symbol: undefined, instruments });
    assert.deepEqual((parser().parse(frame, NaN) as TradeEvent[]).map(strip), r.of('trade').slice(2).map(strip));
    assert.deepEqual(r.of('trade').slice(2).map((t) => t.id), b.map((t) => t.id));
    // Flagged, a re-import recognizes it as Bybit's and keeps it out (out of time order; the store has it).
    assert.equal(parser().recognizes(JSON.parse(r.rest[0])), true);
    assert.equal(parser().parse(JSON.parse(r.rest[0]), NaN), null);
  });

  it('a back-fill that cannot reach back far enough reports the trades lost', async () => {
    const r = await rig({}, { symbols: ['BTCUSDT'], tradeHistory: 4 });
    const a = [trade(), trade()];
    r.srv.publish(...a);
    await until(() => r.of('trade').length === 2, 'first trades');
    r.srv.faults.disconnect();
    const b = Array.from({ length: 9 }, (_, i) => trade({ ts: Date.now() + i }));
    r.srv.publish(...b);
    await until(() => r.gaps.some((g) => g.detail.startsWith('publicTrade')), 'the trade gap');
    const g = r.gaps.find((x) => x.detail.startsWith('publicTrade'))!;
    assert.equal(g.backfilled, false);
    assert.deepEqual([g.fromTs, g.toTs], [a[1].ts, b[5].ts]);
    assert.deepEqual(r.of('trade').map((t) => t.id), [...a, ...b.slice(5)].map((t) => t.id));
  });

  it('a failed REST back-fill is a gap, not a crash', async () => {
    const r = await rig();
    r.srv.publish(trade());
    await until(() => r.of('trade').length === 1, 'a trade');
    r.srv.faults.restError({ count: 3 }); // every try of the paced REST
    r.srv.faults.disconnect();
    await until(() => r.gaps.some((g) => g.detail.startsWith('publicTrade')), 'the trade gap');
    assert.equal(r.gaps.find((x) => x.detail.startsWith('publicTrade'))!.backfilled, false);
    assert.match(r.stream('publicTrade.BTCUSDT').lastError!, /^\[E_BACKFILL\] publicTrade\.BTCUSDT: back-fill failed: GET \/v5\/market\/recent-trade\?.*HTTP 503/);
    r.srv.publish(trade());
    await until(() => r.of('trade').length === 2, 'trades flow again');
  });

  it('notices a silent stall (no frame, no pong) and replaces the connection', async () => {
    const r = await rig({ staleAfterMs: 300 });
    r.srv.faults.stall();
    await until(() => r.srv.stats.connectionsTotal === 2 && r.stream('publicTrade.BTCUSDT').state === 'connected', 'a new connection');
    assert.ok(r.statuses.some((s) => s.stream === 'publicTrade.BTCUSDT' && s.state === 'down' && /silent stall/.test(s.lastError ?? '')));
    assert.equal(r.stream('publicTrade.BTCUSDT').reconnects, 1);
    // The stalled connection got pings it never answered.
    assert.ok(r.srv.received.filter((t) => t === '{"op":"ping"}').length > r.srv.stats.pings);
    r.srv.publish(trade());
    await until(() => r.of('trade').length === 1, 'trades on the new connection');
  });

  it('counts and skips malformed and truncated frames, naming the frame and the field', async () => {
    const r = await rig();
    r.srv.faults.malformed({ stream: 'publicTrade.BTCUSDT' });
    r.srv.publish(trade());
    await until(() => r.stream('publicTrade.BTCUSDT').parseErrors === 1, 'the malformed frame');
    assert.match(r.stream('publicTrade.BTCUSDT').lastError!, /^\[E_NUMBER\] publicTrade\.BTCUSDT frame \d+: .*field data\[0\]\.p/);
    r.srv.faults.truncated({ stream: /^publicTrade/ });
    r.srv.publish(trade());
    await until(() => r.stream('publicTrade.BTCUSDT').parseErrors === 2, 'the truncated frame');
    assert.match(r.stream('publicTrade.BTCUSDT').lastError!, /^\[E_JSON\] publicTrade\.BTCUSDT frame \d+: invalid JSON/);
    r.srv.sendRaw('not json at all');
    await until(() => r.stream(BYBIT_CONNECTION_STREAM).parseErrors === 1, 'garbage on the connection');
    const good = trade();
    r.srv.publish(good);
    await until(() => r.of('trade').length === 1, 'the good trade');
    assert.equal(r.of('trade')[0].id, good.id);
    // A malformed ticker delta leaves the merged ticker untouched.
    r.srv.publish(ticker({ markPrice: 100, indexPrice: 101 }));
    r.srv.faults.malformed({ stream: /^tickers/ });
    r.srv.publish(ticker({ markPrice: 102 }));
    r.srv.publish(ticker({ indexPrice: 103 }));
    await until(() => r.of('ticker').length === 2, 'tickers');
    assert.deepEqual(r.of('ticker').map((t) => [t.markPrice, t.indexPrice]), [[100, 101], [100, 103]]);
    assert.equal(r.stream('tickers.BTCUSDT').parseErrors, 1);
    // A malformed book delta cannot be applied: the chain breaks and the book is resynced.
    const books = bookStream('BTCUSDT', 10);
    r.srv.publish(books[0]);
    r.srv.faults.malformed({ stream: /^orderbook/ });
    for (const b of books.slice(1)) r.srv.publish(b);
    await until(() => r.stream('orderbook.200.BTCUSDT').resyncs === 1 && r.stream('orderbook.200.BTCUSDT').state === 'connected', 'the resync');
    assert.deepEqual(r.book().top(), reference(books).top());
    assert.equal(r.client.status().reduce((n, s) => n + s.reconnects, 0), 0);
  });

  it('drops duplicated frames: no trade, liquidation, book diff or ticker twice', async () => {
    const r = await rig();
    r.srv.faults.duplicate({ stream: /^publicTrade/, count: 2 });
    r.srv.faults.duplicate({ stream: /^allLiquidation/ });
    r.srv.faults.duplicate({ stream: /^orderbook/, count: 3 });
    r.srv.faults.duplicate({ stream: /^tickers/, count: 2 });
    const trades = [trade(), trade(), trade()];
    r.srv.publish(trades[0], trades[1]);
    r.srv.publish(trades[2]);
    r.srv.publish(liquidation());
    const books = bookStream('BTCUSDT', 8);
    for (const b of books) r.srv.publish(b);
    r.srv.publish(ticker({ markPrice: 100 }));
    r.srv.publish(ticker({ markPrice: 101 }));
    const last = trade();
    r.srv.publish(last);
    await until(() => r.of('trade').some((t) => t.id === last.id) && r.of('ticker').length >= 2, 'the last trade');
    await until(() => r.srv.stats.framesSent >= 2 + 1 + 1 + 1 + books.length + 2 + 2 + 3 + 1, 'every frame');
    assert.deepEqual(r.of('trade').map((t) => t.id), [...trades, last].map((t) => t.id));
    assert.equal(r.of('liquidation').length, 1);
    assert.equal(r.of('ticker').length, 2);
    assert.deepEqual(r.book().top(), reference(books).top());
    assert.equal(r.stream('orderbook.200.BTCUSDT').resyncs, 0);
    assert.equal(r.stream('publicTrade.BTCUSDT').messages, 3 + 2);
  });

  it('out-of-order book deltas break the u chain: resynced, the book then equals the reference; reordered trades arrive once each', async () => {
    const r = await rig();
    const books = bookStream('BTCUSDT', 30, 11);
    for (const b of books.slice(0, 10)) r.srv.publish(b);
    r.srv.faults.reorder({ stream: /^orderbook/ });
    for (const b of books.slice(10)) r.srv.publish(b);
    await until(() => r.gaps.some((g) => g.kind === 'book_resync') && r.stream('orderbook.200.BTCUSDT').state === 'connected', 'the resync');
    const last = bookStream('BTCUSDT', 1, 99)[1];
    r.srv.publish(last);
    await until(() => r.srv.bookView('BTCUSDT', 200).u === r.of('book').at(-1)!.seq, 'the last diff');
    assert.deepEqual(r.book().top(), reference([...books, last]).top());
    assert.ok(r.srv.received.some((t) => t.includes('"op":"unsubscribe"')));
    const g = r.gaps.find((x) => x.kind === 'book_resync')!;
    assert.match(g.detail, /^orderbook\.200\.BTCUSDT: expected u=\d+, got u=\d+; resynced by the snapshot/);
    assert.ok(g.fromTs <= g.toTs);

    r.srv.faults.reorder({ stream: /^publicTrade/ });
    const t = [trade(), trade(), trade()];
    for (const x of t) r.srv.publish(x);
    await until(() => r.of('trade').length === 3, 'trades');
    assert.deepEqual(r.of('trade').map((x) => x.id), [t[1].id, t[0].id, t[2].id]);
  });

  it('a sequence gap (skipped update ids) resyncs the book: full book equal to the reference after', async () => {
    const r = await rig();
    const books = bookStream('BTCUSDT', 60, 3);
    for (const b of books.slice(0, 20)) r.srv.publish(b);
    r.srv.faults.sequenceGap({ stream: 'orderbook.200.BTCUSDT', count: 2 });
    for (const b of books.slice(20)) r.srv.publish(b);
    await until(() => r.stream('orderbook.200.BTCUSDT').resyncs === 1 && r.stream('orderbook.200.BTCUSDT').state === 'connected', 'the resync');
    await until(() => r.srv.bookView('BTCUSDT', 200).u === r.of('book').at(-1)!.seq, 'the last diff');
    assert.deepEqual(r.book().top(), reference(books).top());
    const st = r.stream('orderbook.200.BTCUSDT');
    assert.equal(st.gaps, 1);
    assert.ok(r.statuses.some((s) => s.stream === st.stream && s.state === 'resyncing'));
    // After the resync: the snapshot, then diffs whose u rise by one.
    const seqs = r.of('book').map((b) => [b.isSnapshot, b.seq] as const);
    const resync = seqs.map(([snap]) => snap).lastIndexOf(true);
    for (let i = resync + 1; i < seqs.length; i++) assert.equal(seqs[i][1], seqs[i - 1][1] + 1);
    assert.equal(r.gaps.some((g) => g.kind === 'sequence_gap'), false, 'one ordinary gap never trips the breaker');
  });

  it('a venue whose u rises by more than one per delta: a few resubscribes, then degraded and reported, never a resubscribe loop', async () => {
    const r = await rig({}, { symbols: ['BTCUSDT', 'ETHUSDT'], bookUpdateIdStep: 3 });
    const topic = 'orderbook.200.BTCUSDT';
    const books = bookStream('BTCUSDT', 40, 13);
    const degraded = () => r.gaps.some((g) => g.kind === 'sequence_gap');
    let i = 0;
    // One delta at a time, each after the client's resubscribe (if any) was answered: every new
    // chain then breaks on its first delta, as it would against such a venue.
    while (!degraded() && i < books.length) {
      const subs = r.srv.stats.subscribeRequests;
      r.srv.publish(books[i++]);
      await until(() => degraded() || r.srv.stats.subscribeRequests > subs || r.of('book').some((b) => b.seq === r.srv.bookView('BTCUSDT', 200).u), `delta ${i} handled`);
    }
    assert.ok(degraded(), 'the breaker tripped');
    const resubscribes = r.srv.stats.unsubscribeRequests;
    for (const b of books.slice(i)) r.srv.publish(b);
    await until(() => r.of('book').at(-1)?.seq === r.srv.bookView('BTCUSDT', 200).u, 'the last diff');
    assert.deepEqual(r.book().top(), reference(books).top());
    const st = r.stream(topic);
    assert.equal(st.resyncs, BREAKER_BREAKS - 1);
    assert.equal(r.srv.stats.unsubscribeRequests, resubscribes, 'no resubscribe once degraded');
    assert.ok(resubscribes <= BREAKER_BREAKS);
    assert.equal(st.state, 'connected');
    assert.match(st.lastError ?? '', /^\[E_SEQUENCE\] .*degraded: 3 chains in a row broke on their first delta/);
    const g = r.gaps.filter((x) => x.kind === 'sequence_gap');
    assert.equal(g.length, 1);
    assert.match(g[0].detail, /^orderbook\.200\.BTCUSDT: degraded: .*accepting any rising u/);
    assert.equal(g[0].backfilled, false);
  });

  it('a snapshot with u=1 (Bybit restarted its book service) resets the book and is reported', async () => {
    const r = await rig();
    const books = bookStream('BTCUSDT', 10, 5);
    for (const b of books) r.srv.publish(b);
    r.srv.restartBookService('BTCUSDT');
    const more = bookStream('BTCUSDT', 5, 6).slice(1);
    for (const b of more) r.srv.publish(b);
    await until(() => r.of('book').at(-1)?.seq === 1 + more.length, 'diffs after the restart');
    assert.deepEqual(r.book().top(), reference([...books, ...more]).top());
    assert.match(r.gaps.find((g) => g.kind === 'book_resync')!.detail, /u=1 .*restarted/);
    assert.equal(r.stream('orderbook.200.BTCUSDT').resyncs, 1);
  });

  it('a refused subscription (unknown symbol) is reported on its streams; the others keep flowing', async () => {
    const r = await rig({ symbols: ['BTCUSDT', 'NOPEUSDT'] });
    for (const topic of ['publicTrade.NOPEUSDT', 'orderbook.200.NOPEUSDT', 'tickers.NOPEUSDT', 'allLiquidation.NOPEUSDT']) {
      const s = r.stream(topic);
      assert.equal(s.state, 'down');
      assert.match(s.lastError!, /^\[E_SUBSCRIBE\] [\w.]+NOPEUSDT: Bybit refused the subscription: error:handler not found,topic:\w+\.(200\.)?NOPEUSDT/);
    }
    r.srv.publish(trade());
    await until(() => r.of('trade').length === 1, 'BTCUSDT trades');
    assert.equal(r.stream('publicTrade.BTCUSDT').state, 'connected');
    assert.equal(r.srv.stats.connectionsTotal, 1);
  });

  it('slow consumer: a burst of held frames all arrives in order, the stream reports lagging, then recovers', async () => {
    let spin = 0;
    const r = await rig({ lagWarnMs: 40, staleAfterMs: 2000, handlers: { onEvents: () => {} } });
    const got: CaptureRecord[] = [];
    // A consumer slower than the burst: ~0.1 ms of work per frame.
    const slow = new BybitLiveClient({
      symbols: ['BTCUSDT'],
      channels: ['trades'],
      wsUrl: r.srv.wsUrl,
      restUrl: r.srv.restUrl,
      instruments,
      lagWarnMs: 40,
      handlers: {
        onEvents: (e) => {
          const end = performance.now() + 0.1;
          while (performance.now() < end) spin++;
          got.push(...e);
        },
        onStatus: (s) => r.statuses.push(s),
      },
    });
    open.push({ ...r, client: slow });
    await slow.start();
    await until(() => slow.status().every((s) => s.state === 'connected'), 'subscribed');
    const backlog = r.srv.faults.slowConsumer();
    const burst = Array.from({ length: 2000 }, () => trade());
    for (const t of burst) r.srv.publish(t);
    await new Promise((res) => setTimeout(res, 80));
    backlog.release();
    await until(() => got.length === burst.length, 'the whole burst', 30_000);
    assert.deepEqual(got.map((t) => (t as TradeEvent).id), burst.map((t) => t.id));
    assert.ok(r.statuses.some((s) => s.stream === 'publicTrade.BTCUSDT' && s.state === 'lagging'));
    // Fresh trades until one arrives within lagWarnMs: on a loaded machine a single one can be
    // 40 ms late on its own, which would leave the stream lagging for a reason that is not the burst.
    const fresh = setInterval(() => r.srv.publish(trade()), 20);
    try {
      await until(() => slow.status().find((s) => s.stream === 'publicTrade.BTCUSDT')!.state === 'connected', 'caught up');
    } finally {
      clearInterval(fresh);
    }
    assert.ok(spin > 0);
  });

  it('stop() ends the client: no reconnect after', async () => {
    const r = await rig();
    await r.client.stop();
    r.srv.faults.disconnect();
    await new Promise((res) => setTimeout(res, 60));
    assert.equal(r.srv.stats.connections, 0);
    assert.ok(r.client.status().every((s) => s.state === 'down'));
  });
});

describe('bybit live: options', () => {
  it('refuses a depth Bybit does not serve, and more topics than one connection may carry', () => {
    const base = { instruments, handlers: { onEvents: () => {} }, wsUrl: 'ws://127.0.0.1:1', restUrl: 'http://127.0.0.1:1' };
    assert.throws(() => new BybitLiveClient({ ...base, symbols: ['BTCUSDT'], bookDepth: 100 as 50 }), UsageError);
    assert.throws(() => new BybitLiveClient({ ...base, symbols: [] }), UsageError);
    const many = Array.from({ length: 300 }, (_, i) => `SYM${i}USDT`);
    assert.throws(() => new BybitLiveClient({ ...base, symbols: many }), /21000 per connection/);
    assert.throws(() => new BybitLiveClient({ ...base, symbols: ['BTCUSDT'], wsUrl: 'http://x' }), /expected ws/);
  });

  it('takes its endpoints from ORDERFLOW_BYBIT_WS_URL / _REST_URL when none is configured', async () => {
    const srv = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    process.env.ORDERFLOW_BYBIT_WS_URL = srv.wsUrl;
    process.env.ORDERFLOW_BYBIT_REST_URL = `${srv.restUrl}/`;
    let client: BybitLiveClient;
    try {
      client = new BybitLiveClient({ symbols: ['BTCUSDT'], channels: ['trades'], instruments, handlers: { onEvents: () => {} } });
    } finally {
      delete process.env.ORDERFLOW_BYBIT_WS_URL;
      delete process.env.ORDERFLOW_BYBIT_REST_URL;
    }
    open.push({ srv, client } as Rig);
    await client.start();
    await until(() => srv.subscriptions().length === 1, 'a subscription on the loopback server');
  });

  it('a handler that throws does not take the connection down', async () => {
    let n = 0;
    const r = await rig({ channels: ['trades'], handlers: { onEvents: () => { if (++n === 1) throw new Error('consumer bug'); } } });
    r.srv.publish(trade());
    r.srv.publish(trade());
    await until(() => n === 2, 'both frames handled');
    assert.match(r.stream('publicTrade.BTCUSDT').lastError!, /^\[E_HANDLER\] publicTrade\.BTCUSDT: onEvents threw: consumer bug/);
    assert.equal(r.stream('publicTrade.BTCUSDT').state, 'connected');
  });

  it('subscribes to orderbook.50 when asked', async () => {
    const r = await rig({ bookDepth: 50, channels: ['book'] });
    assert.deepEqual(r.srv.subscriptions(), [['orderbook.50.BTCUSDT']]);
  });
});

describe('BybitBookSync', () => {
  it('emits only a continuous u chain (any rising u once degraded), each delta at most once, and reports every break', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ snap: fc.boolean(), du: fc.integer({ min: -2, max: 3 }) }), { maxLength: 60 }), (steps) => {
        const s = new BybitBookSync();
        let u = 10;
        let last = NaN;
        let synced = false;
        let degraded = false;
        let breaks = 0;
        for (const [i, x] of steps.entries()) {
          u = Math.max(1, u + x.du);
          const step = s.step(x.snap, u, i);
          if (step.kind === 'snapshot') {
            last = u;
            synced = true;
          } else if (step.kind === 'apply') {
            assert.ok(synced);
            if (degraded) assert.ok(u > last);
            else assert.equal(u, last + 1);
            last = u;
          } else if (step.kind === 'degraded') {
            assert.ok(synced && !degraded && u > last + 1);
            assert.ok(breaks >= BREAKER_BREAKS - 1, `tripped after ${breaks} breaks`);
            degraded = true;
            last = u;
          } else if (step.kind === 'gap') {
            assert.ok(!degraded && u > last + 1);
            breaks++;
            synced = false;
          } else if (step.kind === 'stale') assert.ok(u <= last);
          else assert.equal(synced, false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports the span of a resync and of a restart', () => {
    const s = new BybitBookSync();
    assert.deepEqual(s.step(false, 5, 1), { kind: 'waiting' });
    assert.deepEqual(s.step(true, 10, 2), { kind: 'snapshot' });
    assert.deepEqual(s.step(false, 11, 3), { kind: 'apply' });
    assert.deepEqual(s.step(false, 13, 4), { kind: 'gap', expected: 12, got: 13 });
    assert.deepEqual(s.step(false, 14, 5), { kind: 'waiting' });
    assert.deepEqual(s.step(true, 20, 6), { kind: 'snapshot', gap: { fromTs: 3, toTs: 6, detail: 'expected u=12, got u=13; resynced by the snapshot u=20' } });
    assert.deepEqual(s.step(true, 20, 7), { kind: 'stale' });
    assert.deepEqual(s.step(true, 1, 8), { kind: 'snapshot', gap: { fromTs: 6, toTs: 8, detail: 'snapshot with u=1 after u=20: Bybit restarted its book service' } });
  });

  it('trips its breaker after chains in a row break on their first delta, then applies any rising u', () => {
    const s = new BybitBookSync();
    let t = 0;
    for (let i = 1; i < BREAKER_BREAKS; i++) {
      assert.equal(s.step(true, 100 * i, ++t).kind, 'snapshot');
      assert.deepEqual(s.step(false, 100 * i + 3, ++t), { kind: 'gap', expected: 100 * i + 1, got: 100 * i + 3 });
    }
    assert.equal(s.step(true, 1000, ++t).kind, 'snapshot');
    const trip = s.step(false, 1003, ++t);
    assert.equal(trip.kind, 'degraded');
    assert.match(trip.kind === 'degraded' ? trip.detail : '', new RegExp(`^${BREAKER_BREAKS} chains in a row broke on their first delta \\(last: expected u=1001, got u=1003\\)`));
    assert.equal(s.degraded, true);
    assert.deepEqual(s.step(false, 1010, ++t), { kind: 'apply' });
    assert.deepEqual(s.step(false, 1010, ++t), { kind: 'stale' });
    assert.deepEqual(s.step(false, 1011, ++t), { kind: 'apply' });
    assert.equal(s.skipped, 2);
  });

  it('never trips on breaks after good deltas, nor on immediate breaks spread beyond its window', () => {
    const late = new BybitBookSync();
    for (let i = 1; i <= BREAKER_BREAKS * 3; i++) {
      late.step(true, 100 * i, i);
      assert.equal(late.step(false, 100 * i + 1, i).kind, 'apply');
      assert.equal(late.step(false, 100 * i + 5, i).kind, 'gap');
    }
    const slow = new BybitBookSync();
    for (let i = 1; i <= BREAKER_BREAKS * 3; i++) {
      slow.step(true, 100 * i, i * (BREAKER_WINDOW_MS / (BREAKER_BREAKS - 1) + 1));
      assert.equal(slow.step(false, 100 * i + 5, i * (BREAKER_WINDOW_MS / (BREAKER_BREAKS - 1) + 1)).kind, 'gap');
    }
    assert.equal(late.degraded || slow.degraded, false);
  });
});

describe('bybit ticker merge and dedupe', () => {
  it('merges deltas into the snapshot; drops deltas older by cs, repeats, and deltas before a snapshot', () => {
    const m = new BybitTickerMerger();
    const f = (type: string, cs: number, data: Record<string, string>) => ({ topic: 'tickers.X', type, ts: 1, cs, data: { symbol: 'X', ...data } });
    assert.equal(m.accept(f('delta', 1, { markPrice: '1' })).kind, 'no-snapshot');
    const a = m.accept(f('snapshot', 5, { markPrice: '1', indexPrice: '2' }));
    assert.deepEqual(a.kind === 'merged' && a.frame.data, { symbol: 'X', markPrice: '1', indexPrice: '2' });
    const b = m.accept(f('delta', 6, { markPrice: '3' }));
    assert.deepEqual(b.kind === 'merged' && b.frame.data, { symbol: 'X', markPrice: '3', indexPrice: '2' });
    assert.equal(m.accept(f('delta', 6, { markPrice: '3' })).kind, 'stale');
    assert.equal(m.accept(f('delta', 4, { markPrice: '9' })).kind, 'stale');
    assert.equal(m.accept(f('delta', 6, { indexPrice: '7' })).kind, 'merged');
  });

  it('RecentKeys forgets the oldest key beyond its capacity', () => {
    const k = new RecentKeys(2);
    assert.equal(k.add('a'), true);
    assert.equal(k.add('a'), false);
    k.add('b');
    k.add('c');
    assert.equal(k.has('a'), false);
    assert.equal(k.has('c'), true);
  });
});

describe('bybit recent-trade parse (REST back-fill)', () => {
  const body = {
    retCode: 0,
    retMsg: 'OK',
    result: {
      category: 'linear',
      list: [
        { execId: 'b', symbol: 'BTCUSDT', price: '65114.3', size: '0.010', side: 'Buy', time: '1786310820347', isBlockTrade: false, isRPITrade: false, seq: '2' },
        { execId: 'x', symbol: 'BTCUSDT', price: '65114.3', size: '5', side: 'Buy', time: '1786310820300', isBlockTrade: true, isRPITrade: false, seq: '1' },
        { execId: 'a', symbol: 'BTCUSDT', price: '65114.2', size: '0.004', side: 'Sell', time: '1786310819680', isBlockTrade: false, isRPITrade: true, seq: '1' },
      ],
    },
    retExtInfo: {},
    time: 1786310821000,
  };

  it('returns trades oldest first, taker side as is, block trades dropped', () => {
    const out = parseBybitRecentTrades(body, instruments, 5);
    assert.deepEqual(out, [
      { type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: 1786310819680, localTs: 5, price: 65114.2, qty: 0.004, side: 'sell', id: 'a' },
      { type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: 1786310820347, localTs: 5, price: 65114.3, qty: 0.01, side: 'buy', id: 'b' },
    ]);
  });

  it('names the field of a bad row, and refuses an error reply', () => {
    const bad = structuredClone(body);
    bad.result.list[2].price = 'x';
    assert.throws(() => parseBybitRecentTrades(bad, instruments, 0), (e: unknown) => e instanceof ParseError && e.code === 'E_NUMBER' && e.field === 'result.list[2].price');
    assert.throws(() => parseBybitRecentTrades({ retCode: 10001, retMsg: 'params error: symbol invalid', result: {}, retExtInfo: {}, time: 1 }, instruments, 0), (e: unknown) => e instanceof ParseError && e.field === 'retCode' && /symbol invalid/.test(e.message));
  });

  it('fuzz: random and mutated bodies only ever throw ParseError', () => {
    const only = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        assert.ok(e.field !== undefined || e.code === 'E_MESSAGE', e.message);
      }
    };
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutatedFrames([body])), (v) => only(() => parseBybitRecentTrades(v, instruments, 0))), { numRuns: 1500 });
  });
});
