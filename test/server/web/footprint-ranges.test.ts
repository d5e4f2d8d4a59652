import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CandlesResponse } from '../../../src/server/api.ts';
import { Bars } from '../../../src/server/web/bars.ts';
import { FootprintRanges, missingSpans, wantedBars, type Span } from '../../../src/server/web/footprint-ranges.ts';
import { toFootprintData } from '../../../src/server/web/plugins/footprint/data.ts';

const M = 60_000;

/** Candles of bars opening at `opens` (minutes), each with `levels` levels of its own prices. */
function answer(opens: readonly number[], levels = 2): CandlesResponse {
  const t = opens.map((m) => m * M);
  const offset = [0];
  const price: number[] = [];
  for (const m of opens) {
    for (let k = 0; k < levels; k++) price.push(m * 10 + k);
    offset.push(price.length);
  }
  const z = (n: number) => new Array<number>(n).fill(0);
  return {
    symbol: 'BTCUSDT', venues: ['binance'], tf: '1m', tfMs: M,
    t, o: opens.map((m) => m * 10), h: opens.map((m) => m * 10 + levels), l: opens.map((m) => m * 10), c: opens.map((m) => m * 10 + 1),
    buy: opens.map(() => 1), sell: opens.map(() => 1), trades: opens.map(() => 2),
    footprint: {
      levelSize: 1, offset, price, bid: price.map(() => 1), ask: price.map(() => 2), bidImb: z(price.length) as (0 | 1)[], askImb: z(price.length) as (0 | 1)[],
      poc: opens.map((m) => m * 10), vah: opens.map((m) => m * 10 + 1), val: opens.map((m) => m * 10),
      stacked: [{ bar: 0, side: 'ask', low: opens[0] * 10, high: opens[0] * 10 + 1 }],
    },
  };
}

describe('footprint ranges', () => {
  it('asks only for the parts of a range no held span covers', () => {
    assert.deepEqual(missingSpans([], 0, 10), [[0, 10]]);
    assert.deepEqual(missingSpans([[3, 5], [0, 2]], 0, 10), [[2, 3], [5, 10]]);
    assert.deepEqual(missingSpans([[0, 4], [2, 12]], 0, 10), []);
  });

  it('leaves every point of the range covered exactly once by held or missing spans (any held spans)', () => {
    const span = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 20 })).map(([a, w]): Span => [a, a + w]);
    fc.assert(
      fc.property(fc.array(span, { maxLength: 8 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 40 }), (held, from, w) => {
        const to = from + w;
        const gaps = missingSpans(held, from, to);
        for (let x = from; x < to; x++) {
          const inHeld = held.some(([a, b]) => a <= x && x < b);
          const inGap = gaps.filter(([a, b]) => a <= x && x < b).length;
          assert.equal(inGap, inHeld ? 0 : 1, `point ${x}`);
        }
        for (const [a, b] of gaps) assert.ok(a >= from && b <= to && a < b);
      }),
    );
  });

  it('never claims a span twice, and gives a failed one back', () => {
    const r = new FootprintRanges(1);
    assert.deepEqual(r.claim(100, 200), [[100, 200]]);
    assert.deepEqual(r.claim(50, 250), [[50, 100], [200, 250]]);
    assert.deepEqual(r.claim(60, 240), []);
    r.release([200, 250]);
    assert.deepEqual(r.claim(0, 300), [[0, 50], [200, 300]]);
  });

  it('wants the visible bars and a margin of their width each side, within the bars', () => {
    assert.deepEqual(wantedBars(800, 1000, 1000, 0.5), [700, 999]);
    assert.deepEqual(wantedBars(10, 50, 1000, 0.5), [0, 70]);
    // A narrow view still gets a few bars of margin.
    assert.deepEqual(wantedBars(500, 502, 1000, 0.5), [480, 522]);
  });

  it('lays the held answers on the candles by bar time, with bars no answer holds left without levels', () => {
    const all = answer([0, 1, 2, 3, 4, 5]);
    const b = Bars.from(all);
    const r = new FootprintRanges(1);
    r.add(answer([4, 5], 3));
    r.add(answer([1, 2]));
    const m = r.merge(b, all);
    const fp = m.footprint!;
    assert.deepEqual(fp.offset, [0, 0, 2, 4, 4, 7, 10]);
    assert.deepEqual(fp.price, [10, 11, 20, 21, 40, 41, 42, 50, 51, 52]);
    assert.deepEqual(fp.poc.map((x) => (Number.isNaN(x) ? null : x)), [null, 10, 20, null, 40, 50]);
    // Stacked runs move to the page's bar index.
    assert.deepEqual(fp.stacked.map((s) => s.bar).sort(), [1, 4]);
    // The series reads it: bars 1 and 4 have levels, 0 and 3 draw as candles.
    const { store } = toFootprintData(m);
    assert.deepEqual([0, 1, 3, 4].map((i) => store.end[i] - store.start[i]), [0, 2, 0, 3]);
  });

  it('lets a later answer for a bar (a closed live bar) replace an earlier one', () => {
    const all = answer([0, 1]);
    const b = Bars.from(all);
    const r = new FootprintRanges(1);
    r.add(answer([0, 1], 2));
    r.add(answer([1], 4));
    assert.deepEqual(r.merge(b, all).footprint!.offset, [0, 2, 6]);
  });
});
