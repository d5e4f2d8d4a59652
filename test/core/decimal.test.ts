import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decimalKindError,
  decimalPlaces,
  decimalProduct,
  decimalProductQuotient,
  decimalQuotient,
  decimalValue,
  nearestRatio,
  plainDecimalAt,
} from '../../src/core/decimal.ts';
import { decimalParts, exactProductQuotient, exactProductText, nearestOfRatio, partsText } from '../helpers/exact-decimal.ts';

const bytes = (t: string) => Buffer.from(t, 'latin1');

describe('decimal text', () => {
  it('reads plain decimals, signs and exponents as Number does', () => {
    for (const t of ['61800.30', '-0.5', '+2', '.5', '5.', '1e-8', '2.5E3']) assert.equal(decimalValue(t), Number(t), t);
  });

  it('refuses what + accepts but no venue writes: whitespace, hex, Infinity, empty', () => {
    for (const t of [' 1', '1 ', '0x10', 'Infinity', '-Infinity', 'NaN', '', '.', '1e', '1,5']) assert.ok(Number.isNaN(decimalValue(t)), t);
  });

  it('names why a value is not of its kind', () => {
    assert.equal(decimalKindError(0, 'positive'), 'must be > 0');
    assert.equal(decimalKindError(-1, 'nonNegative'), 'must be >= 0');
    assert.equal(decimalKindError(0, 'nonNegative'), undefined);
    assert.equal(decimalKindError(Infinity, 'any'), 'not a finite number');
  });
});

describe('decimal bytes (the fast path)', () => {
  it('gives the same number as the text parser for every plain decimal of <= 15 digits', () => {
    const plain = fc
      .tuple(fc.stringMatching(/^[0-9]{1,15}$/), fc.nat({ max: 15 }))
      .map(([digits, dot]) => (dot === 0 || dot > digits.length ? digits : `${digits.slice(0, dot)}.${digits.slice(dot)}`));
    fc.assert(
      fc.property(plain, (t) => {
        const b = bytes(`x${t}y`);
        assert.equal(plainDecimalAt(b, 1, b.length - 1), decimalValue(t));
      }),
    );
  });

  it('leaves signs, exponents, over 15 digits and no digit to the general parser (NaN)', () => {
    for (const t of ['-1', '+1', '1e5', '1234567890123456', '.', '', '1.2.3', 'abc']) assert.ok(Number.isNaN(plainDecimalAt(bytes(t), 0, t.length)), t);
  });
});

/** A decimal text of 1..maxDigits significant digits and 0..maxPlaces places, e.g. "0.41", "7", "12.5". */
const decimalText = (maxDigits: number, maxPlaces: number) =>
  fc.tuple(fc.bigInt({ min: 1n, max: 10n ** BigInt(maxDigits) - 1n }), fc.nat({ max: maxPlaces })).map(([m, k]) => partsText(m, k));

describe('exact decimal arithmetic (contract sizes)', () => {
  it('gives the decimal the venue meant where one float operation does not', () => {
    // The float results this exists to avoid, then ours.
    assert.equal(0.07 * 0.1, 0.007000000000000001);
    assert.equal(decimalProduct(0.07, 0.1), 0.007);
    assert.equal(0.41 / 100, 0.0040999999999999995);
    assert.equal(decimalProduct(0.41, 0.01), 0.0041);
    assert.equal(decimalQuotient(0.0041, 0.01), 0.41);
    assert.equal(decimalProduct(727, 0.01), 7.27);
    assert.equal(decimalProductQuotient(255, 10, 5.1), 500, '2550 / 5.1 in floats is 499.99999999999994');
  });

  it('recovers the places of every decimal of <= 15 significant digits from its double', () => {
    fc.assert(fc.property(decimalText(15, 20), (t) => {
      const { m, k } = decimalParts(t);
      let places = k;
      for (let mm = m; places > 0 && mm % 10n === 0n; mm /= 10n) places--;
      assert.equal(decimalPlaces(Number(t)), places, t);
    }), { numRuns: 2000 });
    assert.equal(decimalPlaces(0.1 + 0.2), -1, '0.30000000000000004 has no 15-digit decimal');
    assert.equal(decimalPlaces(NaN), -1);
    assert.equal(decimalPlaces(Infinity), -1);
  });

  it('nearestRatio rounds p / q once, as IEEE division does for exact operands', () => {
    const safe = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    fc.assert(fc.property(safe, safe.filter((q) => q > 0), (p, q) => {
      assert.equal(nearestRatio(BigInt(p), BigInt(q)), p / q, `${p} / ${q}`);
    }), { numRuns: 2000 });
    // Beyond 2^53 (where a float division would round its operands first), against Number(text).
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.bigInt({ min: 1n, max: 10n ** 30n }), (p, q) => {
      assert.equal(nearestRatio(p, q), nearestOfRatio(p, q), `${p} / ${q}`);
    }), { numRuns: 2000 });
    // Halfway cases round to even: 2^53 + 1 and 2^53 + 3 (over 1) sit between two doubles.
    assert.equal(nearestRatio(2n ** 53n + 1n, 1n), 2 ** 53);
    assert.equal(nearestRatio(2n ** 53n + 3n, 1n), 2 ** 53 + 4);
  });

  it('a product equals Number(exact decimal text), a quotient undoes it', () => {
    fc.assert(fc.property(decimalText(15, 10), decimalText(15, 10), (a, b) => {
      const exact = exactProductText(a, b);
      assert.equal(decimalProduct(Number(a), Number(b)), Number(exact), `${a} x ${b} = ${exact}`);
    }), { numRuns: 3000 });
    fc.assert(fc.property(decimalText(8, 8), decimalText(6, 8), (a, b) => {
      const exact = exactProductText(a, b);
      assert.equal(decimalQuotient(Number(exact), Number(b)), Number(a), `${exact} / ${b}`);
    }), { numRuns: 3000 });
  });

  it('a product over a third decimal is the exact rational rounded once', () => {
    fc.assert(fc.property(decimalText(10, 4), decimalText(6, 6), decimalText(10, 8), (a, b, c) => {
      assert.equal(decimalProductQuotient(Number(a), Number(b), Number(c)), exactProductQuotient(a, b, c), `${a} x ${b} / ${c}`);
    }), { numRuns: 3000 });
  });

  it('keeps float maths for a double that no short decimal names', () => {
    const x = 0.1 + 0.2;
    assert.equal(decimalProduct(x, 0.01), x * 0.01);
    assert.equal(decimalQuotient(x, 0.01), x / 0.01);
    assert.ok(Number.isNaN(decimalProduct(NaN, 0.01)));
  });
});
