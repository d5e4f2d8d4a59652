/**
 * Fills a venue would give (the simulated venue, broker.ts): entries that go stale, the bracket
 * re-checked against the fill price, market orders filled by trades on their own side or at the
 * quoted best bid/ask (bookTicker) read from a real capture.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Broker, type BrokerOptions } from '../../src/engine/broker.ts';
import { parseConfig } from '../../src/engine/config.ts';
import { Engine } from '../../src/engine/engine.ts';
import { seedStrategy } from '../../src/engine/seed-strategy.ts';
import { L2Book } from '../../src/features/book.ts';
import type { QuoteColumns } from '../../src/core/columns.ts';
import { readQuotes } from '../../src/store/ticker-reader.ts';
import { columns } from '../features/trades.ts';
import { importInto, openTempStore } from '../helpers/store.ts';
import type { EntryRequest } from '../../src/engine/execution.ts';
import type { RunOrder, RunTrade } from '../../src/engine/run-types.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';

const INST = loadBundledInstruments().get('binance', 'BTCUSDT')!;
const T0 = Date.UTC(2024, 0, 1, 1, 30);
const S = 1000;
const M = 60_000;
const BUY = 1;
const SELL = -1;

function broker(over: Partial<BrokerOptions> = {}): { b: Broker; orders: RunOrder[]; trades: RunTrade[] } {
  const orders: RunOrder[] = [];
  const trades: RunTrade[] = [];
  const b = new Broker(
    { venue: 'binance', symbol: 'BTCUSDT', instrument: INST, initialEquity: 10_000, latencyMs: 150, slippageBps: 2, limitFill: 'through', fees: true, slippage: true, ...over },
    { onOrder: (o) => orders.push(o), onTradeClosed: (t) => trades.push(t) },
  );
  return { b, orders, trades };
}

/** One trade of the execution market into the broker (its columns: one row). */
function trade(b: Broker, ts: number, price: number, side: number, markFresh: boolean): void {
  b.onTrade(columns([[ts, price, 1, side]]), 0, markFresh);
}

const long = (over: Partial<EntryRequest> = {}): EntryRequest => ({ side: 'long', qty: 10, leverage: 3, stop: 98, target: 102, timeStopTs: Infinity, signalId: 1, signal: 'absorption', session: 'asia', ...over });

describe('fills: stale entries', () => {
  it('an entry not filled within staleAfter of its decision is cancelled, never filled when trading resumes', () => {
    const { b, orders, trades } = broker();
    trade(b, T0 - S, 100, BUY, false);
    b.enter(T0, long());
    // No trade for 90 minutes; the minute timers run.
    for (let t = T0 + M; t <= T0 + 90 * M; t += M) b.onTime(t);
    trade(b, T0 + 90 * M + S, 100, BUY, false);
    assert.deepEqual(
      orders.map((o) => [o.reason, o.status, o.rejectReason]),
      [['entry', 'cancelled', 'stale: not filled within 5000 ms of the decision']],
    );
    assert.equal(b.position, undefined);
    assert.equal(trades.length, 0);
    assert.equal(b.busy, false);
  });

  it('is checked on trades too, and the limit is configurable', () => {
    const quick = broker();
    quick.b.enter(T0, long());
    trade(quick.b, T0 + 6 * S, 100, BUY, false);
    assert.equal(quick.orders[0].status, 'cancelled');
    const patient = broker({ staleAfterMs: 10 * S });
    patient.b.enter(T0, long());
    trade(patient.b, T0 + 6 * S, 100, BUY, false);
    assert.equal(patient.orders[0].status, 'filled');
    assert.equal(patient.orders[0].fillTs, T0 + 6 * S);
  });
});

describe('fills: the bracket against the fill price', () => {
  it('a target the entry filled beyond goes to the market as a taker, not to rest as a maker at its limit', () => {
    const { b, orders, trades } = broker();
    trade(b, T0 - S, 100, BUY, false);
    b.enter(T0, long({ target: 102 }));
    // The market gapped: the entry fills at 103 (+ 2 bps), above the 102 target.
    trade(b, T0 + S, 103, BUY, false);
    trade(b, T0 + 2 * S, 103, BUY, false);
    trade(b, T0 + 3 * S, 103, SELL, false);
    const exit = orders.find((o) => o.reason === 'target')!;
    assert.deepEqual([exit.type, exit.status, exit.fillTs], ['market', 'filled', T0 + 3 * S]);
    assert.ok(Math.abs(exit.fillPrice! - 103 * (1 - 2e-4)) < 1e-9, `${exit.fillPrice}`);
    assert.ok(Math.abs(exit.fee - 10 * exit.fillPrice! * INST.takerFee) < 1e-9, 'taker fee');
    assert.equal(trades[0].exitReason, 'target');
  });

  it('a resting take-profit fills on the first trade that reaches it: at its price with limitFill touch, only beyond it with through', () => {
    for (const limitFill of ['touch', 'through'] as const) {
      const { b, orders, trades } = broker({ limitFill });
      trade(b, T0 - S, 100, BUY, true);
      b.enter(T0, long({ target: 102 }));
      trade(b, T0 + S, 100, BUY, true);
      // The target rests from here; trades short of it (either side, after its arrival) leave it resting.
      for (let k = 2; k < 6; k++) trade(b, T0 + k * S, 101 + k / 10, k % 2 ? SELL : BUY, true);
      assert.equal(trades.length, 0, `${limitFill}: nothing closed below the target`);
      trade(b, T0 + 6 * S, 102, BUY, true);
      trade(b, T0 + 7 * S, 102.5, BUY, true);
      const exit = orders.find((o) => o.reason === 'target')!;
      assert.deepEqual([exit.type, exit.status, exit.fillPrice], ['limit', 'filled', 102], limitFill);
      assert.equal(exit.fillTs, limitFill === 'touch' ? T0 + 6 * S : T0 + 7 * S, limitFill);
      assert.equal(trades[0].exitReason, 'target');
    }
  });

  it('a stop the entry filled beyond exits at once', () => {
    // The recorded book asks 97.5 (below the 98 stop) while trades print at 99: the entry walks the
    // book to 97.5. The trade price never reaches the stop; the fill price is beyond it.
    const { b, orders, trades } = broker();
    const book = new L2Book(0.1);
    book.apply({ length: 1, ts: Float64Array.of(T0), isSnapshot: Uint8Array.of(1), seq: Float64Array.of(NaN), levelStart: Uint32Array.of(0, 2), side: Int8Array.of(1, -1), price: Float64Array.of(97.4, 97.5), qty: Float64Array.of(100, 100) }, 0);
    trade(b, T0 - S, 99, BUY, false);
    b.onBook(T0, book);
    b.enter(T0, long({ stop: 98, target: 105 }));
    trade(b, T0 + S, 99, BUY, false);
    trade(b, T0 + 2 * S, 99, SELL, false);
    assert.deepEqual(
      orders.map((o) => [o.reason, o.type, o.status, o.fillPrice]),
      [
        ['entry', 'market', 'filled', 97.5],
        ['stop', 'market', 'filled', 97.4],
      ],
    );
    assert.equal(trades[0].exitReason, 'stop');
  });
});

describe('fills: market orders without a book', () => {
  it('a buy fills on the next buy-aggressor trade, a sell on the next sell-aggressor one, with the slippage on top', () => {
    const { b, orders } = broker();
    trade(b, T0 - S, 100, BUY, false);
    b.enter(T0, long({ target: null, stop: 90 }));
    trade(b, T0 + S, 99.9, SELL, false); // hits the bid: no seller fills our buy
    trade(b, T0 + 2 * S, 100.1, BUY, false);
    assert.deepEqual([orders[0].fillTs, orders[0].fillPrice], [T0 + 2 * S, 100.1 * (1 + 2e-4)]);
    b.exit(T0 + 3 * S, 'strategy');
    trade(b, T0 + 4 * S, 100.2, BUY, false);
    trade(b, T0 + 5 * S, 100, SELL, false);
    assert.deepEqual([orders[1].fillTs, orders[1].fillPrice], [T0 + 5 * S, 100 * (1 - 2e-4)]);
  });
});

describe('fills: half the spread from bookTicker', () => {
  it('with a fresh quote a buy pays the ask and a sell the bid (+ slippage), on the next trade whatever its side', () => {
    const { b, orders } = broker();
    trade(b, T0 - S, 100, BUY, false);
    b.onQuote(T0 - S, 99.8, 100.2);
    b.enter(T0, long({ target: null, stop: 90 }));
    trade(b, T0 + S, 99.8, SELL, false);
    assert.deepEqual([orders[0].fillTs, orders[0].fillPrice], [T0 + S, 100.2 * (1 + 2e-4)]);
    b.onQuote(T0 + 2 * S, 99.9, 100.1);
    b.exit(T0 + 2 * S, 'strategy');
    trade(b, T0 + 3 * S, 100.1, BUY, false);
    assert.deepEqual([orders[1].fillTs, orders[1].fillPrice], [T0 + 3 * S, 99.9 * (1 - 2e-4)]);
  });

  it('a stale quote is not used: the trade-side rule applies', () => {
    const { b, orders } = broker();
    trade(b, T0 - S, 100, BUY, false);
    b.onQuote(T0 - 10 * S, 99.8, 100.2);
    b.enter(T0, long({ target: null, stop: 90 }));
    trade(b, T0 + S, 99.8, SELL, false);
    trade(b, T0 + 2 * S, 100, BUY, false);
    assert.deepEqual([orders[0].fillTs, orders[0].fillPrice], [T0 + 2 * S, 100 * (1 + 2e-4)]);
  });

  it('the kernel hands the execution market\'s quotes to the venue; the store reads them from a real bookTicker capture', async () => {
    const c = parseConfig({ nullModel: { seeds: 0 } });
    const rows: [number, number, number, 1 | -1][] = [];
    for (let t = T0 - M; t < T0 + M; t += S) rows.push([t, 100, 1, (t / S) % 2 ? 1 : -1]);
    const q = (venue: 'binance' | 'okx', ts: number[], bid: number, ask: number): QuoteColumns => ({ length: ts.length, ts: Float64Array.from(ts), bid: new Float64Array(ts.length).fill(bid), ask: new Float64Array(ts.length).fill(ask), market: new Uint16Array(ts.length), markets: [{ venue, symbol: 'BTCUSDT' }] });
    const inject = [{ ts: T0, make: () => ({ type: 'absorption', direction: 'long' as const, level: 99, venue: 'binance', zone: { low: 99, high: 100, side: 'long' as const, source: 'realized' as const }, timeframeMs: null, evidence: { kind: 'cascade-stop' } }) }];
    const entry = async (quotes: QuoteColumns) => {
      const r = await new Engine(c, { venues: ['binance'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST }, seedStrategy(c), { injected: inject }).run({ trades: [columns(rows)], quotes });
      return r.orders.find((o) => o.reason === 'entry')!.fillPrice;
    };
    const quoteTimes = Array.from({ length: 120 }, (_, k) => T0 - M + k * S + 500);
    assert.ok(Math.abs((await entry(q('binance', quoteTimes, 99.95, 100.05)))! - 100.05 * (1 + 2e-4)) < 1e-9);
    // Another market's quotes are not the execution market's.
    assert.ok(Math.abs((await entry(q('okx', quoteTimes, 99.95, 100.05)))! - 100 * (1 + 2e-4)) < 1e-9);

    const store = await openTempStore();
    await importInto(store, fileURLToPath(new URL('../fixtures/binance/binance-um-ws-bookTicker-2021-07-22-head30.jsonl', import.meta.url)));
    const want = readFileSync(fileURLToPath(new URL('../fixtures/binance/binance-um-ws-bookTicker-2021-07-22-head30.jsonl', import.meta.url)), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { data: { s: string; b: string; a: string; T: number } }).data)
      .filter((d) => d.s === 'SUSHIUSDT');
    const got = await readQuotes(store, { venues: ['binance'], symbols: ['SUSHIUSDT'] });
    assert.ok(want.length >= 2);
    assert.deepEqual(
      Array.from({ length: got.length }, (_, k) => [got.ts[k], got.bid[k], got.ask[k]]),
      want.map((d) => [d.T, Number(d.b), Number(d.a)]),
    );
  });
});

describe('fills: small ones', () => {
  it('an exit asked for while the entry is in flight closes the position the moment the entry fills', () => {
    const { b, orders, trades } = broker();
    trade(b, T0 - S, 100, BUY, false);
    b.enter(T0, long());
    b.exit(T0 + 50, 'strategy');
    trade(b, T0 + S, 100, BUY, false);
    trade(b, T0 + 2 * S, 100, SELL, false);
    assert.deepEqual(
      orders.map((o) => [o.reason, o.ts, o.status]),
      [
        ['entry', T0, 'filled'],
        ['strategy', T0 + S, 'filled'],
      ],
    );
    assert.equal(trades[0].exitReason, 'strategy');
    // An entry that goes stale takes the pending exit with it: the next entry is not closed.
    const s = broker();
    s.b.enter(T0, long());
    s.b.exit(T0 + 50, 'strategy');
    s.b.onTime(T0 + M);
    s.b.enter(T0 + M, long());
    trade(s.b, T0 + M + S, 100, BUY, false);
    assert.deepEqual(
      s.orders.map((o) => [o.reason, o.status]),
      [
        ['entry', 'cancelled'],
        ['entry', 'filled'],
      ],
    );
    assert.ok(s.b.position);
  });

  it('a zero latency is a warning in the result', async () => {
    const c = parseConfig({ nullModel: { seeds: 0 }, execution: { latencyMs: 0 } });
    const r = await new Engine(c, { venues: ['binance'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST }, seedStrategy(c)).run({ trades: [columns([[T0, 100, 1, 1]])] });
    assert.ok(r.warnings.some((w) => /latencyMs is 0/.test(w)), JSON.stringify(r.warnings));
  });
});

describe('fills: config', () => {
  it('a stale limit no longer than the latency is refused, naming the key', () => {
    assert.throws(() => parseConfig({ execution: { latencyMs: 5000, staleAfter: '5s' } }), /execution\.staleAfter.*longer than execution\.latencyMs/);
    assert.equal(parseConfig({ execution: { latencyMs: 5000, staleAfter: '6s' } }).execution.staleAfter, 6000);
  });
});
