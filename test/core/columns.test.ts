import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { grown, lowerBound } from '../../src/core/columns.ts';

describe('grown', () => {
  const kinds = [Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array] as const;

  it('keeps the type and every element, with zeros past them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: kinds.length - 1 }), fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 40 }), fc.nat(40), (k, xs, more) => {
        const Kind = kinds[k];
        const a = Kind.from(xs.map((x) => (Kind === Uint8Array || Kind === Uint16Array || Kind === Uint32Array ? Math.abs(x) : x)));
        const b = grown(a, a.length + more);
        assert.equal(b.constructor, Kind);
        assert.equal(b.length, a.length + more);
        assert.notEqual(b.buffer, a.buffer, 'a new buffer: the old array may still be read');
        assert.deepEqual(Array.from(b.subarray(0, a.length)), Array.from(a));
        assert.ok(b.subarray(a.length).every((x) => x === 0));
      }),
    );
  });

  it('refuses to shrink below what it holds', () => {
    assert.throws(() => grown(new Float64Array(4), 2), RangeError);
  });
});

describe('lowerBound', () => {
  it('is the first index not below x in ascending numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 })), fc.integer({ min: -5, max: 55 }), (xs, x) => {
        const ts = Float64Array.from(xs.sort((p, q) => p - q));
        const want = ts.findIndex((t) => t >= x);
        assert.equal(lowerBound(ts, x), want === -1 ? ts.length : want);
      }),
    );
  });
});
