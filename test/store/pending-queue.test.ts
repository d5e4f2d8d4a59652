/** The recorder's pending queue: byte estimates close to V8's heap, drops oldest-first keeping gap rows, put-back in order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MarketEvent } from '../../src/core/events.ts';
import { PendingQueue, rowBytes, type PendingRow } from '../../src/store/pending-queue.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes per row actually held by `n` rows from `make`, and the estimate. */
function measure(n: number, make: (i: number) => MarketEvent): { actual: number; estimate: number } {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep: MarketEvent[] = new Array(n);
  let estimate = 0;
  for (let i = 0; i < n; i++) estimate += rowBytes((keep[i] = make(i)));
  gc();
  gc();
  const actual = (process.memoryUsage().heapUsed - before) / n;
  assert.equal(keep.length, n);
  return { actual, estimate: estimate / n };
}

const T = 1_786_310_819_681;

describe('pending queue', () => {
  it('estimates within a third of the heap the rows hold (trades and book diffs parsed from JSON, as the connectors build them)', () => {
    const trades = measure(100_000, (i) => {
      const w = JSON.parse(`{"instId":"BTC-USDT-SWAP","tradeId":"${1_000_000 + i}","px":"${65_000 + i * 0.1}","sz":"0.${i % 97}","side":"buy","ts":"${T + i}"}`);
      return { type: 'trade', venue: 'okx', symbol: w.instId, ts: +w.ts, localTs: T + i + 0.5, price: +w.px, qty: +w.sz * 0.01, side: w.side, id: w.tradeId };
    });
    const books = measure(50_000, (i) => {
      const w = JSON.parse(`{"s":"BTCUSDT","b":[["65000.${i % 10}","1.${i % 7}"],["64999.5","2.5"],["64999","0.1"]],"a":[["65001","1"],["65002.5","2"]]}`);
      const lv = (l: string[][]) => l.map(([p, q]) => [+p, +q] as [number, number]);
      return { type: 'book', venue: 'binance', symbol: w.s, ts: T + i + 0.25, localTs: T + i + 0.5, isSnapshot: false, bids: lv(w.b), asks: lv(w.a), seq: i * 3.5 };
    });
    for (const [what, m] of [['trade', trades], ['book', books]] as const) {
      assert.ok(m.estimate > m.actual / 1.34 && m.estimate < m.actual * 1.34, `${what}: estimate ${m.estimate.toFixed(0)} vs ${m.actual.toFixed(0)} bytes per row`);
    }
  });

  it('drops the oldest events down to the target, keeps gap rows, and reports each stream range', () => {
    const q = new PendingQueue();
    const trade = (i: number, symbol: string): PendingRow => ({ type: 'trade', venue: 'bybit', symbol, ts: T + i, localTs: T + i, price: 1, qty: 1, side: 'buy', id: String(i) });
    q.push(trade(0, 'A'), undefined);
    q.push({ type: 'gap', gap: { venue: 'bybit', symbol: 'A', kind: 'disconnect', fromTs: T, toTs: T + 1, backfilled: false, detail: 'closed' } }, undefined);
    for (let i = 1; i < 100; i++) q.push(trade(i, i % 2 ? 'A' : 'B'), `frame ${i}`);
    const target = q.bytes / 2;
    const spans = q.dropOldest(target);
    assert.ok(q.bytes <= target);
    const left = q.take();
    assert.equal(left.rows[0].type, 'gap', 'the gap row survives, in front');
    const firstKept = (left.rows[1] as { ts: number }).ts - T;
    const dropped = spans.reduce((n, s) => n + s.count, 0);
    assert.equal(dropped + left.rows.length - 1, 100);
    assert.equal(firstKept, dropped, 'the oldest went, in order');
    const a = spans.find((s) => s.symbol === 'A')!;
    assert.deepEqual([a.fromTs - T, a.toTs - T], [0, firstKept % 2 ? firstKept - 2 : firstKept - 1]);
    assert.equal(left.frames[1], `frame ${firstKept}`, 'frames stay with their rows');
  });

  it('puts ranges back in front of what arrived since, in order, with their bytes', () => {
    const q = new PendingQueue();
    const row = (i: number): PendingRow => ({ type: 'ticker', venue: 'okx', symbol: 'X', ts: T + i, localTs: T + i } as PendingRow);
    for (let i = 0; i < 10; i++) q.push(row(i), undefined);
    const b = q.take();
    assert.equal(q.bytes, 0);
    q.push(row(10), undefined);
    q.putBack(b, [[2, 4], [7, 9]]);
    const again = q.take();
    assert.deepEqual(again.rows.map((r) => (r as { ts: number }).ts - T), [2, 3, 7, 8, 10]);
    assert.equal(again.bytes, again.costs.reduce((s, c) => s + c, 0));
  });
});
