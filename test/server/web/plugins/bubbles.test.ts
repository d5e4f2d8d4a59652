import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PrintsResponse } from '../../../../src/server/api.ts';
import { toBubbles } from '../../../../src/server/web/plugins/bubbles/data.ts';
import { column } from './arbitraries.ts';

describe('bubbles data', () => {
  it('sorts prints by time and keeps the largest notional for the scale', () => {
    const p: PrintsResponse = { minNotional: 1, t: [30, 10, 20], price: [100, 101, 102], qty: [1, 1, 1], notional: [100, 400, 900], side: [1, -1, 1], venue: ['binance', 'okx', 'bybit'] };
    const b = toBubbles(p);
    assert.deepEqual(Array.from(b.t), [10, 20, 30]);
    assert.deepEqual(Array.from(b.price), [101, 102, 100]);
    assert.deepEqual(Array.from(b.side), [-1, 1, 1]);
    assert.equal(b.max, 900);
  });

  it('keeps only prints at or above the floor it is given (the size pane\'s large threshold)', () => {
    const p: PrintsResponse = { minNotional: 1, t: [10, 20, 30], price: [100, 101, 102], qty: [1, 1, 1], notional: [100, 400, 900], side: [1, -1, 1], venue: ['binance', 'okx', 'bybit'] };
    assert.deepEqual(Array.from(toBubbles(p, 400).notional), [400, 900]);
    assert.equal(toBubbles(p, 400).max, 900);
  });

  it('drops prints with a bad time, price, notional or side', () => {
    const p = { minNotional: 1, t: [1, NaN, 3, 4, 5], price: [1, 1, -1, 1, 1], qty: [], notional: [1, 1, 1, 0, 1], side: [1, 1, 1, 1, 0], venue: [] } as unknown as PrintsResponse;
    assert.deepEqual(Array.from(toBubbles(p).t), [1]);
  });

  it('never throws on ragged or NaN columns; kept prints are finite and sized below the max', () => {
    fc.assert(
      fc.property(column(), column(), column(), fc.array(fc.constantFrom(1, -1, 0, NaN), { maxLength: 30 }), (t, price, notional, side) => {
        const b = toBubbles({ minNotional: 0, t, price, qty: [], notional, side, venue: [] } as unknown as PrintsResponse);
        for (let k = 0; k < b.t.length; k++) {
          assert.ok(Number.isFinite(b.t[k]) && b.price[k] > 0 && b.notional[k] > 0 && b.notional[k] <= b.max);
          assert.ok(b.side[k] === 1 || b.side[k] === -1);
        }
      }),
      { numRuns: 300 },
    );
    assert.equal(toBubbles(null).t.length, 0);
  });
});
