import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { MarketEvent } from '../../src/core/events.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { simConfig, simulate } from '../../src/sim/simulate.ts';
import { BOOK_DEPTH } from '../../src/sim/venue.ts';

const TEN_MIN = 10 * 60_000;

function digest(events: Iterable<MarketEvent>): { hash: string; count: number } {
  const h = createHash('sha256');
  let count = 0;
  for (const e of events) {
    h.update(JSON.stringify(e));
    count++;
  }
  return { hash: h.digest('hex'), count };
}

test('the same config gives the identical event sequence; another seed a different one', () => {
  const a = digest(simulate(simConfig({ scenario: 'quiet', seed: 1, durationMs: TEN_MIN })).events());
  const b = digest(simulate(simConfig({ scenario: 'quiet', seed: 1, durationMs: TEN_MIN })).events());
  const c = digest(simulate(simConfig({ scenario: 'quiet', seed: 2, durationMs: TEN_MIN })).events());
  assert.ok(a.count > 10_000, `a busy market: ${a.count} events in 10 min`);
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, c.hash);
});

test('every event is on its venue grid, in time order, with per-venue increasing ids and sequences', () => {
  const run = simulate(simConfig({ scenario: 'long-cascade', seed: 3, durationMs: 30 * 60_000, startMs: Date.UTC(2026, 0, 6, 12) - 12 * 60_000 }));
  const registry = loadBundledInstruments();
  const grid = new Map<string, { tick: number; lot: number }>();
  for (const [venue, symbol] of Object.entries(run.symbols)) {
    const inst = registry.get(venue as never, symbol!)!;
    grid.set(venue, { tick: inst.tickSize, lot: inst.lotSize * inst.contractValue });
  }
  const on = (x: number, step: number) => Math.abs(x / step - Math.round(x / step)) < 1e-6;
  let last = -Infinity;
  const lastId = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  const firstBook = new Map<string, boolean>();
  const counts: Record<string, number> = {};
  for (const e of run.events()) {
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    assert.ok(e.ts >= last, `ts goes back at ${e.venue} ${e.type} ${e.ts} < ${last}`);
    assert.ok(Number.isInteger(e.ts), 'whole milliseconds, as the wire encoders write them');
    last = e.ts;
    const g = grid.get(e.venue)!;
    assert.equal(e.symbol, run.symbols[e.venue]);
    if (e.type === 'trade' || e.type === 'liquidation') {
      assert.ok(on(e.price, g.tick), `${e.venue} ${e.type} price ${e.price} off tick ${g.tick}`);
      assert.ok(e.qty > 0 && on(e.qty, g.lot), `${e.venue} ${e.type} qty ${e.qty} off lot ${g.lot}`);
    }
    if (e.type === 'trade') {
      const id = Number(e.id);
      assert.ok(id > (lastId.get(e.venue) ?? -1), `${e.venue} trade ids increase`);
      lastId.set(e.venue, id);
    }
    if (e.type === 'book') {
      if (!firstBook.has(e.venue)) assert.equal(e.isSnapshot, true, `${e.venue}: the first book message is a snapshot`);
      firstBook.set(e.venue, true);
      assert.ok(e.seq > (lastSeq.get(e.venue) ?? -1));
      lastSeq.set(e.venue, e.seq);
      assert.ok(e.bids.length <= BOOK_DEPTH[e.venue] && e.asks.length <= BOOK_DEPTH[e.venue], `${e.venue} book depth within the feed's`);
      for (const [p, q] of [...e.bids, ...e.asks]) assert.ok(on(p, g.tick) && q >= 0 && on(q, g.lot), `${e.venue} level [${p}, ${q}] off grid`);
      for (let i = 1; i < e.bids.length; i++) assert.ok(e.bids[i][0] < e.bids[i - 1][0], 'bids descending');
      for (let i = 1; i < e.asks.length; i++) assert.ok(e.asks[i][0] > e.asks[i - 1][0], 'asks ascending');
    }
    if (e.type === 'ticker') {
      assert.ok(e.markPrice > 0 && e.indexPrice > 0 && e.openInterest > 0 && Number.isFinite(e.fundingRate) && e.nextFundingTs > e.ts);
      assert.ok(e.bestBid < e.bestAsk, 'the book never crosses');
    }
  }
  for (const t of ['trade', 'book', 'ticker', 'liquidation']) assert.ok((counts[t] ?? 0) > 0, `some ${t} events: ${JSON.stringify(counts)}`);
});

test('labels are refused before the events are read, and events can be read only once', () => {
  const run = simulate(simConfig({ durationMs: 5000 }));
  assert.throws(() => run.labels(), /complete once events\(\) is exhausted/);
  for (const _ of run.events());
  assert.deepEqual(run.labels(), { scenario: 'quiet', seed: 1, symbol: 'BTC', labels: [] });
  assert.throws(() => run.events(), /once per run/);
});

test('a bad config names the field', () => {
  assert.throws(() => simConfig({ scenario: 'nope' as never }), /scenario "nope"/);
  assert.throws(() => simConfig({ durationMs: 10 }), /durationMs/);
  assert.throws(() => simConfig({ venues: ['binance-spot'] }), /venue "binance-spot"/);
  assert.throws(() => simulate(simConfig({ symbol: 'DOGE' })).events(), /symbol DOGE/);
});
