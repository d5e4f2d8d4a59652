/**
 * The push path's in-memory feed (src/paper/push-feed.ts) with the push clock (watermark.ts): the
 * kernel gets the rows in the store path's order whatever the venues' skew and interleaving, none
 * twice and none missing across the handover from the store, and what the recorder refuses or the
 * store readers skip never reaches it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EMPTY_TICKER_FIELDS, type BookEvent, type MarketEvent, type TickerEvent, type Venue } from '../../src/core/events.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { ReplayRun } from '../../src/engine/replay.ts';
import { bookHash, HASH_P, KIND_TRADE, PushFeed, rowHash, storedMs } from '../../src/paper/push-feed.ts';
import type { FeedMarket } from '../../src/paper/stored-feed.ts';
import { Watermark } from '../../src/paper/watermark.ts';

const VENUES: readonly Venue[] = ['binance', 'okx', 'bybit'];
const SYMBOL: Readonly<Record<string, string>> = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' };
const MARKET: FeedMarket = { venues: VENUES, symbols: ['BTCUSDT', 'BTC-USDT-SWAP'], execVenue: 'binance', execSymbol: 'BTCUSDT', needBook: true, bookFromMs: 0 };
/** The replay merge's tie order at equal ts (src/engine/replay.ts). */
const RANK: Readonly<Record<string, number>> = { trades: 0, liquidations: 1, open_interest: 2, marks: 3, quotes: 4, book: 5 };

/** What the kernel saw, one row per line: kind, ts, the venue (or market) and a value that identifies the row. */
type Seen = readonly [kind: string, ts: number, where: string, value: number];

/** A kernel that notes what it is pushed. */
function kernel(): { engine: Engine; seen: Seen[] } {
  const seen: Seen[] = [];
  const engine = {
    onEvent(run: ReplayRun) {
      if (run.kind === 'timer') return;
      for (let i = run.from; i < run.to; i++) {
        switch (run.kind) {
          case 'trades':
          case 'liquidations':
            seen.push([run.kind, run.cols.ts[i], run.cols.venues[run.cols.venue[i]], run.cols.price[i]]);
            break;
          case 'open_interest':
            seen.push([run.kind, run.cols.ts[i], run.cols.markets[run.cols.market[i]].venue, run.cols.openInterest[i]]);
            break;
          case 'marks':
            seen.push([run.kind, run.cols.ts[i], run.cols.markets[run.cols.market[i]].venue, run.cols.markPrice[i]]);
            break;
          case 'quotes':
            seen.push([run.kind, run.cols.ts[i], run.cols.markets[run.cols.market[i]].venue, run.cols.bid[i]]);
            break;
          case 'book':
            seen.push([run.kind, run.cols.ts[i], run.venue, run.cols.price[run.cols.levelStart[i]]]);
            break;
        }
      }
    },
  } as unknown as Engine;
  return { engine, seen };
}

/** Event `n` of a stream: its value is n, so every row is told apart. */
function event(kind: 'trade' | 'liquidation' | 'ticker' | 'book', venue: Venue, ts: number, n: number): MarketEvent {
  const base = { venue, symbol: SYMBOL[venue], ts, localTs: NaN };
  switch (kind) {
    case 'trade':
      return { type: 'trade', ...base, price: n, qty: 1, side: n % 2 ? 'buy' : 'sell', id: String(n) };
    case 'liquidation':
      return { type: 'liquidation', ...base, price: n, qty: 1, side: 'sell', id: '' };
    case 'ticker':
      return { type: 'ticker', ...base, ...EMPTY_TICKER_FIELDS, markPrice: n, openInterest: n, bestBid: n, bestAsk: n + 1 };
    case 'book':
      return { type: 'book', ...base, isSnapshot: false, bids: [[n, 1]], asks: [], seq: NaN };
  }
}

/** The rows the store readers would give for `events` (arrival order = insertion order), in the replay merge's order. */
function storeOrder(events: readonly MarketEvent[]): Seen[] {
  const rows: { seen: Seen; rank: number; ord: number; arrival: number }[] = [];
  events.forEach((e, arrival) => {
    const ts = storedMs(e.ts);
    const vo = VENUES.indexOf(e.venue);
    const ord = vo * MARKET.symbols.length + MARKET.symbols.indexOf(e.symbol);
    const add = (kind: string, value: number, o: number) => rows.push({ seen: [kind, ts, e.venue, value], rank: RANK[kind], ord: o, arrival });
    if (e.type === 'trade') add('trades', e.price, vo);
    else if (e.type === 'liquidation') add('liquidations', e.price, vo);
    else if (e.type === 'ticker') {
      add('open_interest', e.openInterest, ord);
      add('marks', e.markPrice, ord);
      if (e.venue === MARKET.execVenue) add('quotes', e.bestBid, ord);
    } else if (e.venue === MARKET.execVenue) add('book', e.bids[0][0], 0);
  });
  rows.sort((a, b) => a.seen[1] - b.seen[1] || a.rank - b.rank || a.ord - b.ord || a.arrival - b.arrival);
  return rows.map((r) => r.seen);
}

/**
 * Streams (venue x kind, each in its own time order, starting `skew` ms apart per venue) delivered
 * in `arrival` order, each row released as it comes up to the push clock's watermark, as the
 * session's handler does; returns what the kernel saw and how many rows came late.
 */
function run(streams: readonly MarketEvent[][], arrival: readonly number[], graceMs = Infinity): { seen: Seen[]; late: number; accepted: MarketEvent[] } {
  const feed = new PushFeed(MARKET);
  const clock = new Watermark(-Infinity, { quietMs: 1e9, graceMs });
  const k = kernel();
  const next = streams.map(() => 0);
  const accepted: MarketEvent[] = [];
  // Every stream has spoken before the first release (the session's settle), then any interleaving.
  const order = [...streams.keys(), ...arrival];
  for (const [i, s] of order.entries()) {
    const e = streams[s][next[s]++];
    if (!e) continue;
    const late = feed.late;
    if (feed.add(e)) clock.committed(`${e.venue}:${e.type}`, e.ts, 0);
    if (feed.late === late) accepted.push(e);
    if (i >= streams.length - 1) feed.release(k.engine, clock.advance(0).ts);
  }
  // Every stream delivered: the rest goes (a stop's last step).
  feed.release(k.engine, Infinity);
  return { seen: k.seen, late: feed.late, accepted };
}

const KINDS = ['trade', 'liquidation', 'ticker', 'book'] as const;

/** Per venue and kind a stream of up to `max` rows in time order from the venue's skew; arrival: any interleaving. */
const market = (max: number) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: max }), { minLength: VENUES.length * KINDS.length, maxLength: VENUES.length * KINDS.length }),
      fc.array(fc.nat(VENUES.length * KINDS.length - 1), { maxLength: VENUES.length * KINDS.length * max * 2 }),
    )
    .map(([skew, steps, arrival]) => {
      let n = 0;
      const streams = steps.map((st, s) => {
        const v = VENUES[Math.floor(s / KINDS.length)];
        const kind = KINDS[s % KINDS.length];
        let ts = 1_700_000_000_000 + skew[VENUES.indexOf(v)];
        // Some times with µs, as Bybit and OKX give them.
        return st.map((d) => event(kind, v, (ts += d) + (d % 3 === 0 ? 0.0004 : 0), ++n));
      });
      return { streams, arrival };
    });

describe('push feed', () => {
  it('gives the kernel the store path\'s order whatever the venues\' skew and interleaving, and no row is late', () => {
    fc.assert(
      fc.property(market(12), ({ streams, arrival }) => {
        const r = run(streams, arrival);
        assert.equal(r.late, 0);
        assert.deepEqual(r.seen, storeOrder(r.accepted));
      }),
      { numRuns: 300 },
    );
  });

  it('with a grace, still never pushes out of order: what lags its venue by more is late, and the rest comes in order', () => {
    fc.assert(
      fc.property(market(12), fc.integer({ min: 0, max: 50 }), ({ streams, arrival }, grace) => {
        const r = run(streams, arrival, grace);
        // What was not late is all there, in the store's order (so never a row before an earlier one).
        assert.deepEqual(r.seen, storeOrder(r.accepted));
      }),
      { numRuns: 200 },
    );
  });

  it('a venue running ahead waits for the others: the slow venue\'s rows come before the fast one\'s later rows', () => {
    const fast = [event('trade', 'binance', 1000, 1), event('trade', 'binance', 5000, 2), event('trade', 'binance', 9000, 3)];
    const slow = [event('trade', 'okx', 1500, 4), event('trade', 'okx', 4000, 5), event('trade', 'okx', 9500, 6)];
    // Binance delivers all three before OKX's first.
    const r = run([fast, slow], [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(r.seen.map((s) => s[3]), [1, 4, 5, 2, 3, 6]);
    assert.equal(r.late, 0);
  });

  it('a stall of the process (no frame from anyone) is no stream\'s silence: a stream behind it still holds the watermark', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:trade', 5000, 0);
    w.committed('okx:trade', 3000, 0);
    // 5 s without a frame (a long push held the loop), then Binance's buffered frames first.
    w.unheard(5000);
    w.committed('binance:trade', 9000, 5000);
    assert.equal(w.advance(5000).ts, 3000, 'OKX, whose frames wait in its socket, still holds it');
    // Without the stall taken out, OKX would count as silent for 5 s and Binance's time would pass its unread rows.
    const naive = new Watermark(-Infinity, { quietMs: 1000 });
    naive.committed('binance:trade', 5000, 0);
    naive.committed('okx:trade', 3000, 0);
    naive.committed('binance:trade', 9000, 5000);
    assert.equal(naive.advance(5000).ts, 9000);
    // A stream silent while others are heard is quiet as before.
    w.committed('binance:trade', 9500, 6500);
    assert.equal(w.advance(6500).ts, 9500);
  });

  it('hands over from the store at a time: rows before it are dropped (the store gave them), rows from it on go, none twice', () => {
    const feed = new PushFeed(MARKET);
    const k = kernel();
    const rows = [100, 200, 300, 300.0004, 400].map((ts, i) => event('trade', 'binance', ts, i + 1));
    for (const e of rows) feed.add(e);
    assert.equal(feed.handOver(300), 2);
    // A row arriving after the handover stamped before it is late: the store gave the kernel that span.
    assert.equal(feed.add(event('trade', 'binance', 299.999, 7)), false);
    assert.equal(feed.late, 1);
    feed.add(event('trade', 'binance', 350, 6));
    assert.equal(feed.release(k.engine, 300), 0, 'nothing before the handover point again');
    assert.equal(feed.release(k.engine, 400), 3);
    assert.deepEqual(k.seen.map((s) => s[3]), [3, 4, 6]);
    feed.release(k.engine, Infinity);
    assert.deepEqual(k.seen.map((s) => s[3]), [3, 4, 6, 5]);
    assert.equal(feed.held, 0);
  });

  it('refuses what the recorder refuses and skips what the store readers skip', () => {
    const feed = new PushFeed(MARKET);
    const k = kernel();
    const bad = { ...(event('trade', 'okx', 10, 1) as Extract<MarketEvent, { type: 'trade' }>), price: NaN };
    assert.equal(feed.add(bad), false, 'a trade without a price is dead-lettered by the recorder');
    assert.equal(feed.refused, 1);
    assert.equal(feed.add({ ...event('liquidation', 'okx', 10, 2), symbol: 'ETH-USDT-SWAP' }), false, 'OKX sends every swap\'s liquidations');
    assert.equal(feed.add(event('book', 'okx', 10, 3)), false, 'only the execution market\'s book');
    assert.equal(feed.add({ ...(event('ticker', 'okx', 10, 4) as TickerEvent), markPrice: NaN, openInterest: NaN }), false, 'a ticker row no reader takes');
    assert.equal(feed.add({ type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: 10, localTs: NaN, isSnapshot: false, bids: [], asks: [], seq: 1 }), false, 'a book message without levels stores no row');
    assert.equal(feed.add(event('trade', 'okx', 11, 5)), true);
    feed.release(k.engine, Infinity);
    assert.deepEqual(k.seen, [['trades', 11, 'okx', 5]]);
  });

  it('tallies for the shadow check what it released and the late rows of a span not taken yet: counts and the sum of their hashes', () => {
    const feed = new PushFeed(MARKET);
    const k = kernel();
    const h = (ts: number, n: number) => rowHash(KIND_TRADE, storedMs(ts), 0, n, 1, n % 2 ? 1 : 2);
    feed.handOver(100);
    for (const [ts, n] of [[150, 1], [250, 2], [350, 3]]) feed.add(event('trade', 'binance', ts, n));
    feed.release(k.engine, 300);
    // Late for the kernel, but in the span not taken yet: the store will have it when it is checked.
    assert.equal(feed.add(event('trade', 'binance', 200, 4)), false);
    const a = feed.takeShadow();
    assert.deepEqual(a, { from: 100, to: 300, n: 3, h: (h(150, 1) + h(250, 2) + h(200, 4)) % HASH_P });
    // Late for a span already taken: not in the next span's tally, counted apart.
    assert.equal(feed.add(event('trade', 'binance', 220, 5)), false);
    assert.equal(feed.lateSinceTake, 1);
    feed.release(k.engine, 400);
    assert.deepEqual(feed.takeShadow(), { from: 300, to: 400, n: 1, h: h(350, 3) });
    assert.equal(feed.lateSinceTake, 0);
    assert.deepEqual(feed.takeShadow(), { from: 400, to: 400, n: 0, h: 0 });
  });

  it('tallies book messages for the shadow check as their level rows: released, and late in a span not taken yet', () => {
    const feed = new PushFeed(MARKET);
    const k = kernel();
    const msg = (ts: number, n: number) => ({ ...(event('book', 'binance', ts, n) as BookEvent), asks: [[n + 1, 2]] as [number, number][] });
    feed.handOver(100);
    feed.add(msg(150, 1));
    feed.add(msg(250, 2));
    feed.release(k.engine, 200);
    assert.equal(feed.add(msg(180, 3)), false, 'late');
    assert.deepEqual(feed.takeShadow(), { from: 100, to: 200, n: 4, h: (bookHash(150, msg(150, 1)) + bookHash(180, msg(180, 3))) % HASH_P });
    assert.equal(feed.add(msg(190, 4)), false, 'late for a span taken');
    assert.equal(feed.lateSinceTake, 2, 'its two levels');
    feed.release(k.engine, 300);
    assert.deepEqual(feed.takeShadow(), { from: 200, to: 300, n: 2, h: bookHash(250, msg(250, 2)) });
  });
});
