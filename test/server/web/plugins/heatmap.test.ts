import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookHeatmapResponse, HeatmapColumns } from '../../../../src/server/api.ts';
import { LiveBookColumns, toBookLayer, toHeatmap } from '../../../../src/server/web/plugins/heatmap/data.ts';
import { anyNumber, column } from './arbitraries.ts';

const grid: HeatmapColumns = { t0: 1000, tfMs: 60_000, p0: 100, binSize: 5, tIndex: [2, 0, 1, 0], pIndex: [1, 3, 2, 0], value: [50, 100, 25, 10], side: [1, -1, 1, -1], max: 100 };

describe('heatmap data', () => {
  it('sorts cells by column, divides by the max and keeps the side', () => {
    const h = toHeatmap(grid);
    assert.deepEqual(Array.from(h.tIndex), [0, 0, 1, 2]);
    assert.deepEqual(Array.from(h.pIndex), [3, 0, 2, 1]);
    assert.deepEqual(Array.from(h.norm), [1, 0.1, 0.25, 0.5]);
    assert.deepEqual(Array.from(h.side), [-1, -1, 1, 1]);
    // Rows 0..3 at 5 per row from 100: 100 to 120.
    assert.deepEqual([h.minPrice, h.maxPrice], [100, 120]);
  });

  it('drops bad cells and recomputes a max that is missing or below the data', () => {
    const h = toHeatmap({ ...grid, tIndex: [0, 1.5, 2, 3, 4], pIndex: [0, 0, NaN, 0, 0], value: [10, 10, 10, -1, 40], max: 5 });
    assert.deepEqual(Array.from(h.tIndex), [0, 4]);
    assert.deepEqual(Array.from(h.norm), [0.25, 1]);
  });

  it('is empty for a grid with no usable geometry', () => {
    for (const bad of [{ ...grid, binSize: 0 }, { ...grid, tfMs: NaN }, { ...grid, tIndex: undefined as unknown as number[] }, null]) {
      assert.equal(toHeatmap(bad as HeatmapColumns).tIndex.length, 0);
    }
  });

  it('book layer: best bid / ask per column with NaN where unknown, and only well-formed walls', () => {
    const book: BookHeatmapResponse = {
      venue: 'binance',
      heatmap: grid,
      bestBid: [99, NaN, 101],
      bestAsk: [100, 102],
      walls: [
        { side: 'bid', price: 95, size: 10, outcome: 'pulled', firstMs: 0, endMs: 60_000 },
        { side: 'ask', price: NaN, size: 10, outcome: 'consumed', firstMs: 0, endMs: 60_000 },
        { side: 'ask', price: 105, size: 10, outcome: 'weird' as 'bait', firstMs: 0, endMs: 60_000 },
        { side: 'ask', price: 105, size: 10, outcome: 'bait', firstMs: 60_000, endMs: 0 },
      ],
    };
    const b = toBookLayer(book);
    assert.deepEqual(Array.from(b.bestBid), [99, NaN, 101]);
    assert.deepEqual(Array.from(b.bestAsk), [100, 102, NaN]);
    assert.deepEqual(b.walls.map((w) => w.outcome), ['pulled']);
  });

  it('never throws on ragged or NaN input; every kept cell is finite, in (0, 1], sorted by column', () => {
    fc.assert(
      fc.property(
        fc.record({ t0: anyNumber, tfMs: anyNumber, p0: anyNumber, binSize: anyNumber, tIndex: column(), pIndex: column(), value: column(), max: anyNumber }),
        (g) => {
          const h = toHeatmap(g as unknown as HeatmapColumns);
          for (let k = 0; k < h.tIndex.length; k++) {
            assert.ok(h.norm[k] > 0 && h.norm[k] <= 1, `norm ${h.norm[k]}`);
            if (k > 0) assert.ok(h.tIndex[k] >= h.tIndex[k - 1]);
          }
          const b = toBookLayer({ venue: 'okx', heatmap: g as unknown as HeatmapColumns, bestBid: g.value, bestAsk: g.pIndex, walls: [] });
          for (const v of b.bestBid) assert.ok(Number.isNaN(v) || (Number.isFinite(v) && v > 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('live book columns: the last message of a column stands for it, on the stored grid and colour scale', () => {
    const base = toBookLayer({ venue: 'binance', heatmap: grid, bestBid: [99], bestAsk: [100], walls: [] });
    const live = new LiveBookColumns(base, { t0: 0, tfMs: 1 });
    // Column 3 (t0 1000 + 3 x 60 s): a first message, then the one that stands for it.
    assert.equal(live.add({ t: 1000 + 3 * 60_000 + 5, bids: [[104, 1]], asks: [[106, 1]] }), true);
    assert.equal(live.add({ t: 1000 + 3 * 60_000 + 50_000, bids: [[109, 0.5], [101, 2]], asks: [[111, 20]], walls: [{ side: 'bid', price: 101, size: 2, outcome: 'pulled', firstMs: 0, endMs: 5 }] }), true);
    assert.equal(live.add({ t: 1000 + 4 * 60_000, bids: [[103, 1]], asks: [] }), true);
    assert.equal(live.add({ t: NaN, bids: [], asks: [] }), false);
    assert.equal(live.add({ t: 0, bids: [[1, 1]], asks: [] }), false, 'before the grid');
    const l = live.layer();
    assert.equal(l.lineFrom, 3);
    assert.deepEqual(Array.from(l.heatmap.tIndex), [3, 3, 3, 4]);
    // Rows of 5 from 100: 109 -> 1, 101 -> 0, 111 -> 2; 103 -> 0 in column 4.
    assert.deepEqual(Array.from(l.heatmap.pIndex), [1, 0, 2, 0]);
    // Notional over the stored max (100), capped at 1: 54.5 / 100, 202 / 100 -> 1, 2220 -> 1, 103 -> 1.
    assert.deepEqual(Array.from(l.heatmap.norm), [0.545, 1, 1, 1]);
    assert.deepEqual(Array.from(l.bestBid), [109, 103]);
    assert.deepEqual(Array.from(l.bestAsk), [111, NaN]);
    assert.deepEqual(l.walls.map((w) => w.outcome), ['pulled']);
  });
});
