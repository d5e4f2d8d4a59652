import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { footprintBatch } from '../../src/features/footprint.ts';
import { footprintLadder, roundToStep } from '../../src/features/footprint-ladder.ts';
import { groupedNumber, ladderLines } from '../../src/report/footprint-ladder.ts';
import { columns, type Row } from '../features/trades.ts';

const MIN = 60_000;
const T0 = Date.parse('2024-08-08T23:56:00Z');

/** A small bar, tick 0.5: [price, bid (aggressive sells), ask (aggressive buys)]. */
function bar(levels: readonly (readonly [number, number, number])[]): Row[] {
  const rows: Row[] = [];
  let ts = T0;
  for (const [px, bid, ask] of levels) {
    if (bid > 0) rows.push([ts++, px, bid, -1]);
    if (ask > 0) rows.push([ts++, px, ask, 1]);
  }
  return rows;
}

// Notional minimum 5,000: at 64,000, 0.0782 BTC. 64,001.5 holds no trade at all.
const SMALL = bar([
  [64000.0, 2.0, 0.4], // bid 2.0 >= 3 x ask 0.6 above; the ask is at the edge
  [64000.5, 1.5, 0.6], // bid 1.5 >= 3 x ask 0.2 above
  [64001.0, 0.3, 0.2], // bid 0.3 < 3 x 2.4 above
  [64002.0, 0.1, 2.4], // ask against an empty level (64,001.5): none
  [64002.5, 0.0004, 0.9], // ask 0.9 >= 3 x bid 0.1 below; the bid is thin and at the edge
]);

describe('footprint ladder', () => {
  const [c] = footprintBatch(columns(SMALL), { timeframeMs: MIN, tick: 0.5, stackedRange: 2, valueArea: 0.4 });

  it('prints bid x ask per level from the top, imbalances starred, value area barred, POC and stacks as prices', () => {
    assert.deepEqual(ladderLines(footprintLadder(c, 0.001), '1m'), [
      '2024-08-08 23:56:00 UTC 1m  O 64,000.0  H 64,002.5  L 64,000.0  C 64,002.5  volume 8.400  delta +0.600  trades 10',
      // 40% of 8.4004 = 3.36: the POC (2.5), then 64,002.5 (0.9 beats 0 + 0.5 below).
      'POC 64,002.0  value area 64,002.0-64,002.5',
      '     price    bid  x   ask',
      '| 64,002.5  0.000  x 0.900* VAH',
      '| 64,002.0  0.100  x 2.400  POC VAL',
      '  64,001.5  0.000  x 0.000',
      '  64,001.0  0.300  x 0.200',
      '  64,000.5  1.500* x 0.600',
      '  64,000.0  2.000* x 0.400',
      'bid stack 64,000.0-64,000.5 (2 levels)',
    ]);
  });

  it('rounds sizes to the lot and prices to the tick; JSON carries the stacks as price edges', () => {
    const l = footprintLadder(c, 0.001);
    assert.deepEqual(l.stacks, [{ side: 'bid', low: 64000, high: 64000.5, levels: 2 }]);
    assert.equal(l.levels[0].bid, 0, '0.0004 rounds to 0 lots of 0.001');
    assert.deepEqual(l.levels.map((v) => v.price), [64002.5, 64002, 64001.5, 64001, 64000.5, 64000]);
    assert.deepEqual(JSON.parse(JSON.stringify(l)).levels[1], { price: 64002, bid: 0.1, ask: 2.4, bid_imbalance: false, ask_imbalance: false, poc: true, value_area: true });
    assert.equal(footprintLadder(c).levels[0].bid, 0.0004, 'no lot: sizes as summed');
    assert.match(ladderLines(footprintLadder(c), '1m')[3], /^\| 64,002\.5 {2}0\.0004 {2}x 0\.9\* VAH$/);
    assert.throws(() => footprintLadder(c, 0), /lot/);
  });

  it('groups thousands and keeps the sign', () => {
    assert.deepEqual([groupedNumber(64210, 1), groupedNumber(1234567.25, 2), groupedNumber(-1234.5, 1), groupedNumber(999, 0), groupedNumber(-0.0001, 2)], ['64,210.0', '1,234,567.25', '-1,234.5', '999', '0.00']);
  });

  it('rounded sizes sum to the rounded volume within one lot per level', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.double({ min: 0.0001, max: 9, noNaN: true }), fc.boolean()), { minLength: 1, maxLength: 60 }), (trades) => {
        const rows: Row[] = trades.map(([lvl, q, buy], i) => [T0 + i, 100 + lvl * 0.1, q, buy ? 1 : -1]);
        const [k] = footprintBatch(columns(rows), { timeframeMs: MIN, tick: 0.1 });
        const l = footprintLadder(k, 0.01);
        const sum = l.levels.reduce((s, v) => s + v.bid + v.ask, 0);
        assert.ok(Math.abs(sum - l.volume) <= 0.01 * (2 * l.levels.length + 1), `${sum} vs ${l.volume}`);
        for (const v of l.levels) assert.equal(roundToStep(v.bid, 0.01), v.bid);
      }),
    );
  });

  it('docs/FEATURES.md shows the ladder of its worked example as the code prints it', () => {
    const docs = readFileSync(new URL('../../docs/FEATURES.md', import.meta.url), 'utf8');
    const block = /\*\*Ladder\*\*[\s\S]*?```\n([\s\S]*?)```/.exec(docs);
    assert.ok(block, 'the Ladder paragraph has a code block');
    const example: [number, number, number][] = [[64209.5, 3.0, 0.5], [64210.0, 2.4, 0.1], [64210.5, 1.0, 0.2], [64211.0, 0, 0.3], [64211.5, 0.5, 0.9], [64212.0, 0.4, 3.2], [64212.5, 0.2, 1.5], [64213.0, 0.1, 2.0], [64213.5, 0.01, 1.2], [64214.0, 0, 0.07]];
    const [k] = footprintBatch(columns(bar(example)), { timeframeMs: MIN, tick: 0.5 });
    assert.deepEqual(block[1].trimEnd().split('\n'), ladderLines(footprintLadder(k, 0.001), '1m'));
  });
});
