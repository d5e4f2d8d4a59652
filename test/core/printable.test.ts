import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { printable } from '../../src/core/printable.ts';

describe('printable', () => {
  it('leaves no control or format character but newline and tab, and keeps the rest as it was', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const p = printable(s);
        assert.doesNotMatch(p, /(?![\n\t])[\p{Cc}\p{Cf}]/u);
        // Removing the escapes it added gives back the safe characters, in order.
        assert.equal(p.replace(/\\u[0-9a-f]{4}/g, ''), s.replace(/(?![\n\t])[\p{Cc}\p{Cf}]/gu, '').replace(/\\u[0-9a-f]{4}/g, ''));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the value of JSON text: parsing the escaped text gives the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const value = { v, s };
        assert.deepEqual(JSON.parse(printable(JSON.stringify(value))), JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('shows an escape sequence as text', () => {
    assert.equal(printable('A\u001b[2J\u009bB\u202eC\n\tD'), 'A\\u001b[2J\\u009bB\\u202eC\n\tD');
  });
});
