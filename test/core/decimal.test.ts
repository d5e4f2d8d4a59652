import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decimalKindError, decimalValue, plainDecimalAt } from '../../src/core/decimal.ts';

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
