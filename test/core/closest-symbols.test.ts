/** Suggestions for a symbol a venue does not list (src/core/closest-symbols.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { closestSymbols, editDistance } from '../../src/core/closest-symbols.ts';

const LISTED = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BTCUSDC', 'BTCUSDT_250328', 'SOSUSDT', 'SUSHIUSDT'];

describe('closest symbols', () => {
  it('finds a swapped pair of letters at distance 1', () => {
    assert.equal(editDistance('BTCUSTD', 'BTCUSDT'), 1);
    assert.deepEqual(closestSymbols('BTCUSTD', LISTED).slice(0, 1), ['BTCUSDT']);
  });

  it('puts symbols of the same base asset first', () => {
    assert.deepEqual(closestSymbols('BTCUSD', LISTED).slice(0, 2).sort(), ['BTCUSDC', 'BTCUSDT']);
  });

  it('compares OKX spellings without dashes and -SWAP', () => {
    assert.deepEqual(closestSymbols('SOLUSTD', ['SOL-USDT-SWAP', 'BTC-USDT-SWAP', 'SOL-USD-SWAP']).sort(), ['SOL-USD-SWAP', 'SOL-USDT-SWAP']);
  });

  it('suggests nothing far away', () => {
    assert.deepEqual(closestSymbols('NEWCOINUSDT', LISTED), []);
  });

  it('edit distance is a metric on strings (zero only for equal, symmetric, triangle)', () => {
    const sym = fc.stringMatching(/^[A-Z0-9-]{0,12}$/);
    fc.assert(
      fc.property(sym, sym, sym, (a, b, c) => {
        assert.equal(editDistance(a, b) === 0, a === b);
        assert.equal(editDistance(a, b), editDistance(b, a));
        assert.ok(editDistance(a, b) <= Math.max(a.length, b.length));
        // Optimal string alignment is not a true metric under transpositions, but is within one of it.
        assert.ok(editDistance(a, c) <= editDistance(a, b) + editDistance(b, c) + 1);
      }),
    );
  });

  it('a listed symbol is its own closest, and at most `max` come back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Z]{2,6}USDT$/), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 5 }), (listed, max) => {
        const out = closestSymbols(listed[0], listed, max);
        assert.ok(out.length <= max);
        assert.ok(out.includes(listed[0]));
      }),
    );
  });
});
