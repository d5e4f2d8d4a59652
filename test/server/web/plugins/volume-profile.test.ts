import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CandlesResponse } from '../../../../src/server/api.ts';
import { toProfileStore } from '../../../../src/server/web/plugins/volume-profile/data.ts';
import { anyNumber, column } from './arbitraries.ts';

const base = { symbol: 'X', venues: ['binance'], tf: '1m', tfMs: 60_000, trades: [] } as unknown as CandlesResponse;

describe('volume profile data', () => {
  it('puts every footprint level on one price grid with bid + ask as volume', () => {
    const s = toProfileStore({
      ...base, t: [0, 60_000], o: [], h: [], l: [], c: [100, 110], buy: [0, 0], sell: [0, 0],
      footprint: { levelSize: 5, offset: [0, 2, 3], price: [100, 105, 110], bid: [1, 2, 3], ask: [1, 0, 4], bidImb: [], askImb: [], poc: [], vah: [], val: [], stacked: [] },
    });
    assert.equal(s.minPrice, 100);
    assert.equal(s.rows, 3);
    assert.deepEqual(Array.from(s.row), [0, 1, 2]);
    assert.deepEqual(Array.from(s.volume), [2, 2, 7]);
    assert.deepEqual([s.start[1], s.end[1]], [2, 3]);
  });

  it('without a footprint puts a bar\'s whole volume at its close', () => {
    const s = toProfileStore({ ...base, t: [0, 60_000], o: [], h: [], l: [], c: [100, 200], buy: [1, 2], sell: [3, 4] });
    assert.deepEqual(Array.from(s.volume), [4, 6]);
    assert.equal(s.row[0], 0);
    assert.equal(s.row[1], s.rows - 1);
  });

  it('never throws on broken input; rows stay inside the grid', () => {
    fc.assert(
      fc.property(column(), column(), column(), column(), anyNumber, column(), column(), column(), column(), (t, c, buy, sell, levelSize, offset, price, bid, ask) => {
        const s = toProfileStore({ ...base, t, o: [], h: [], l: [], c, buy, sell, footprint: { levelSize, offset, price, bid, ask, bidImb: [], askImb: [], poc: [], vah: [], val: [], stacked: [] } } as unknown as CandlesResponse);
        for (let k = 0; k < s.row.length; k++) assert.ok(s.row[k] >= 0 && s.row[k] < s.rows && s.volume[k] > 0, `row ${s.row[k]} of ${s.rows}`);
        assert.ok(s.rows <= 40_000);
      }),
      { numRuns: 300 },
    );
  });
});
