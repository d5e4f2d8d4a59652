import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TimeGrid } from '../../../../src/server/web/plugins/helpers/time-grid.ts';
import { anyNumber } from './arbitraries.ts';

describe('time grid', () => {
  it('maps times inside, between, before and after bars to fractional logical indexes', () => {
    // Bars at 0, 60s, 120s, then a gap to 600s.
    const g = new TimeGrid([0, 60_000, 120_000, 600_000], 60_000);
    assert.equal(g.toLogical(0), 0);
    assert.equal(g.toLogical(90_000), 1.5);
    // In the gap the last bar before it covers one tfMs, then the time is squeezed up to the next bar.
    assert.equal(g.toLogical(150_000), 2.5);
    assert.equal(g.toLogical(400_000), 3);
    assert.equal(g.toLogical(-30_000), -0.5);
    assert.equal(g.toLogical(690_000), 4.5);
    assert.equal(g.toMs(1.5), 90_000);
    assert.equal(g.toMs(4.5), 690_000);
  });

  it('skips non-ascending opens and grows on push', () => {
    const g = new TimeGrid([0, NaN, 60_000, 30_000], 60_000);
    assert.equal(g.length, 2);
    g.push(120_000);
    g.push(90_000);
    assert.equal(g.length, 3);
    assert.equal(g.toLogical(120_000), 2);
  });

  it('toMs inverts toLogical on the bars\' spans', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }), fc.double({ min: -5, max: 40, noNaN: true }), (steps, l) => {
        let t = 0;
        const opens = steps.map((s) => (t += 60_000 * (1 + (s % 3))));
        const g = new TimeGrid(opens, 60_000);
        assert.ok(Math.abs(g.toLogical(g.toMs(l)) - l) < 1e-6);
      }),
    );
  });

  it('never throws on NaN input and answers NaN when it has no bars', () => {
    fc.assert(fc.property(fc.array(anyNumber), anyNumber, anyNumber, (opens, tf, ms) => {
      const g = new TimeGrid(opens, tf);
      const l = g.toLogical(ms);
      assert.ok(g.length > 0 && Number.isFinite(ms) && Math.abs(ms) <= 1e15 ? Number.isFinite(l) : true, `${l}`);
    }));
    assert.ok(Number.isNaN(new TimeGrid().toLogical(5)));
  });
});
