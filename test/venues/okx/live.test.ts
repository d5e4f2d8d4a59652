/**
 * OkxLiveClient against the loopback OKX (mock-server.ts): normal flow, then every fault, each
 * with its outcome asserted. Nothing here touches the internet; timeouts and backoffs are short.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseError } from '../../../src/core/errors.ts';
import type { BookEvent, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../../../src/core/events.ts';
import { toBaseQty } from '../../../src/core/instruments.ts';
import type { LiveGap, StreamStatus } from '../../../src/venues/live/types.ts';
import { OkxLiveClient, type OkxLiveClientOptions } from '../../../src/venues/okx/live.ts';
import { startOkxMockServer, type OkxMockServer, type OkxMockServerOptions } from '../../../src/venues/okx/mock-server.ts';
import { createOkxParser, okxArgOf, okxBookSeq, okxErrorTarget, okxRestEnvelope, okxTradeSpan, parseOkxEvent } from '../../../src/venues/okx/parse.ts';
import { mutatedFrames } from '../../helpers/mutate.ts';
import { context } from '../../helpers/run-format.ts';
import { realLines } from '../../helpers/real-data.ts';
import { okxTestInstruments, okxVenueListings } from './instruments.ts';

const instruments = okxTestInstruments();
const SWAP = 'BTC-USDT-SWAP';
const T0 = 1_700_000_000_000;

// A generous bound: a wait ends as soon as its condition holds, and a loaded machine must not
// turn a slow pass into a timeout (no case here expects a wait to run out).
const until = async (cond: () => boolean, what = 'condition', ms = 15_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const trade = (id: number, symbol = SWAP, ts = T0 + id): TradeEvent => {
  const price = 30_000 + (id % 50);
  return { type: 'trade', venue: 'okx', symbol, ts, localTs: NaN, price, qty: toBaseQty(instruments.get('okx', symbol)!, 1 + (id % 7), price), side: id % 3 ? 'buy' : 'sell', id: String(id) };
};
const liquidation = (symbol: string, ts: number, side: 'buy' | 'sell'): LiquidationEvent => ({
  type: 'liquidation', venue: 'okx', symbol, ts, localTs: NaN, price: 29_000, qty: toBaseQty(instruments.get('okx', symbol)!, 12, 29_000), side, id: '',
});
const ticker = (symbol: string, ts: number, f: Partial<TickerEvent>): TickerEvent => ({ type: 'ticker', venue: 'okx', symbol, ts, localTs: NaN, ...EMPTY_TICKER_FIELDS, ...f });
/** A book event with sizes on the contract grid (contracts -> base), so encode/parse is exact. */
const book = (isSnapshot: boolean, bids: [number, number][], asks: [number, number][], ts: number, symbol = SWAP): BookEvent => {
  const inst = instruments.get('okx', symbol)!;
  const conv = (ls: [number, number][]) => ls.map(([p, c]) => [p, c === 0 ? 0 : toBaseQty(inst, c, p)] as const);
  return { type: 'book', venue: 'okx', symbol, ts, localTs: NaN, isSnapshot, bids: conv(bids), asks: conv(asks), seq: NaN };
};
/** A deterministic stream of book diffs around 30 000 (levels added, changed, deleted). */
function* bookDiffs(from: number, n: number, symbol = SWAP): Generator<BookEvent> {
  for (let i = from; i < from + n; i++) {
    const px = 30_000 - (i % 30);
    yield book(false, [[px, i % 5], [29_950 - (i % 7), 1 + (i % 3)]], [[30_001 + (i % 30), (i * 7) % 4]], T0 + 10_000 + i, symbol);
  }
}

type Side = Map<number, number>;
interface LocalBook { bids: Side; asks: Side }
function applyBook(b: LocalBook, e: BookEvent): void {
  if (e.isSnapshot) {
    b.bids.clear();
    b.asks.clear();
  }
  for (const [p, q] of e.bids) q === 0 ? b.bids.delete(p) : b.bids.set(p, q);
  for (const [p, q] of e.asks) q === 0 ? b.asks.delete(p) : b.asks.set(p, q);
}
const bookOf = (events: readonly BookEvent[]) => {
  const b: LocalBook = { bids: new Map(), asks: new Map() };
  for (const e of events) applyBook(b, e);
  return { bids: [...b.bids].sort((x, y) => y[0] - x[0]), asks: [...b.asks].sort((x, y) => x[0] - y[0]) };
};
const strip = (e: MarketEvent) => ({ ...e, localTs: 0 });

interface Setup {
  server: OkxMockServer;
  client: OkxLiveClient;
  events: MarketEvent[];
  raw: string[];
  /** onRestFrame: REST answers kept for raw captures (back-filled trades). */
  rest: string[];
  gaps: LiveGap[];
  statuses: StreamStatus[];
  stream(key: string): StreamStatus;
  of<T extends MarketEvent['type']>(type: T, symbol?: string): Extract<MarketEvent, { type: T }>[];
  stop(): Promise<void>;
}

async function setup(o: Partial<OkxLiveClientOptions> = {}, serverOpts: Partial<OkxMockServerOptions> = {}, before?: (s: OkxMockServer) => void): Promise<Setup> {
  const server = await startOkxMockServer({ listings: okxVenueListings(), ...serverOpts });
  // The venue's books start empty at T0 (else the subscribe-time snapshot is timed now, after the 2023 events).
  for (const sym of o.symbols ?? [SWAP]) if (instruments.get('okx', sym)) server.publish(book(true, [], [], T0, sym));
  before?.(server);
  const events: MarketEvent[] = [];
  const raw: string[] = [];
  const rest: string[] = [];
  const gaps: LiveGap[] = [];
  const statuses: StreamStatus[] = [];
  const client = new OkxLiveClient({
    symbols: [SWAP],
    instruments,
    wsUrl: server.wsUrl,
    restUrl: server.restUrl,
    backoff: { initialMs: 10, maxMs: 40 },
    staleAfterMs: 3000,
    pingEveryMs: 1000,
    backfillDelayMs: 30,
    restSpacingMs: 0,
    random: () => 0.5,
    // The published events are timed in 2023: lag is measured only where a test asks for it.
    lagWarnMs: Number.MAX_SAFE_INTEGER,
    // ... and so are liquidations, which would otherwise be taken for OKX's replay on subscribe.
    liquidationReplayToleranceMs: Number.POSITIVE_INFINITY,
    ...o,
    handlers: {
      onEvents: (r) => {
        events.push(...(r as MarketEvent[]));
        o.handlers?.onEvents(r, 0);
      },
      onRawFrame: (t) => raw.push(t),
      onRestFrame: (t) => rest.push(t),
      onGap: (g) => gaps.push(g),
      onStatus: (s) => statuses.push(s),
    },
  });
  const stream = (key: string) => client.status().find((s) => s.stream === key)!;
  const t: Setup = {
    server, client, events, raw, rest, gaps, statuses, stream,
    of: (type, symbol) => events.filter((e) => e.type === type && (symbol === undefined || e.symbol === symbol)) as never,
    async stop() {
      if (!running.delete(this)) return;
      await client.stop();
      await server.close();
    },
  };
  running.add(t);
  await client.start();
  await until(() => client.status().every((s) => s.state === 'connected' || s.state === 'down'), 'streams up');
  return t;
}

/** Setups not stopped yet (a failed assertion skips `t.stop()`): stopped after each test. */
const running = new Set<Setup>();
async function stopAll(): Promise<void> {
  for (const t of [...running]) await t.stop();
}

const tradeIds = (t: Setup) => t.of('trade').map((e) => Number(e.id));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('okx live: normal flow', () => {
  afterEach(stopAll);

  it('subscribes every channel and delivers events equal to what was published', async () => {
    const t = await setup({ symbols: [SWAP, 'BTC-USD-SWAP'] }, {}, (server) => {
      server.publish(book(true, [[30_000, 5], [29_999, 3]], [[30_001, 2], [30_002, 9]], T0));
      server.publish(book(true, [[30_000, 50]], [[30_001, 20]], T0, 'BTC-USD-SWAP'));
    });
    const published: MarketEvent[] = [
      trade(1), trade(2), trade(3, 'BTC-USD-SWAP'),
      liquidation(SWAP, T0 + 5, 'sell'),
      liquidation('WNCG-USDT-SWAP', T0 + 6, 'buy'),
      liquidation('BTC-USD-SWAP', T0 + 7, 'buy'),
      ticker(SWAP, T0 + 8, { markPrice: 30_000.5 }),
      ticker(SWAP, T0 + 9, { fundingRate: 0.0001, nextFundingTs: T0 + 3_600_000 }),
      ticker(SWAP, T0 + 10, { openInterest: 123.45 }),
    ];
    const diffs = [...bookDiffs(0, 20)];
    for (const e of published) t.server.publish(e);
    for (const e of diffs) t.server.publish(e);
    await until(() => t.of('trade').length === 3 && t.of('liquidation').length === 2 && t.of('ticker').length === 3 && t.of('book', SWAP).length === 21, 'events');
    const expected = published.filter((e) => !(e.type === 'liquidation' && e.symbol === 'WNCG-USDT-SWAP'));
    assert.deepEqual(t.events.filter((e) => e.type !== 'book').map(strip), expected.map(strip));
    const books = t.of('book', SWAP);
    assert.equal(books[0].isSnapshot, true, 'the book starts with a snapshot');
    assert.ok(books.slice(1).every((b) => !b.isSnapshot));
    assert.deepEqual(bookOf(books), bookOf([book(true, [[30_000, 5], [29_999, 3]], [[30_001, 2], [30_002, 9]], T0), ...diffs]));
    assert.deepEqual(bookOf(t.of('book', 'BTC-USD-SWAP')), bookOf([book(true, [[30_000, 50]], [[30_001, 20]], T0, 'BTC-USD-SWAP')]));
    assert.deepEqual(t.client.status().map((s) => s.stream).sort(), [
      'books:BTC-USD-SWAP', 'books:BTC-USDT-SWAP', 'funding-rate:BTC-USD-SWAP', 'funding-rate:BTC-USDT-SWAP', 'liquidation-orders:SWAP',
      'mark-price:BTC-USD-SWAP', 'mark-price:BTC-USDT-SWAP', 'open-interest:BTC-USD-SWAP', 'open-interest:BTC-USDT-SWAP',
      'trades:BTC-USD-SWAP', 'trades:BTC-USDT-SWAP',
    ]);
    assert.ok(t.client.status().every((s) => s.state === 'connected' && s.parseErrors === 0 && s.reconnects === 0));
    const liq = t.stream('liquidation-orders:SWAP');
    assert.deepEqual([liq.messages, liq.events], [3, 2], 'the WNCG liquidation is filtered out');
    assert.equal(t.stream('trades:BTC-USDT-SWAP').events, 2);
    assert.ok(t.raw.some((r) => r.includes('"event":"subscribe"')) && t.raw.length >= t.client.status().reduce((n, s) => n + s.messages, 0));
    assert.deepEqual(t.gaps, []);
    await t.stop();
  });

  it('pings when idle so the venue (idle close 4004 after idleCloseMs) keeps the connection; without pings it is closed and reopened', async () => {
    // Idle close well above the ping interval: a loaded machine can hold the event loop for a
    // few hundred ms, which is not what this checks.
    const t = await setup({ pingEveryMs: 30 }, { idleCloseMs: 800 });
    await sleep(450);
    assert.equal(t.server.stats().connections, 1);
    assert.ok(t.server.stats().pings >= 8);
    assert.ok(t.client.status().every((s) => s.reconnects === 0 && s.state === 'connected'));
    await t.stop();

    const quiet = await setup({ pingEveryMs: 60_000 }, { idleCloseMs: 100 });
    await until(() => quiet.stream('trades:BTC-USDT-SWAP').reconnects >= 1, 'a reconnect after the idle close');
    assert.ok(quiet.statuses.some((s) => s.state === 'down' && /closed \(4004 No data received in 30s\)/.test(s.lastError ?? '')));
    await quiet.stop();
  });

  it('takes its endpoints from ORDERFLOW_OKX_WS_URL / ORDERFLOW_OKX_REST_URL', async () => {
    const server = await startOkxMockServer({ listings: okxVenueListings() });
    process.env.ORDERFLOW_OKX_WS_URL = server.wsUrl;
    process.env.ORDERFLOW_OKX_REST_URL = server.restUrl;
    try {
      const client = new OkxLiveClient({ symbols: [SWAP], channels: ['trades'], instruments, handlers: { onEvents: () => {} } });
      await client.start();
      await until(() => server.subscribers({ channel: 'trades', instId: SWAP }) === 1, 'subscribed');
      await client.stop();
      assert.equal(server.stats().connections, 1);
    } finally {
      delete process.env.ORDERFLOW_OKX_WS_URL;
      delete process.env.ORDERFLOW_OKX_REST_URL;
      await server.close();
    }
  });
});

describe('okx live: faults', () => {
  afterEach(stopAll);

  it('disconnect: reconnects, resubscribes, and loses or repeats no trade (REST backfill); the book is resynced', async () => {
    const t = await setup();
    for (const e of [...range(1, 10).map((i) => trade(i)), ...bookDiffs(0, 10)]) t.server.publish(e);
    await until(() => t.of('trade').length === 10 && t.of('book').length === 11, 'first events');
    const subscribesBefore = t.server.stats().subscribes;
    t.server.faults.disconnect();
    // Published while the client is away: lost on the socket, kept by the venue.
    for (const e of [...range(11, 20).map((i) => trade(i)), ...bookDiffs(10, 10)]) t.server.publish(e);
    await until(() => t.client.status().every((s) => s.state === 'connected' && s.reconnects === 1), 'reconnected');
    for (const e of [...range(21, 25).map((i) => trade(i)), ...bookDiffs(20, 5)]) t.server.publish(e);
    await until(() => t.of('trade').length >= 25 && t.gaps.some((g) => g.kind === 'disconnect' && g.symbol === SWAP && /trades/.test(g.detail)), 'backfill');
    await sleep(30);
    assert.deepEqual(tradeIds(t), range(1, 25), 'every trade once, in order');
    assert.deepEqual(t.of('trade').map(strip), range(1, 25).map((i) => strip(trade(i))));
    const tradeGap = t.gaps.find((g) => /^trades:/.test(g.detail))!;
    assert.deepEqual([tradeGap.kind, tradeGap.backfilled, tradeGap.fromTs, tradeGap.toTs], ['disconnect', true, T0 + 10, T0 + 21]);
    assert.match(tradeGap.detail, /trade ids 11\.\.20: 10 back-filled/);
    assert.equal(t.server.stats().subscribes - subscribesBefore, 6, 'all six subscriptions renewed');
    assert.deepEqual(bookOf(t.of('book')), bookOf([...bookDiffs(0, 25)]));
    assert.equal(t.of('book').filter((b) => b.isSnapshot).length, 2, 'a new snapshot after the reconnect');
    assert.ok(t.gaps.some((g) => g.kind === 'disconnect' && /^books:/.test(g.detail) && !g.backfilled));
    assert.ok(t.statuses.some((s) => s.state === 'down' && /^\[E_DISCONNECT\] /.test(s.lastError ?? '')));
    await t.stop();
  });

  it('silent stall: no frame and no pong for staleAfterMs -> down, reconnect, connected again', async () => {
    const t = await setup({ staleAfterMs: 150, pingEveryMs: 40 });
    t.server.faults.stall();
    await until(() => t.client.status().every((s) => s.reconnects === 1 && s.state === 'connected'), 'recovered from the stall');
    assert.ok(t.statuses.some((s) => s.state === 'down' && /silent stall/.test(s.lastError ?? '')));
    assert.equal(t.server.stats().connections, 2);
    t.server.publish(trade(1));
    await until(() => t.of('trade').length === 1, 'data after the stall');
    await t.stop();
  });

  it('malformed and truncated frames are counted (message and field named) and skipped; the real frames still arrive', async () => {
    const t = await setup();
    t.server.faults.malformed({ stream: /^trades:/, mode: 'insert' });
    t.server.publish(trade(1));
    t.server.faults.truncated({ stream: /^trades:/, mode: 'insert' });
    t.server.publish(trade(2));
    t.server.faults.malformed({ stream: /^books:/, mode: 'insert' });
    for (const e of bookDiffs(0, 3)) t.server.publish(e);
    t.server.faults.malformed({ stream: /^liquidation-orders:/, mode: 'insert' });
    t.server.publish(liquidation(SWAP, T0 + 3, 'sell'));
    t.server.faults.truncated({ stream: /^mark-price:/, mode: 'insert' });
    t.server.publish(ticker(SWAP, T0 + 4, { markPrice: 30_000 }));
    await until(() => t.of('trade').length === 2 && t.of('book').length === 4 && t.of('liquidation').length === 1 && t.of('ticker').length === 1, 'events');
    assert.deepEqual(tradeIds(t), [1, 2]);
    assert.deepEqual(t.client.status().map((s) => [s.stream, s.parseErrors]).filter(([, n]) => n !== 0).sort(), [
      ['books:BTC-USDT-SWAP', 1], ['liquidation-orders:SWAP', 1], ['mark-price:BTC-USDT-SWAP', 1], ['trades:BTC-USDT-SWAP', 2],
    ]);
    assert.match(t.stream('books:BTC-USDT-SWAP').lastError!, /^\[E_\w+\] books:BTC-USDT-SWAP frame 2: .*field data\[0\]\.ts/);
    assert.match(t.stream('liquidation-orders:SWAP').lastError!, /field data\[0\]\.details\[0\]\.sz, value "not-a-number"/);
    assert.match(t.stream('mark-price:BTC-USDT-SWAP').lastError!, /invalid JSON/);
    assert.equal(t.stream('books:BTC-USDT-SWAP').resyncs, 0);
    assert.deepEqual(bookOf(t.of('book')), bookOf([...bookDiffs(0, 3)]));
    assert.ok(t.client.status().every((s) => s.state === 'connected'));
    await t.stop();
  });

  it('a trade frame lost (replaced by a malformed one) is back-filled from REST', async () => {
    const t = await setup();
    t.server.publish(trade(1));
    t.server.faults.malformed({ stream: /^trades:/ });
    t.server.publish(trade(2));
    t.server.publish(trade(3));
    await until(() => t.of('trade').length === 3, 'backfill');
    assert.deepEqual(tradeIds(t), [1, 2, 3]);
    assert.deepEqual(t.gaps.map((g) => [g.kind, g.backfilled, g.fromTs, g.toTs]), [['trade_id_gap', true, T0 + 1, T0 + 3]]);
    assert.equal(t.stream('trades:BTC-USDT-SWAP').parseErrors, 1);
    // The recovered trade reaches the raw capture as a flagged trades push in the stream's shape; a
    // re-import keeps it out (out of time order in a capture, and the store has it).
    assert.equal(t.rest.length, 1);
    const { backfill, ...frame } = JSON.parse(t.rest[0]) as { backfill: string };
    assert.equal(backfill, 'GET /api/v5/market/history-trades');
    const parser = () => createOkxParser(context('capture', { instruments }));
    const strip = ({ localTs: _, ...e }: MarketEvent) => e;
    assert.deepEqual((parser().parse(frame, NaN) as TradeEvent[]).map(strip), t.of('trade').filter((e) => e.id === '2').map(strip));
    assert.equal(parser().parse(JSON.parse(t.rest[0]), NaN), null);
    await t.stop();
  });

  it('duplicated frames are not delivered twice (trade id, book link, liquidation, ticker content)', async () => {
    const t = await setup();
    for (const channel of ['trades', 'books', 'liquidation-orders', 'mark-price']) t.server.faults.duplicate({ stream: new RegExp(`^${channel}:`) });
    t.server.publish(trade(1));
    t.server.publish(trade(2));
    for (const e of bookDiffs(0, 4)) t.server.publish(e);
    t.server.publish(liquidation(SWAP, T0 + 3, 'buy'));
    t.server.publish(ticker(SWAP, T0 + 4, { markPrice: 30_000 }));
    t.server.publish(trade(3));
    await until(() => t.of('trade').length === 3 && t.stream('mark-price:BTC-USDT-SWAP').messages === 2, 'events');
    await sleep(20);
    assert.deepEqual(tradeIds(t), [1, 2, 3]);
    assert.equal(t.of('liquidation').length, 1);
    assert.equal(t.of('ticker').length, 1);
    assert.equal(t.of('book').length, 5);
    assert.equal(t.stream('books:BTC-USDT-SWAP').resyncs, 0);
    assert.deepEqual(bookOf(t.of('book')), bookOf([...bookDiffs(0, 4)]));
    assert.deepEqual(t.gaps, []);
    await t.stop();
  });

  it('out of order: trades are put back in id order in-band; a book update out of order breaks the link -> resync', async () => {
    const t = await setup({ backfillDelayMs: 300 });
    t.server.publish(trade(0));
    await until(() => t.of('trade').length === 1, 'first trade');
    t.server.faults.reorder({ stream: /^trades:/ });
    for (const i of range(1, 5)) t.server.publish(trade(i));
    await until(() => t.of('trade').length === 6, 'trades');
    assert.deepEqual(tradeIds(t), range(0, 5));
    assert.equal(t.server.stats().restRequests, 1, 'only the open-interest seed: no backfill was needed');
    assert.deepEqual(t.gaps, []);

    for (const e of bookDiffs(0, 2)) t.server.publish(e);
    t.server.faults.reorder({ stream: /^books:/ });
    for (const e of bookDiffs(2, 6)) t.server.publish(e);
    await until(() => t.gaps.some((g) => g.kind === 'sequence_gap') && t.stream('books:BTC-USDT-SWAP').state === 'connected', 'resync');
    assert.deepEqual(bookOf(t.of('book')), bookOf([...bookDiffs(0, 8)]));
    await t.stop();
  });

  it('sequence gap: resync (unsubscribe + subscribe), a new snapshot, and the book equals the reference', async () => {
    const t = await setup();
    const published = [...bookDiffs(0, 30)];
    for (const e of published.slice(0, 10)) t.server.publish(e);
    t.server.faults.sequenceGap({ stream: /^books:/ });
    for (const e of published.slice(10)) t.server.publish(e);
    await until(() => t.gaps.length === 1 && t.stream('books:BTC-USDT-SWAP').state === 'connected', 'resync');
    const s = t.stream('books:BTC-USDT-SWAP');
    assert.deepEqual([s.resyncs, s.gaps], [1, 1]);
    assert.ok(t.statuses.some((x) => x.stream === 'books:BTC-USDT-SWAP' && x.state === 'resyncing' && /^\[E_SEQUENCE\] books:BTC-USDT-SWAP: prevSeqId \d+ does not follow/.test(x.lastError ?? '')));
    const g = t.gaps[0];
    assert.deepEqual([g.kind, g.symbol, g.backfilled], ['sequence_gap', SWAP, false]);
    assert.ok(g.fromTs <= g.toTs);
    assert.ok(t.server.stats().unsubscribes >= 1);
    assert.equal(t.of('book').filter((b) => b.isSnapshot).length, 2);
    assert.deepEqual(bookOf(t.of('book')), bookOf(published));
    await t.stop();
  });

  it('checksum mismatch: resync, gap kind checksum, and the book equals the reference', async () => {
    const t = await setup();
    const published = [...bookDiffs(0, 20)];
    for (const e of published.slice(0, 5)) t.server.publish(e);
    t.server.faults.checksumMismatch({ stream: /^books:/ });
    for (const e of published.slice(5)) t.server.publish(e);
    await until(() => t.gaps.length === 1 && t.stream('books:BTC-USDT-SWAP').state === 'connected', 'resync');
    assert.equal(t.gaps[0].kind, 'checksum');
    assert.match(t.gaps[0].detail, /checksum -?\d+, local book of the best 25 levels gives -?\d+/);
    assert.ok(t.statuses.some((x) => x.state === 'resyncing' && /^\[E_CHECKSUM\] books:BTC-USDT-SWAP: /.test(x.lastError ?? '')));
    assert.equal(t.stream('books:BTC-USDT-SWAP').resyncs, 1);
    assert.deepEqual(bookOf(t.of('book')), bookOf(published));
    await t.stop();
  });

  it('a sequence reset after maintenance (seqId < prevSeqId) and idle heartbeats (seqId == prevSeqId) are not breaks', async () => {
    const t = await setup();
    const published = [...bookDiffs(0, 10)];
    for (const e of published.slice(0, 4)) t.server.publish(e);
    t.server.bookHeartbeat(SWAP);
    t.server.resetSequence(SWAP, 3);
    for (const e of published.slice(4)) t.server.publish(e);
    t.server.bookHeartbeat(SWAP);
    await until(() => t.stream('books:BTC-USDT-SWAP').messages === 13, 'frames');
    assert.equal(t.stream('books:BTC-USDT-SWAP').resyncs, 0);
    assert.equal(t.of('book').length, 11, 'heartbeats carry no event');
    assert.ok(t.server.book(SWAP).seqId < 100);
    assert.deepEqual(bookOf(t.of('book')), bookOf(published));
    await t.stop();
  });

  it('REST failing during a backfill: the gap is reported not back-filled, and later trades still flow', async () => {
    const t = await setup();
    t.server.publish(trade(1));
    await until(() => t.of('trade').length === 1, 'first trade');
    t.server.faults.restError({ count: 10 });
    t.server.faults.disconnect();
    for (const i of range(2, 4)) t.server.publish(trade(i));
    await until(() => t.stream('trades:BTC-USDT-SWAP').state === 'connected' && t.server.subscribers({ channel: 'trades', instId: SWAP }) === 1, 'reconnected');
    t.server.publish(trade(5));
    t.server.publish(trade(6));
    await until(() => t.gaps.some((g) => /^trades:/.test(g.detail)) && t.of('trade').length === 3, 'gap reported');
    const g = t.gaps.find((x) => /^trades:/.test(x.detail))!;
    assert.deepEqual([g.kind, g.backfilled], ['disconnect', false]);
    assert.match(g.detail, /trade ids 2\.\.4 \(3\): lost, history-trades failed \(.*history-trades\?.*HTTP 503: .*\(venue code 50001\)\)/);
    assert.deepEqual(tradeIds(t), [1, 5, 6]);
    assert.match(t.stream('trades:BTC-USDT-SWAP').lastError!, /^\[E_BACKFILL\] trades:BTC-USDT-SWAP: GET \/api\/v5\/market\/history-trades\?.*: HTTP 503/);
    await t.stop();
  });

  it('subscription errors are surfaced per stream and do not stop the others', async () => {
    const t = await setup({ symbols: [SWAP, 'NOPE-USDT-SWAP'] }, {}, (server) => {
      server.faults.subscriptionError({ stream: `funding-rate:${SWAP}`, code: '64003', msg: "Your trading fee tier doesn't meet the requirement to access this channel" });
    });
    for (const key of ['trades:NOPE-USDT-SWAP', 'books:NOPE-USDT-SWAP', 'mark-price:NOPE-USDT-SWAP']) {
      const s = t.stream(key);
      assert.equal(s.state, 'down', key);
      assert.match(s.lastError!, /OKX error 60018: Wrong URL or channel:[a-z-]+,instId:NOPE-USDT-SWAP doesn't exist/);
    }
    assert.match(t.stream('funding-rate:BTC-USDT-SWAP').lastError!, /OKX error 64003/);
    assert.equal(t.stream('funding-rate:BTC-USDT-SWAP').state, 'down');
    for (const key of ['trades:BTC-USDT-SWAP', 'books:BTC-USDT-SWAP', 'mark-price:BTC-USDT-SWAP', 'liquidation-orders:SWAP']) assert.equal(t.stream(key).state, 'connected', key);
    t.server.publish(trade(1));
    await until(() => t.of('trade').length === 1, 'trades still flow');
    await t.stop();
  });

  it('slow consumer: a burst read by a slow handler turns the streams lagging, then connected; nothing lost or reordered', async () => {
    let slow = true;
    const t = await setup({
      channels: ['trades'],
      lagWarnMs: 60,
      handlers: {
        onEvents: () => {
          const end = Date.now() + (slow ? 3 : 0);
          while (Date.now() < end);
        },
      },
    });
    const now = Date.now();
    const frames = t.server.burst(range(1, 120).map((i) => trade(i, SWAP, now)));
    assert.equal(frames, 120);
    await until(() => t.of('trade').length === 120, 'burst', 30_000);
    slow = false;
    assert.deepEqual(tradeIds(t), range(1, 120));
    assert.ok(t.statuses.some((s) => s.stream === 'trades:BTC-USDT-SWAP' && s.state === 'lagging'), 'lagging seen');
    // Fresh trades until one arrives within lagWarnMs: on a loaded machine a single one can be
    // 60 ms late on its own, which would leave the stream lagging for a reason that is not the burst.
    let next = 121;
    const fresh = setInterval(() => t.server.publish(trade(next++, SWAP, Date.now())), 20);
    try {
      await until(() => t.stream('trades:BTC-USDT-SWAP').state === 'connected', 'caught up');
    } finally {
      clearInterval(fresh);
    }
    assert.ok(t.stream('trades:BTC-USDT-SWAP').lagMs < 60);
    await t.stop();
  });

  it('notice 64008 (service upgrade): reconnects ahead of the close', async () => {
    const t = await setup();
    t.server.noticeUpgrade();
    await until(() => t.server.stats().connections === 2 && t.client.status().every((s) => s.state === 'connected' && s.reconnects === 1), 'reconnected');
    assert.ok(t.statuses.some((s) => /^\[E_DISCONNECT\] .*: OKX announced it \(notice 64008: /.test(s.lastError ?? '')));
    await t.stop();
  });

  it('stop: every stream down, no reconnect after', async () => {
    const t = await setup();
    await t.client.stop();
    assert.ok(t.client.status().every((s) => s.state === 'down'));
    await sleep(60);
    assert.equal(t.server.stats().connections, 1);
    await t.server.close();
  });
});

describe('okx live: the real 2022 books capture through the client', () => {
  afterEach(stopAll);

  it('replayed raw, every checksum verifies: no resync, and the book equals the one parse.ts builds', async () => {
    const symbols = ['BTC-USD-220527', 'UNI-USD-SWAP', 'BTC-USDT'];
    const t = await setup({ symbols, channels: ['book'] });
    const lines = realLines('okx-v5-ws-books-2022-05-13.jsonl');
    await t.server.replayRaw(lines);
    await until(() => symbols.reduce((n, s) => n + t.stream(`books:${s}`).messages, 0) === 3 + 290, 'replay');
    const parser = createOkxParser(context('x', { instruments }));
    const reference = lines.flatMap((l) => (parser.parse(JSON.parse(l), NaN) ?? []) as BookEvent[]);
    for (const sym of symbols) {
      const s = t.stream(`books:${sym}`);
      assert.deepEqual([s.resyncs, s.parseErrors, s.gaps], [0, 0, 0], sym);
      assert.deepEqual(bookOf(t.of('book', sym)), bookOf(reference.filter((e) => e.symbol === sym)), sym);
    }
    await t.stop();
  });
});

describe('okx live: hostile input', () => {
  afterEach(stopAll);

  const real = [
    { event: 'subscribe', arg: { channel: 'books', instId: SWAP }, connId: 'a4d3ae55' },
    { event: 'error', code: '60018', msg: "Wrong URL or channel:books,instId:X-USDT-SWAP doesn't exist. Please use the correct URL, channel and parameters referring to API document.", connId: 'a' },
    { event: 'notice', code: '64008', msg: 'The connection will soon be closed for a service upgrade. Please reconnect.', connId: 'a' },
    { arg: { channel: 'books', instId: SWAP }, action: 'update', data: [{ asks: [['30001', '2', '0', '1']], bids: [], ts: '1700000000000', checksum: -855196043, prevSeqId: 123456, seqId: 123457 }] },
    { arg: { channel: 'trades', instId: SWAP }, data: [{ instId: SWAP, tradeId: '130639474', px: '42219.9', sz: '12', side: 'buy', ts: '1630048897897', count: '3', source: '0', seqId: 1234 }] },
    { code: '0', msg: '', data: [{ instId: SWAP, side: 'sell', sz: '1', source: '0', px: '29963.2', tradeId: '242720720', ts: '1654161646974' }] },
  ] as Record<string, unknown>[];

  it('the frame readers live.ts adds throw only ParseError, naming the field', () => {
    const readers: ((v: unknown) => unknown)[] = [
      (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? parseOkxEvent(v as Record<string, unknown>) : undefined),
      (v) => okxArgOf(v, 'arg'),
      (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? okxBookSeq(v as Record<string, unknown>, 'data[0]') : undefined),
      (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? okxTradeSpan(v as Record<string, unknown>, 'data[0]') : undefined),
      (v) => okxRestEnvelope(v),
      (v) => okxErrorTarget(typeof v === 'string' ? v : JSON.stringify(v) ?? ''),
    ];
    const inputs = fc.oneof(fc.jsonValue({ maxDepth: 4 }), mutatedFrames(real), mutatedFrames(real.map((r) => (Array.isArray(r.data) ? r.data[0] : r) as Record<string, unknown>)));
    fc.assert(fc.property(inputs, (v) => {
      for (const read of readers) {
        try {
          read(v);
        } catch (e) {
          if (!(e instanceof ParseError)) throw e;
          assert.ok(e.field !== undefined, `no field named: ${e.message}`);
        }
      }
    }), { numRuns: 1500 });
    assert.deepEqual(okxErrorTarget(String(real[1].msg)), { channel: 'books', instId: 'X-USDT-SWAP' });
    assert.deepEqual(okxTradeSpan(((real[4].data as unknown[])[0]) as Record<string, unknown>, 'data[0]'), { first: 130639472, last: 130639474 });
  });

  it('hundreds of mutated, truncated and random frames through the socket: counted, never a crash, the feed goes on', async () => {
    const t = await setup({ channels: ['trades', 'book'] });
    const frames = fc.sample(fc.oneof(
      mutatedFrames(real.slice(3, 5)).map((f) => JSON.stringify(f)),
      mutatedFrames(real.slice(3, 5)).map((f) => JSON.stringify(f).slice(0, 40)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.string(),
    ), { numRuns: 300, seed: 7 });
    await t.server.replayRaw(frames.filter((f) => f.trim() !== ''));
    t.server.publish(trade(999_999_999_999));
    await until(() => t.of('trade').some((e) => e.id === '999999999999'), 'the feed after the garbage');
    const errors = t.client.status().reduce((n, s) => n + s.parseErrors, 0);
    assert.ok(errors > 100, `${errors} parse errors counted`);
    assert.ok(t.client.status().filter((s) => !s.stream.startsWith('connection:')).every((s) => s.state === 'connected' || s.state === 'resyncing'));
    await t.stop();
  });
});

describe('okx live: books without a WebSocket snapshot, the sync watchdog, liquidation replay', () => {
  afterEach(stopAll);
  const BOOKS = 'books:BTC-USDT-SWAP';
  const sameBook = (t: Setup, published: readonly BookEvent[]) => JSON.stringify(bookOf(t.of('book'))) === JSON.stringify(bookOf(published));

  it('no WebSocket snapshot (as OKX announced): the book comes from REST books at its seqId, joined to the updates; a gap resyncs from REST', async () => {
    const published = [...bookDiffs(0, 30)];
    const t = await setup({ bookSnapshotWaitMs: 30 }, { wsBookSnapshot: false }, (s) => {
      for (const e of published.slice(0, 10)) s.publish(e);
    });
    assert.equal(t.of('book').filter((b) => b.isSnapshot).length, 1, 'the REST book is the snapshot event');
    for (const e of published.slice(10, 20)) t.server.publish(e);
    t.server.faults.sequenceGap({ stream: /^books:/ });
    for (const e of published.slice(20)) t.server.publish(e);
    await until(() => t.gaps.length === 1 && t.stream(BOOKS).state === 'connected' && sameBook(t, published), 'resync from REST');
    const s = t.stream(BOOKS);
    assert.deepEqual([s.resyncs, s.gaps], [1, 1]);
    assert.equal(t.gaps[0].kind, 'sequence_gap');
    assert.equal(t.server.stats().unsubscribes, 0, 'no resubscribe: REST repairs it');
    assert.equal(t.of('book').filter((b) => b.isSnapshot).length, 2);
    // Later updates still join the REST book.
    const more = [...bookDiffs(30, 5)];
    for (const e of more) t.server.publish(e);
    await until(() => sameBook(t, [...published, ...more]), 'later updates');
    assert.equal(t.stream(BOOKS).resyncs, 1);
    await t.stop();
  });

  it('watchdog: while REST books fails the book is resyncing (never left connecting) and says why; once REST answers it syncs and reports the gap', async () => {
    const published = [...bookDiffs(0, 10)];
    const t = await setup({ bookSnapshotWaitMs: 20, bookSyncTimeoutMs: 300 }, { wsBookSnapshot: false }, (s) => {
      // Three failures: every attempt of the first request (PacedRest tries 3 times).
      s.faults.restError({ path: '/api/v5/market/books', count: 3 });
      for (const e of published) s.publish(e);
    });
    const mine = t.statuses.filter((x) => x.stream === BOOKS);
    const firstResync = mine.findIndex((x) => x.state === 'resyncing');
    assert.ok(firstResync > 0, 'resyncing reported');
    assert.ok(mine.slice(firstResync).every((x) => x.state !== 'connecting'));
    assert.ok(mine.some((x) => /^\[E_RESYNC\] books:BTC-USDT-SWAP: no book snapshot within 300 ms/.test(x.lastError ?? '')));
    assert.ok(mine.some((x) => /^\[E_REST_STATUS\] /.test(x.lastError ?? '')), 'the REST failure is said');
    assert.equal(t.stream(BOOKS).state, 'connected');
    const g = t.gaps.find((x) => x.kind === 'book_resync');
    assert.ok(g, 'book_resync gap');
    assert.deepEqual([g.symbol, g.backfilled], [SWAP, false]);
    assert.ok(sameBook(t, published));
    await t.stop();
  });

  it('a book that never syncs keeps retrying REST at each watchdog tick', async () => {
    const server = await startOkxMockServer({ listings: okxVenueListings(), wsBookSnapshot: false });
    server.faults.restError({ path: '/api/v5/market/books', count: 1_000 });
    const statuses: StreamStatus[] = [];
    const client = new OkxLiveClient({
      symbols: [SWAP], instruments, channels: ['book'], wsUrl: server.wsUrl, restUrl: server.restUrl, restSpacingMs: 0,
      bookSnapshotWaitMs: 10, bookSyncTimeoutMs: 150, handlers: { onEvents: () => {}, onStatus: (s) => statuses.push(s) },
    });
    try {
      await client.start();
      await until(() => server.stats().restRequests >= 6, 'REST retried', 20_000);
      const s = client.status().find((x) => x.stream === BOOKS)!;
      assert.equal(s.state, 'resyncing');
      assert.ok(s.resyncs >= 2, `${s.resyncs} watchdog resyncs`);
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('liquidation-orders replays recent liquidations on subscribe: those from before the subscription are not delivered (nor again after a restart)', async () => {
    const now = Date.now();
    const old = [liquidation(SWAP, now - 60_000, 'sell'), liquidation(SWAP, now - 30_000, 'buy')];
    const t = await setup({ channels: ['liquidations'], liquidationReplayToleranceMs: 1_000 }, {}, (s) => old.forEach((e) => s.publish(e)));
    const fresh = liquidation(SWAP, Date.now(), 'buy');
    t.server.publish(fresh);
    await until(() => t.stream('liquidation-orders:SWAP').messages === 2 && t.of('liquidation').length >= 1, 'replay and the new one');
    assert.deepEqual(t.of('liquidation').map((e) => e.ts), [fresh.ts]);
    assert.equal(t.raw.filter((r) => r.includes('"liquidation-orders"') && !r.includes('"event"')).length, 2, 'the replay frame was received');
    await t.client.stop();

    // A restart (later than the tolerance): a new client gets the three again from OKX's replay and delivers none.
    await sleep(150);
    const delivered: MarketEvent[] = [];
    const again = new OkxLiveClient({
      symbols: [SWAP], instruments, channels: ['liquidations'], wsUrl: t.server.wsUrl, restUrl: t.server.restUrl, liquidationReplayToleranceMs: 100,
      handlers: { onEvents: (r) => delivered.push(...(r as MarketEvent[])) },
    });
    try {
      await again.start();
      await until(() => again.status().find((x) => x.stream === 'liquidation-orders:SWAP')!.messages === 1, 'replay after restart');
      await sleep(50);
      assert.deepEqual(delivered, []);
    } finally {
      await again.stop();
      await t.stop();
    }
  });
});
