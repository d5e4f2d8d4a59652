/**
 * BinanceLiveClient against the loopback Binance server (mock-server.ts) on 127.0.0.1:0: normal
 * flow, and every fault the server can inject, each with its outcome asserted. Short timeouts and
 * backoffs throughout; waits poll, never sleep for long.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { EMPTY_TICKER_FIELDS, type BookEvent, type BookLevel, type CaptureRecord, type LiquidationEvent, type MarketEvent, type TickerEvent, type TradeEvent } from '../../../src/core/events.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { BinanceLiveClient, type BinanceLiveOptions } from '../../../src/venues/binance/live.ts';
import { createBinanceParser } from '../../../src/venues/binance/parse.ts';
import { startBinanceMockServer, type BinanceMockServer, type BinanceMockServerOptions } from '../../../src/venues/binance/mock-server.ts';
import type { LiveGap, StreamStatus } from '../../../src/venues/live/types.ts';
import { realFile, realLines } from '../../helpers/real-data.ts';
import { waitFor } from '../../helpers/wait.ts';

// A generous bound: a wait ends as soon as its condition holds, and a loaded machine must not
// turn a slow pass into a timeout (no case here expects a wait to run out).
const until = (cond: () => boolean, what: string, ms = 15_000) => waitFor(cond, what, ms, 5);

const T0 = Date.now();
let nextTs = T0;
const ts = () => ++nextTs;

const trade = (id: number, symbol = 'BTCUSDT', t = ts()): TradeEvent => ({ type: 'trade', venue: 'binance', symbol, ts: t, localTs: NaN, price: 60_000 + (id % 50) / 10, qty: 0.001 * (1 + (id % 7)), side: id % 3 === 0 ? 'sell' : 'buy', id: String(id) });
const liquidation = (price: number, side: 'buy' | 'sell' = 'sell', symbol = 'BTCUSDT'): LiquidationEvent => ({ type: 'liquidation', venue: 'binance', symbol, ts: ts(), localTs: NaN, price, qty: 0.25, side, id: '' });
const mark = (price: number, symbol = 'BTCUSDT'): TickerEvent => ({ type: 'ticker', venue: 'binance', symbol, ts: ts(), localTs: NaN, ...EMPTY_TICKER_FIELDS, markPrice: price, indexPrice: price - 1.5, fundingRate: 0.0001, nextFundingTs: T0 + 3_600_000 });
const book = (isSnapshot: boolean, bids: BookLevel[], asks: BookLevel[], symbol = 'BTCUSDT'): BookEvent => ({ type: 'book', venue: 'binance', symbol, ts: ts(), localTs: NaN, isSnapshot, bids, asks, seq: NaN });

/** Deterministic book churn: diff k touches a few levels around 60 000. */
function diff(k: number, symbol = 'BTCUSDT'): BookEvent {
  const bids: BookLevel[] = [[59_990 - (k % 5), k % 4 === 0 ? 0 : 1 + (k % 9)], [59_999 - (k % 3), 2 + (k % 5)]];
  const asks: BookLevel[] = [[60_010 + (k % 5), k % 6 === 0 ? 0 : 1 + (k % 8)], [60_001 + (k % 3), 3 + (k % 4)]];
  return book(false, bids, asks, symbol);
}

/** A book built by applying snapshots and diffs, as a consumer does. */
class RefBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  apply(ev: BookEvent): void {
    if (ev.isSnapshot) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [p, q] of ev.bids) q === 0 ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of ev.asks) q === 0 ? this.asks.delete(p) : this.asks.set(p, q);
  }
  levels(): { bids: BookLevel[]; asks: BookLevel[] } {
    return { bids: [...this.bids].sort((a, b) => b[0] - a[0]), asks: [...this.asks].sort((a, b) => a[0] - b[0]) };
  }
}

/** What the client handed to its handlers. */
class Sink {
  readonly events: CaptureRecord[] = [];
  readonly gaps: LiveGap[] = [];
  readonly statuses: StreamStatus[] = [];
  readonly raw: string[] = [];
  readonly rest: string[] = [];
  slowMs = 0;
  slowCalls = 0;
  readonly handlers = {
    onEvents: (records: readonly CaptureRecord[]) => {
      if (this.slowCalls > 0) {
        this.slowCalls--;
        const end = Date.now() + this.slowMs;
        while (Date.now() < end); // a consumer that is slow to read
      }
      this.events.push(...records);
    },
    onRawFrame: (text: string) => void this.raw.push(text),
    onRestFrame: (text: string) => void this.rest.push(text),
    onGap: (g: LiveGap) => void this.gaps.push(g),
    onStatus: (s: StreamStatus) => void this.statuses.push(s),
  };
  of<T extends CaptureRecord['type']>(type: T, symbol = 'BTCUSDT'): Extract<CaptureRecord, { type: T }>[] {
    return this.events.filter((e) => e.type === type && (e as MarketEvent).symbol === symbol) as Extract<CaptureRecord, { type: T }>[];
  }
  tradeIds(symbol = 'BTCUSDT'): number[] {
    return this.of('trade', symbol).map((t) => Number(t.id));
  }
  book(symbol = 'BTCUSDT'): RefBook {
    const b = new RefBook();
    for (const e of this.of('book', symbol)) b.apply(e);
    return b;
  }
}

const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.stop();
});

async function setup(serverOpts: BinanceMockServerOptions = {}, clientOpts: Partial<BinanceLiveOptions> = {}) {
  const server = await startBinanceMockServer({ liquidationSampleMs: 0, ...serverOpts });
  open.push({ stop: () => server.close() });
  const sink = new Sink();
  const client = new BinanceLiveClient({
    symbols: ['BTCUSDT'],
    wsUrl: server.wsUrl,
    restUrl: server.restUrl,
    instruments: new InstrumentRegistry(),
    handlers: sink.handlers,
    backoff: { initialMs: 10, maxMs: 40 },
    staleAfterMs: 1500,
    requestIntervalMs: 0,
    openInterestIntervalMs: 60_000,
    retryMs: 20,
    ...clientOpts,
  });
  open.push(client);
  return { server, sink, client };
}

/** Wait until every stream of the client is in sync and connected. */
async function ready(client: BinanceLiveClient): Promise<void> {
  await until(() => client.status().every((s) => s.state === 'connected'), `all streams connected: ${JSON.stringify(client.status().map((s) => [s.stream, s.state, s.lastError]))}`);
}

interface Levels {
  readonly bids: BookLevel[];
  readonly asks: BookLevel[];
}
/** One level a side: enough for tests about other streams. */
const THIN: Levels = { bids: [[59_999, 1]], asks: [[60_001, 1]] };
/** Two levels a side, for tests that compare whole books. */
const DEEP: Levels = { bids: [[59_999, 1], [59_990, 4]], asks: [[60_001, 1], [60_010, 2]] };

/**
 * The book tests' common start: the venue's book of each symbol holds `levels` before the client
 * connects, the client starts and every stream is in sync. Returns a reference book per symbol
 * holding that snapshot, for the test to apply its diffs to.
 */
async function startOnBook(server: BinanceMockServer, client: BinanceLiveClient, levels: Levels = THIN, symbols: readonly string[] = ['BTCUSDT']): Promise<Record<string, RefBook>> {
  const refs: Record<string, RefBook> = {};
  for (const sym of symbols) {
    const snap = book(true, levels.bids, levels.asks, sym);
    (refs[sym] = new RefBook()).apply(snap);
    server.publish(snap);
  }
  await client.start();
  await ready(client);
  return refs;
}

const statusOf = (client: BinanceLiveClient, stream: string) => client.status().find((s) => s.stream === stream)!;
const strip = ({ localTs: _, ...rest }: MarketEvent) => rest;

describe('BinanceLiveClient: normal flow', () => {
  it('subscribes on the routed connections and hands over every published event, normalized and equal', async () => {
    const { server, sink, client } = await setup({}, { openInterestIntervalMs: 50 });
    const { BTCUSDT: ref } = await startOnBook(server, client, { bids: [[59_999, 1], [59_998, 2]], asks: [[60_001, 1.5]] });
    // Routed paths: the book stream on /public, the rest on /market (one connection each).
    assert.deepEqual(server.subscriptions(), ['btcusdt@aggTrade', 'btcusdt@depth@100ms', 'btcusdt@forceOrder', 'btcusdt@markPrice@1s']);
    assert.equal(server.connections(), 2);

    const published: MarketEvent[] = [];
    for (let i = 1; i <= 30; i++) published.push(trade(i));
    published.push(liquidation(59_000, 'sell'), liquidation(61_000, 'buy'), mark(60_000.5), mark(60_001.25));
    const diffs = Array.from({ length: 20 }, (_, k) => diff(k));
    for (const d of diffs) ref.apply(d);
    for (const e of [...published, ...diffs]) server.publish(e);
    server.publish({ ...mark(60_002), markPrice: NaN, openInterest: 12_345.678 });

    await until(() => sink.of('trade').length === 30 && sink.of('liquidation').length === 2 && sink.of('ticker').filter((t) => t.openInterest === 12_345.678).length === 1 && sink.of('book').length >= 21, 'all events');
    assert.deepEqual(sink.of('trade').map(strip), published.filter((e) => e.type === 'trade').map(strip));
    assert.deepEqual(sink.of('liquidation').map(strip), published.filter((e) => e.type === 'liquidation').map(strip));
    assert.deepEqual(sink.of('ticker').filter((t) => !Number.isNaN(t.markPrice)).map(strip), published.filter((e) => e.type === 'ticker').map(strip));
    assert.ok(sink.events.every((e) => e.type === 'kline' || Number.isFinite(e.localTs)), 'every live event has a receive time');
    // The book: one snapshot (from REST) then the diffs, applied = the venue book.
    const books = sink.of('book');
    assert.equal(books.filter((b) => b.isSnapshot).length, 1);
    assert.deepEqual(sink.book().levels(), ref.levels());
    assert.deepEqual(sink.book().levels(), { bids: server.book('BTCUSDT').bids, asks: server.book('BTCUSDT').asks });
    assert.deepEqual(books.filter((b) => !b.isSnapshot).slice(-20).map((b) => [b.bids, b.asks]), diffs.map((d) => [d.bids, d.asks]));
    // Every text frame went to onRawFrame; nothing was a gap or an error.
    assert.ok(sink.raw.some((r) => r.startsWith('{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade"')));
    assert.ok(sink.raw.some((r) => r === '{"result":null,"id":1}'));
    assert.deepEqual(sink.gaps, []);
    assert.ok(client.status().every((s) => s.parseErrors === 0 && s.lastError === null));
    const trades = statusOf(client, 'btcusdt@aggTrade');
    assert.equal(trades.events, 30);
    assert.equal(trades.messages, 30);
    assert.ok(sink.statuses.some((s) => s.stream === 'btcusdt@depth@100ms' && s.state === 'resyncing'), 'the book reports its sync');
  });

  it('reports lagging when frames are older than lagWarnMs, and connected again when they catch up', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'], lagWarnMs: 500 });
    await client.start();
    await ready(client);
    server.publish(trade(1, 'BTCUSDT', Date.now() - 5_000));
    await until(() => statusOf(client, 'btcusdt@aggTrade').state === 'lagging', 'lagging');
    assert.ok(statusOf(client, 'btcusdt@aggTrade').lagMs >= 4_900);
    server.publish(trade(2, 'BTCUSDT', Date.now()));
    await until(() => statusOf(client, 'btcusdt@aggTrade').state === 'connected', 'connected again');
    assert.deepEqual(sink.statuses.filter((s) => s.stream === 'btcusdt@aggTrade').map((s) => s.state), ['connected', 'lagging', 'connected']);
  });

  it('polls open interest at its interval and drops an unchanged answer', async () => {
    const { server, sink, client } = await setup({}, { channels: ['ticker'], openInterestIntervalMs: 30 });
    server.publish({ ...mark(1), markPrice: NaN, openInterest: 100 });
    await client.start();
    await until(() => server.stats().restCalls['/fapi/v1/openInterest'] >= 4, 'four polls');
    assert.deepEqual(sink.of('ticker').map((t) => t.openInterest), [100], 'the same answer is not an event again');
    server.publish({ ...mark(1), markPrice: NaN, openInterest: 150.5 });
    await until(() => sink.of('ticker').length === 2, 'the new value');
    assert.equal(sink.of('ticker')[1].openInterest, 150.5);
    assert.equal(statusOf(client, 'btcusdt@openInterest').state, 'connected');
  });
});

describe('BinanceLiveClient: faults', () => {
  it('disconnect: reconnects, resubscribes, back-fills the missed aggTrades from REST (none lost, none twice) and resyncs the book', async () => {
    const { server, sink, client } = await setup();
    await startOnBook(server, client);
    for (let i = 1; i <= 20; i++) server.publish(trade(i));
    for (let k = 0; k < 5; k++) server.publish(diff(k));
    await until(() => sink.of('trade').length === 20, 'first trades');
    const subscribesBefore = server.stats().subscribeRequests;
    assert.equal(server.faults.disconnect(), 2);
    // While the client is away the venue trades on and the book moves: it will only see REST.
    for (let i = 21; i <= 60; i++) server.publish(trade(i));
    server.publish(liquidation(58_000));
    for (let k = 5; k < 10; k++) server.publish(diff(k));
    await until(() => server.stats().connectionsOpened === 4 && client.status().every((s) => s.state === 'connected'), 'reconnected and in sync');
    for (let i = 61; i <= 80; i++) server.publish(trade(i));
    for (let k = 10; k < 15; k++) server.publish(diff(k));
    await until(() => sink.of('trade').length >= 80, 'every trade');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(sink.tradeIds(), Array.from({ length: 80 }, (_, i) => i + 1), 'every aggTrade exactly once, in id order');
    assert.ok(server.stats().subscribeRequests >= subscribesBefore + 2, 'both connections subscribed again');
    assert.ok(server.stats().restCalls['/fapi/v1/aggTrades'] >= 1);
    // Fetched on resubscription (catch-up): 21..60 at least, more if 61.. had traded by then.
    const idGap = sink.gaps.find((g) => g.kind === 'trade_id_gap')!;
    assert.equal(idGap.backfilled, true);
    assert.ok(Number(/aggTrade ids 21\.\.(\d+)/.exec(idGap.detail)?.[1]) >= 60, idGap.detail);
    // The liquidation and mark frames of the outage are gone: said so, with exchange times.
    const down = sink.gaps.find((g) => g.kind === 'disconnect')!;
    assert.equal(down.backfilled, false);
    assert.ok(down.fromTs <= down.toTs);
    assert.match(down.detail, /btcusdt@forceOrder/);
    assert.ok(sink.gaps.some((g) => g.kind === 'book_resync'));
    assert.deepEqual(sink.book().levels(), { bids: server.book('BTCUSDT').bids, asks: server.book('BTCUSDT').asks });
    for (const s of ['btcusdt@aggTrade', 'btcusdt@depth@100ms', 'connection:market', 'connection:public']) assert.equal(statusOf(client, s).reconnects, 1, s);
    assert.equal(statusOf(client, 'btcusdt@depth@100ms').resyncs, 1);
    assert.ok(sink.statuses.some((s) => s.stream === 'btcusdt@aggTrade' && s.state === 'down'));
  });

  it('24 h cut (a close frame at the end of the connection lifetime): reconnects cleanly and carries on', async () => {
    const { server, sink, client } = await setup({ maxConnectionMs: 150 }, { channels: ['trades'] });
    await client.start();
    await ready(client);
    server.publish(trade(1));
    await until(() => server.stats().connectionsOpened >= 3, 'two lifetime cuts');
    await until(() => statusOf(client, 'btcusdt@aggTrade').state === 'connected', 'subscribed again');
    server.publish(trade(2));
    await until(() => sink.of('trade').length === 2, 'trade after the cut');
    assert.deepEqual(sink.tradeIds(), [1, 2]);
    assert.match(sink.statuses.find((s) => s.state === 'down')!.lastError!, /^\[E_DISCONNECT\] [^ ]+: closed \(1000 connection lifetime reached\)/);
  });

  it('silent stall: the connection that goes quiet (no data, no replies, no pongs) is dropped and reopened', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'], staleAfterMs: 150, heartbeatMs: 30 });
    await client.start();
    await ready(client);
    assert.equal(server.faults.stall(), 1);
    server.publish(trade(1)); // lost on the stalled connection
    await until(() => server.stats().connectionsOpened >= 2 && statusOf(client, 'btcusdt@aggTrade').state === 'connected', 'a new connection');
    assert.match(sink.statuses.find((s) => s.stream === 'connection:market' && s.state === 'down')!.lastError!, /silent stall/);
    server.publish(trade(2));
    server.publish(trade(3));
    await until(() => sink.of('trade').length === 2, 'trades after the stall');
    assert.deepEqual(sink.tradeIds(), [2, 3], 'the first trade seen sets the start: nothing before it is asked for');
    await until(() => server.stats().listRequests > 0, 'the LIST_SUBSCRIPTIONS heartbeat');
  });

  it('malformed and truncated frames are counted with the frame and field named, skipped, and what they carried is recovered', async () => {
    const { server, sink, client } = await setup();
    await startOnBook(server, client);
    for (let i = 1; i <= 3; i++) server.publish(trade(i));
    server.faults.malformed({ stream: 'btcusdt@aggTrade' });
    server.publish(trade(4));
    server.faults.truncated({ stream: 'btcusdt@aggTrade' });
    server.publish(trade(5));
    for (let i = 6; i <= 8; i++) server.publish(trade(i));
    server.faults.malformed({ stream: 'btcusdt@depth@100ms' });
    for (let k = 0; k < 4; k++) server.publish(diff(k));
    server.faults.malformed({ stream: 'btcusdt@markPrice@1s' });
    server.publish(mark(1));
    server.publish(mark(2));
    await until(() => sink.of('trade').length === 8 && statusOf(client, 'btcusdt@depth@100ms').resyncs === 1 && statusOf(client, 'btcusdt@depth@100ms').state === 'connected', 'recovery');
    assert.deepEqual(sink.tradeIds(), [1, 2, 3, 4, 5, 6, 7, 8], 'the two bad frames are back-filled by id');
    const t = statusOf(client, 'btcusdt@aggTrade');
    assert.equal(t.parseErrors, 2);
    assert.match(t.lastError!, /^\[E_JSON\] btcusdt@aggTrade frame \d+: invalid JSON/);
    const firstError = sink.statuses.find((s) => s.stream === 'btcusdt@aggTrade' && s.lastError !== null)!;
    assert.match(firstError.lastError!, /^\[E_NUMBER\] btcusdt@aggTrade frame \d+: not a number \(field data\.p, value "x"\)/);
    const b = statusOf(client, 'btcusdt@depth@100ms');
    assert.equal(b.parseErrors, 1);
    assert.deepEqual(sink.book().levels(), { bids: server.book('BTCUSDT').bids, asks: server.book('BTCUSDT').asks }, 'the skipped diff is recovered by a resync');
    assert.equal(statusOf(client, 'btcusdt@markPrice@1s').parseErrors, 1);
    assert.deepEqual(sink.of('ticker').filter((x) => !Number.isNaN(x.markPrice)).map((x) => x.markPrice), [2]);
  });

  it('duplicated frames are not emitted twice (aggTrade id, depth u, markPrice E, identical forceOrder)', async () => {
    const { server, sink, client } = await setup();
    await startOnBook(server, client);
    server.faults.duplicate({ count: 1000 });
    for (let i = 1; i <= 10; i++) server.publish(trade(i));
    for (let k = 0; k < 5; k++) server.publish(diff(k));
    server.publish(mark(1));
    server.publish(liquidation(59_000));
    await until(() => statusOf(client, 'btcusdt@aggTrade').messages === 20 && statusOf(client, 'btcusdt@forceOrder').messages === 2 && statusOf(client, 'btcusdt@depth@100ms').messages === 10, 'every frame twice');
    assert.deepEqual(sink.tradeIds(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(sink.of('liquidation').length, 1);
    assert.equal(sink.of('ticker').length, 1);
    assert.equal(sink.of('book').filter((b) => !b.isSnapshot).length, 5);
    assert.equal(statusOf(client, 'btcusdt@depth@100ms').resyncs, 0, 'a duplicate diff is not a break');
    assert.deepEqual(sink.gaps, []);
    assert.deepEqual(sink.book().levels(), { bids: server.book('BTCUSDT').bids, asks: server.book('BTCUSDT').asks });
  });

  it('out-of-order frames: aggTrades come out in id order exactly once; a reordered diff breaks pu and resyncs the book', async () => {
    const { server, sink, client } = await setup();
    await startOnBook(server, client);
    for (let i = 1; i <= 3; i++) server.publish(trade(i));
    server.faults.reorder({ stream: 'btcusdt@aggTrade' });
    for (let i = 4; i <= 8; i++) server.publish(trade(i)); // 5 arrives before 4
    server.publish(diff(0));
    server.faults.reorder({ stream: 'btcusdt@depth@100ms' });
    for (let k = 1; k < 6; k++) server.publish(diff(k));
    await until(() => sink.of('trade').length === 8 && statusOf(client, 'btcusdt@depth@100ms').resyncs >= 1 && statusOf(client, 'btcusdt@depth@100ms').state === 'connected', 'settled');
    assert.deepEqual(sink.tradeIds(), [1, 2, 3, 4, 5, 6, 7, 8]);
    const resync = sink.gaps.find((g) => g.kind === 'book_resync')!;
    assert.match(resync.detail, /pu \d+ != previous u \d+/);
    assert.ok(resync.fromTs <= resync.toTs);
    assert.deepEqual(sink.book().levels(), { bids: server.book('BTCUSDT').bids, asks: server.book('BTCUSDT').asks });
  });

  it('sequence gap (skipped update ids): resync from a new snapshot, and the local book equals the reference book', async () => {
    const { server, sink, client } = await setup({}, { channels: ['book'] });
    const { BTCUSDT: ref } = await startOnBook(server, client, DEEP);
    for (let k = 0; k < 10; k++) {
      if (k === 4) server.faults.sequenceGap({ stream: 'btcusdt@depth@100ms', count: 2 });
      const d = diff(k);
      ref.apply(d);
      server.publish(d);
    }
    await until(() => statusOf(client, 'btcusdt@depth@100ms').resyncs === 1 && statusOf(client, 'btcusdt@depth@100ms').state === 'connected', 'resynced');
    for (let k = 10; k < 15; k++) {
      const d = diff(k);
      ref.apply(d);
      server.publish(d);
    }
    await until(() => sink.of('book').at(-1)!.seq === server.book('BTCUSDT').lastUpdateId, 'caught up');
    assert.deepEqual(sink.book().levels(), ref.levels(), 'full books equal after the resync');
    assert.equal(sink.of('book').filter((b) => b.isSnapshot).length, 2, 'one snapshot per (re)sync');
    const gap = sink.gaps.find((g) => g.kind === 'book_resync')!;
    assert.equal(gap.backfilled, false);
    assert.match(gap.detail, /rebuilt from REST snapshot lastUpdateId \d+/);
    assert.equal(server.stats().restCalls['/fapi/v1/depth'], 2);
    assert.ok(sink.statuses.some((s) => s.stream === 'btcusdt@depth@100ms' && s.state === 'resyncing' && /pu/.test(s.lastError ?? '')));
  });

  it('resumed from a previous session: the trades since its last stored id are fetched first, each once, as a restart gap', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'], resume: new Map([['BTCUSDT', { lastId: 3, lastTs: T0 + 3 }]]) });
    for (let i = 1; i <= 8; i++) server.publish(trade(i));
    await client.start();
    await until(() => sink.of('trade').length === 5, 'caught up');
    server.publish(trade(9));
    await until(() => sink.of('trade').length === 6, 'live');
    assert.deepEqual(sink.tradeIds(), [4, 5, 6, 7, 8, 9]);
    assert.deepEqual(sink.gaps.map((g) => [g.kind, g.backfilled]), [['restart', true]]);
    assert.match(sink.gaps[0].detail, /^aggTrade ids 4\.\.8 \(5\) since the last one stored \(restart\): 5 back-filled from REST$/);
    // The back-filled trades reach the raw capture as one flagged frame in the stream's shape; a
    // re-import keeps it out (out of time order in a capture, and the store has them).
    const frames = sink.rest.filter((f) => f.includes('"backfill"'));
    assert.equal(frames.length, 1);
    const parser = () => createBinanceParser({ fileName: 'capture', symbol: undefined, instruments: new InstrumentRegistry() });
    const { backfill, ...frame } = JSON.parse(frames[0]) as { backfill: string };
    assert.equal(backfill, 'GET /fapi/v1/aggTrades');
    assert.deepEqual((parser().parse(frame, NaN) as TradeEvent[]).map(strip), sink.of('trade').slice(0, 5).map(strip));
    assert.equal(parser().parse(JSON.parse(frames[0]), NaN), null);
    assert.equal(parser().recognizes(JSON.parse(frames[0])), true);
  });

  it('a history-limited REST: the ids it no longer serves are a gap row naming exactly them; the rest is fetched', async () => {
    const { server, sink, client } = await setup({ historyLimit: 3 }, { channels: ['trades'], resume: new Map([['BTCUSDT', { lastId: 2, lastTs: T0 + 2 }]]) });
    const published = Array.from({ length: 8 }, (_, i) => trade(i + 1));
    for (const t of published) server.publish(t);
    await client.start();
    await until(() => sink.of('trade').length === 3 && sink.gaps.length === 2, 'caught up');
    assert.deepEqual(sink.tradeIds(), [6, 7, 8], 'what REST keeps (the last 3)');
    const lost = sink.gaps.find((g) => !g.backfilled)!;
    assert.equal(lost.kind, 'restart');
    assert.match(lost.detail, /^aggTrade ids 3\.\.5 \(3\) since the last one stored \(restart\): lost, REST no longer serves them$/);
    assert.deepEqual([lost.fromTs, lost.toTs], [T0 + 2, published[5].ts], 'from the last stored trade to the first REST still has');
    assert.match(statusOf(client, 'btcusdt@aggTrade').lastError!, /aggTrade ids 3\.\.5 are no longer served by REST: lost/);
  });

  it('a hole larger than the back-fill budget: what the budget allows is fetched, the rest is reported missing by id', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'], backfillMaxRequests: 1 });
    await client.start();
    await ready(client);
    server.publish(trade(1));
    await until(() => sink.of('trade').length === 1, 'first');
    server.faults.sequenceGap({ stream: 'btcusdt@aggTrade', count: 2500 });
    for (let i = 2; i <= 2502; i++) server.publish(trade(i));
    await until(() => sink.gaps.length === 1 && sink.of('trade').length === 1002, 'budget spent');
    assert.deepEqual(sink.tradeIds(), [...Array.from({ length: 1001 }, (_, i) => i + 1), 2502]);
    assert.equal(sink.gaps[0].backfilled, false);
    assert.match(sink.gaps[0].detail, /^aggTrade ids 2\.\.2501 \(2500\) missing from the stream: 1000 back-filled from REST, then: back-fill budget spent \(1 requests of 1, or backfillTimeMs 60000 ms\)$/);
  });

  it('one update-id counter across symbols: U jumps per symbol, snapshots carry the last u; both books stay in sync without a resync', async () => {
    const { server, sink, client } = await setup({ symbols: ['BTCUSDT', 'ETHUSDT'], sharedUpdateIds: true }, { symbols: ['BTCUSDT', 'ETHUSDT'], channels: ['book'] });
    const refs = await startOnBook(server, client, DEEP, ['BTCUSDT', 'ETHUSDT']);
    const wire: string[] = [];
    for (let k = 0; k < 30; k++) {
      const sym = k % 3 === 0 ? 'ETHUSDT' : 'BTCUSDT';
      const d = diff(k, sym);
      refs[sym].apply(d);
      server.publish(d);
    }
    for (const r of sink.raw) if (r.includes('depthUpdate')) wire.push(r);
    await until(() => sink.of('book').at(-1)?.seq === server.book('BTCUSDT').lastUpdateId && sink.of('book', 'ETHUSDT').at(-1)?.seq === server.book('ETHUSDT').lastUpdateId, 'caught up');
    // The wire really jumps: some diff's U is past its pu + 1.
    const ids = sink.raw.filter((r) => r.includes('depthUpdate')).map((r) => JSON.parse(r).data as { U: number; pu: number });
    assert.ok(ids.some((d) => d.U > d.pu + 1), 'update ids jump per symbol');
    for (const sym of ['BTCUSDT', 'ETHUSDT'] as const) assert.deepEqual(sink.book(sym).levels(), refs[sym].levels(), `${sym} book`);
    assert.equal(client.status().reduce((n, st) => n + st.resyncs, 0), 0, 'no resync: a snapshot followed by pu = lastUpdateId is in sync');
  });

  it('a stale cached REST depth snapshot (older than the stream): refused, asked again until fresh, and the book is right', async () => {
    const { server, sink, client } = await setup({ depthCacheMs: 400 }, { channels: ['book'] });
    const { BTCUSDT: ref } = await startOnBook(server, client, DEEP);
    // The snapshot of the first sync is now cached for 400 ms: a resync within it gets that old one.
    for (let k = 0; k < 10; k++) {
      if (k === 4) server.faults.sequenceGap({ stream: 'btcusdt@depth@100ms', count: 1 });
      const d = diff(k);
      ref.apply(d);
      server.publish(d);
    }
    await until(() => sink.statuses.some((st) => st.stream === 'btcusdt@depth@100ms' && /older than the first buffered diff/.test(st.lastError ?? '')), 'stale snapshot refused');
    for (let k = 10; k < 14; k++) {
      const d = diff(k);
      ref.apply(d);
      server.publish(d);
      await new Promise((r) => setTimeout(r, 60));
    }
    await until(() => statusOf(client, 'btcusdt@depth@100ms').state === 'connected', 'in sync again');
    for (let k = 14; k < 17; k++) {
      const d = diff(k);
      ref.apply(d);
      server.publish(d);
    }
    await until(() => sink.of('book').at(-1)!.seq === server.book('BTCUSDT').lastUpdateId, 'caught up');
    assert.deepEqual(sink.book().levels(), ref.levels());
    assert.ok(server.stats().restCalls['/fapi/v1/depth'] >= 3, 'asked again after the stale answer');
  });

  it('aggTrade gap whose back-fill fails: reported backfilled false, and the stream carries on', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'] });
    await client.start();
    await ready(client);
    server.publish(trade(1));
    server.faults.sequenceGap({ stream: 'btcusdt@aggTrade', count: 2 });
    server.faults.restError({ path: '/fapi/v1/aggTrades', count: 3 });
    for (let i = 2; i <= 5; i++) server.publish(trade(i));
    await until(() => sink.gaps.length === 1 && sink.of('trade').length === 3, 'gap given up');
    assert.deepEqual(sink.tradeIds(), [1, 4, 5]);
    const gap = sink.gaps[0];
    assert.equal(gap.kind, 'trade_id_gap');
    assert.equal(gap.backfilled, false);
    assert.match(gap.detail, /aggTrade ids 2\.\.3 \(2\).*HTTP 503: Internal error/);
    assert.match(statusOf(client, 'btcusdt@aggTrade').lastError!, /^\[E_BACKFILL\] btcusdt@aggTrade: back-fill of 2\.\.3 incomplete: .*HTTP 503/);
    server.publish(trade(6));
    await until(() => sink.of('trade').length === 4, 'next trade');
  });

  it('subscription error: the refused streams say why; the other symbol and streams are unaffected', async () => {
    const { server, sink, client } = await setup({ symbols: ['BTCUSDT'] }, { symbols: ['BTCUSDT', 'BAD-SYM'], channels: ['trades', 'liquidations', 'ticker'], openInterestIntervalMs: 40 });
    await client.start();
    await until(() => statusOf(client, 'bad-sym@aggTrade').state === 'down' && statusOf(client, 'btcusdt@aggTrade').state === 'connected', 'split and refused');
    // One SUBSCRIBE for everything is refused; asked again per symbol, then per stream.
    assert.match(statusOf(client, 'bad-sym@aggTrade').lastError!, /^\[E_SUBSCRIBE\] bad-sym@aggTrade: SUBSCRIBE refused by the server: Invalid request: invalid stream \(code 2, request \d+\)$/);
    assert.ok(['btcusdt@aggTrade', 'btcusdt@forceOrder', 'btcusdt@markPrice@1s'].every((s) => statusOf(client, s).state === 'connected' && statusOf(client, s).lastError === null));
    // REST knows no such symbol either: the poll says so and stops.
    await until(() => statusOf(client, 'bad-sym@openInterest').state === 'down', 'open interest refused');
    assert.match(statusOf(client, 'bad-sym@openInterest').lastError!, /^\[E_REST_STATUS\] GET \/fapi\/v1\/openInterest\?symbol=BAD-SYM: HTTP 400: Invalid symbol\. \(venue code -1121\); polling stopped$/);
    server.publish(trade(1));
    server.publish(mark(5));
    await until(() => sink.of('trade').length === 1 && sink.of('ticker').some((t) => t.markPrice === 5), 'the good symbol flows');
    // An injected refusal of one stream (the venue's reply, verbatim) is surfaced the same way, and only there.
    server.faults.subscriptionError({ stream: 'btcusdt@forceOrder' });
    server.faults.disconnect();
    await until(() => statusOf(client, 'btcusdt@forceOrder').state === 'down' && statusOf(client, 'btcusdt@forceOrder').reconnects === 1 && statusOf(client, 'btcusdt@aggTrade').state === 'connected', 'refused after reconnect');
    assert.match(statusOf(client, 'btcusdt@forceOrder').lastError!, /^\[E_SUBSCRIBE\] btcusdt@forceOrder: SUBSCRIBE refused by the server: Invalid request: invalid stream \(code 2, request \d+\)$/);
    server.publish(trade(2));
    await until(() => sink.of('trade').length === 2, 'trades still flow');
    assert.ok(sink.raw.filter((r) => r.startsWith('{"error":{"code":2,"msg":"Invalid request: invalid stream"}')).length >= 3);
  });

  it('slow consumer: a burst of 3000 frames at a consumer that blocks is delivered whole and in order', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'], lagWarnMs: 200 });
    await client.start();
    await ready(client);
    const burst = server.faults.slowConsumer();
    const old = Date.now() - 1_000;
    for (let i = 1; i <= 3000; i++) server.publish(trade(i, 'BTCUSDT', old + i / 10));
    sink.slowMs = 20;
    sink.slowCalls = 10;
    burst.release();
    await until(() => sink.of('trade').length === 3000, 'the burst', 30_000);
    assert.deepEqual(sink.tradeIds(), Array.from({ length: 3000 }, (_, i) => i + 1));
    assert.equal(server.stats().restCalls['/fapi/v1/aggTrades'] ?? 0, 0, 'nothing needed back-filling');
    assert.ok(sink.statuses.some((s) => s.stream === 'btcusdt@aggTrade' && s.state === 'lagging'), 'the backlog shows as lagging');
    // Fresh trades until one arrives within lagWarnMs: on a loaded machine a single one can be
    // late on its own, which would leave the stream lagging for a reason that is not the burst.
    let next = 3001;
    const fresh = setInterval(() => server.publish(trade(next++, 'BTCUSDT', Date.now())), 20);
    try {
      await until(() => statusOf(client, 'btcusdt@aggTrade').state === 'connected', 'caught up');
    } finally {
      clearInterval(fresh);
    }
  });

  it('a handler that throws is reported on its stream, not a crash', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'] });
    let calls = 0;
    sink.handlers.onEvents = () => {
      if (++calls === 1) throw new Error('consumer bug');
    };
    await client.start();
    await ready(client);
    server.publish(trade(1));
    server.publish(trade(2));
    await until(() => calls === 2, 'both trades handed over');
    assert.equal(statusOf(client, 'btcusdt@aggTrade').lastError, '[E_HANDLER] btcusdt@aggTrade: onEvents threw: consumer bug');
  });

  it('a raw-capture handler that throws is reported on the connection; the feed goes on', async () => {
    const { server, sink, client } = await setup({}, { channels: ['trades'] });
    let raws = 0;
    sink.handlers.onRawFrame = () => {
      if (++raws === 3) throw new Error('disk full');
    };
    await client.start();
    await ready(client);
    for (let i = 1; i <= 3; i++) server.publish(trade(i));
    await until(() => sink.of('trade').length === 3, 'every trade despite the throw');
    assert.match(statusOf(client, 'connection:market').lastError!, /^\[E_HANDLER\] connection:market: onRawFrame threw: disk full$/);
  });
});

describe('BinanceLiveClient: captured frames replayed raw', () => {
  it('replays the cryptofeed depth@100ms capture; the client book equals the venue book the capture implies', async () => {
    const { server, sink, client } = await setup({ depthHoldMs: 300, symbols: ['SUSHIUSDT', 'CTKUSDT'] }, { symbols: ['SUSHIUSDT', 'CTKUSDT'], channels: ['book', 'trades'] });
    // Subscribed first, so the capture's first frames are buffered and the snapshot meets them.
    await client.start();
    await until(() => server.subscriptions().length === 4, 'subscribed');
    const lines = await server.replayCapture(realFile('binance-um-ws-depthUpdate-100ms-2021-07-22.jsonl'));
    const trades = await server.replayCapture(realFile('binance-um-ws-aggTrade-2021-07-22.jsonl'));
    assert.equal(lines, 764);
    assert.equal(trades, 91);
    for (const s of ['SUSHIUSDT', 'CTKUSDT']) {
      await until(() => statusOf(client, `${s.toLowerCase()}@depth@100ms`).state === 'connected', `${s} in sync`);
    }
    // One more diff each (the raw-replay snapshot waits for the next diff to pick its lastUpdateId).
    for (const s of ['SUSHIUSDT', 'CTKUSDT']) {
      const last = server.book(s).lastUpdateId;
      server.publish({ ...diff(1, s), seq: last + 5 });
      await until(() => sink.of('book', s).at(-1)?.seq === last + 5, `${s} caught up`);
      assert.deepEqual(sink.book(s).levels(), { bids: server.book(s).bids, asks: server.book(s).asks }, s);
    }
    // The raw frames arrived byte-exact.
    const captured = realLines('binance-um-ws-depthUpdate-100ms-2021-07-22.jsonl').filter((l) => l.startsWith('{"stream":"sushiusdt@depth@100ms"'));
    const got = sink.raw.filter((r) => r.startsWith('{"stream":"sushiusdt@depth@100ms"')).slice(0, captured.length);
    assert.equal(captured.length, 255);
    assert.ok(got.length === captured.length && got.every((r, i) => r === captured[i]), 'byte-exact captured frames');
    assert.deepEqual(sink.of('trade', 'SUSHIUSDT').length + sink.of('trade', 'CTKUSDT').length, 78);
  });
});
