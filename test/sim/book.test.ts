import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ASK, BID, OrderBook } from '../../src/sim/book.ts';

test('a market order fills resting orders in price-time priority and names each maker', () => {
  const b = new OrderBook(1000, 4);
  b.add(ASK, 101, 5, 7); // first at 101
  b.add(ASK, 101, 3, 8); // second at 101
  b.add(ASK, 100, 2, 9); // better price
  const filled = b.market(BID, 8, 1, 10);
  assert.equal(filled, 8);
  assert.deepEqual([...b.fillLevel.subarray(0, b.fillCount)], [100, 101, 101]);
  assert.deepEqual([...b.fillLots.subarray(0, b.fillCount)], [2, 5, 1]);
  assert.deepEqual([...b.fillOwner.subarray(0, b.fillCount)], [9, 7, 8]);
  assert.equal(b.bestAsk, 101);
  assert.equal(b.lotsAt(ASK, 101), 2);
});

test('post-only: a limit order that would cross is refused; a taker skips its own resting orders', () => {
  const b = new OrderBook(1000);
  b.add(BID, 99, 4, 1);
  b.add(ASK, 100, 4, 2);
  assert.equal(b.add(BID, 100, 1, 3), -1);
  assert.equal(b.add(ASK, 99, 1, 3), -1);
  b.add(ASK, 100, 4, 5);
  const filled = b.market(BID, 6, 2, 10);
  assert.equal(filled, 4);
  assert.deepEqual([...b.fillOwner.subarray(0, b.fillCount)], [5]);
  assert.equal(b.bestAsk, 1000, 'the own order was removed, not traded');
});

test('cancel removes the order, updates the best price and lists the level as changed', () => {
  const b = new OrderBook(1000);
  const a = b.add(BID, 50, 3, 1);
  b.add(BID, 40, 3, 1);
  b.takeDirty();
  assert.equal(b.cancel(a), 3);
  assert.equal(b.bestBid, 40);
  assert.deepEqual([...b.takeDirty()], [50]);
  assert.equal(b.cancel(a), 0, 'a dead order cancels nothing');
});

test('fills conserve quantity: what rests minus what is taken is what rests after (any orders)', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ level: fc.integer({ min: 0, max: 60 }), lots: fc.integer({ min: 1, max: 20 }), owner: fc.integer({ min: 1, max: 5 }) }), { maxLength: 60 }), fc.integer({ min: 1, max: 400 }), (orders, take) => {
      const b = new OrderBook(64, 8);
      let resting = 0;
      for (const o of orders) if (b.add(ASK, o.level, o.lots, o.owner) >= 0) resting += o.lots;
      const filled = b.market(BID, take, 99, 1000);
      let sum = 0;
      for (let i = 0; i < b.fillCount; i++) sum += b.fillLots[i];
      let after = 0;
      for (let l = 0; l < 64; l++) after += b.lotsAt(ASK, l);
      assert.equal(sum, filled);
      assert.equal(after, resting - filled);
      assert.equal(filled, Math.min(take, resting));
    }),
  );
});

/** Adds, cancels (of an order added before) and market sweeps on a 100-level window. */
const bookOp = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), side: fc.constantFrom(BID, ASK), level: fc.integer({ min: 0, max: 99 }), lots: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('market' as const), side: fc.constantFrom(BID, ASK), lots: fc.integer({ min: 1, max: 40 }) }),
);

type BookOp = typeof bookOp extends fc.Arbitrary<infer T> ? T : never;

/** `ops` applied to `b` in order, `after` called after each. */
function applyOps(b: OrderBook, ops: readonly BookOp[], after?: () => void): void {
  const ids: number[] = [];
  for (const o of ops) {
    if (o.kind === 'add') {
      const id = b.add(o.side, o.level, o.lots, 1);
      if (id >= 0) ids.push(id);
    } else if (o.kind === 'cancel') {
      if (ids.length > 0) b.cancel(ids[o.pick % ids.length]);
    } else b.market(o.side, o.lots, 2, 1000);
    after?.();
  }
}

test('the best bid and ask are the highest and lowest non-empty levels after any adds, cancels and sweeps (window not a multiple of 32)', () => {
  fc.assert(
    fc.property(fc.array(bookOp, { maxLength: 120 }), (ops) => {
      const size = 100;
      const b = new OrderBook(size, 4);
      applyOps(b, ops, () => {
        let bid = -1;
        for (let l = size - 1; l >= 0 && bid < 0; l--) if (b.lotsAt(BID, l) > 0) bid = l;
        let ask = size;
        for (let l = 0; l < size && ask === size; l++) if (b.lotsAt(ASK, l) > 0) ask = l;
        assert.equal(b.bestBid, bid);
        assert.equal(b.bestAsk, ask);
      });
      // The changed levels come back sorted, each once.
      const n = b.takeDirtySorted();
      const keys = [...b.dirtyKeys.subarray(0, n)];
      assert.deepEqual(keys, [...new Set(keys)].sort((x, y) => x - y));
    }),
  );
});

test('occupiedLevels lists every non-empty level of a side, best first, after any adds, cancels and sweeps', () => {
  fc.assert(
    fc.property(fc.array(bookOp, { maxLength: 120 }), (ops) => {
      const size = 100;
      const b = new OrderBook(size, 4);
      applyOps(b, ops);
      // A one-slot buffer: it has to grow for any side with two levels or more.
      const out = [new Int32Array(1)];
      const listed = (side: typeof BID | typeof ASK) => {
        const n = b.occupiedLevels(side, out);
        return [...out[0].subarray(0, n)];
      };
      const levels = [...Array(size).keys()];
      assert.deepEqual(listed(BID), levels.filter((l) => b.lotsAt(BID, l) > 0).reverse());
      assert.deepEqual(listed(ASK), levels.filter((l) => b.lotsAt(ASK, l) > 0));
    }),
  );
});
