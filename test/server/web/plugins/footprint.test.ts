import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CandlesResponse, FootprintColumns } from '../../../../src/server/api.ts';
import { ASK_IMB, BAD_LEVEL, BID_IMB, replaceStore, toFootprintData, toFootprintStore, type FootprintBarData } from '../../../../src/server/web/plugins/footprint/data.ts';
import { formatSize } from '../../../../src/server/web/plugins/footprint/renderer.ts';
import { anyNumber, column } from './arbitraries.ts';

function candles(partial: Partial<CandlesResponse>): CandlesResponse {
  return { symbol: 'BTCUSDT', venues: ['binance'], tf: '1m', tfMs: 60_000, t: [], o: [], h: [], l: [], c: [], buy: [], sell: [], trades: [], ...partial };
}

const fp: FootprintColumns = {
  levelSize: 10,
  offset: [0, 3, 5],
  price: [100, 110, 120, 110, 120],
  bid: [1, 6, 2, 4, 0.5],
  ask: [3, 1, 9, 1, 2],
  bidImb: [0, 1, 0, 0, 0],
  askImb: [0, 0, 1, 0, 1],
  poc: [110, 110],
  vah: [120, 120],
  val: [100, 110],
  stacked: [{ bar: 1, side: 'ask', low: 110, high: 120 }, { bar: 0, side: 'bid', low: 100, high: 110 }],
};

describe('footprint data', () => {
  it('puts levels that arrive later into the store the candles\' items already point at', () => {
    const ohlc = { t: [60_000, 120_000], o: [100, 121], h: [125, 125], l: [100, 110], c: [121, 112] };
    const { bars, store } = toFootprintData(candles(ohlc));
    assert.deepEqual([store.end[0], store.end[1]], [0, 0], 'candles alone: no levels');
    replaceStore(store, toFootprintStore(candles({ ...ohlc, footprint: fp })));
    const b1 = bars[1] as FootprintBarData;
    assert.equal(b1.store, store);
    assert.deepEqual([b1.store.start[1], b1.store.end[1], b1.store.poc[1]], [3, 5, 110]);
    assert.deepEqual(Array.from(b1.store.price.subarray(b1.store.start[1], b1.store.end[1])), [110, 120]);
    assert.deepEqual(b1.store, toFootprintData(candles({ ...ohlc, footprint: fp })).store);
  });

  it('gives each bar its own levels, flags, POC, value area and stacked runs', () => {
    const { bars, store } = toFootprintData(candles({ t: [60_000, 120_000], o: [100, 121], h: [125, 125], l: [100, 110], c: [121, 112], footprint: fp }));
    assert.equal(bars.length, 2);
    const b0 = bars[0] as FootprintBarData;
    assert.equal(b0.time, 60);
    assert.equal(b0.close, 121);
    assert.equal(b0.store, store);
    assert.deepEqual([store.start[0], store.end[0], store.start[1], store.end[1]], [0, 3, 3, 5]);
    assert.deepEqual(Array.from(store.flags), [0, BID_IMB, ASK_IMB, 0, ASK_IMB]);
    // Largest single cell per bar scales the shades: 9 (ask at 120) and 4 (bid at 110).
    assert.deepEqual(Array.from(store.maxCell), [9, 4]);
    assert.deepEqual([store.poc[1], store.vah[1], store.val[1]], [110, 120, 110]);
    // Runs are regrouped by bar whatever their order on the wire.
    assert.deepEqual(Array.from(store.stackStart), [0, 1, 2]);
    assert.deepEqual([store.stackSide[0], store.stackLow[0], store.stackSide[1], store.stackHigh[1]], [-1, 100, 1, 120]);
  });

  it('turns a bar with a non-finite price into whitespace and drops times that do not ascend', () => {
    const { bars } = toFootprintData(candles({ t: [60_000, 60_000, 180_000, 120_000, 240_000], o: [1, 1, NaN, 1, 1], h: [2, 2, 2, 2, 2], l: [1, 1, 1, 1, 1], c: [2, 2, 2, 2, 2] }));
    assert.deepEqual(bars.map((b) => b.time), [60, 180, 240]);
    assert.equal('close' in bars[1], false);
    assert.equal((bars[2] as FootprintBarData).close, 2);
  });

  it('flags a level with a NaN price or a negative size as bad, and clamps offsets past the levels', () => {
    const { store } = toFootprintData(
      candles({ t: [0, 60_000], o: [1, 1], h: [2, 2], l: [1, 1], c: [2, 2], footprint: { ...fp, offset: [0, 2, 99], price: [NaN, 10, 20], bid: [1, -1, 2], ask: [1, 1, 2], askImb: [1, 1, 1] } }),
    );
    assert.deepEqual(Array.from(store.flags), [BAD_LEVEL, BAD_LEVEL, ASK_IMB]);
    assert.equal(store.end[1], 3);
    assert.equal(store.maxCell[0], 0);
  });

  it('never throws on ragged, empty or NaN input, and every level it keeps is drawable', () => {
    const arb = fc.record({
      t: fc.array(fc.oneof(fc.integer({ min: 0, max: 1e6 }), anyNumber), { maxLength: 20 }),
      o: column(20), h: column(20), l: column(20), c: column(20),
      levelSize: anyNumber, offset: column(25), price: column(40), bid: column(40), ask: column(40),
      poc: column(20), vah: column(20), val: column(20),
      stacked: fc.array(fc.record({ bar: anyNumber, side: fc.constantFrom('bid', 'ask', 'x'), low: anyNumber, high: anyNumber }), { maxLength: 5 }),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const footprint = { levelSize: a.levelSize, offset: a.offset, price: a.price, bid: a.bid, ask: a.ask, bidImb: [], askImb: [], poc: a.poc, vah: a.vah, val: a.val, stacked: a.stacked } as unknown as FootprintColumns;
        const { bars, store } = toFootprintData(candles({ t: a.t, o: a.o, h: a.h, l: a.l, c: a.c, footprint }));
        let last = -Infinity;
        for (const b of bars) {
          assert.ok((b.time as number) > last, 'times ascend');
          last = b.time as number;
          if ('close' in b) {
            for (const v of [b.open, b.high, b.low, b.close]) assert.ok(Number.isFinite(v));
            assert.ok(b.low <= b.high);
            for (let k = store.start[b.i]; k < store.end[b.i]; k++) {
              assert.ok(k < store.price.length);
              if (store.flags[k] !== BAD_LEVEL) {
                assert.ok(Number.isFinite(store.price[k]) && store.bid[k] >= 0 && store.ask[k] >= 0, 'kept levels are finite');
              }
            }
          }
        }
        for (let r = 0; r < store.stackSide.length; r++) assert.ok(Number.isFinite(store.stackLow[r]) && store.stackHigh[r] >= store.stackLow[r]);
      }),
      { numRuns: 300 },
    );
  });

  it('formats sizes in at most five characters', () => {
    assert.deepEqual([0, 0.42, 7.5, 38.25, 420, 1234, 15_400, 3_400_000, 45_000_000].map(formatSize), ['0', '0.42', '7.50', '38.3', '420', '1.2k', '15k', '3.4M', '45M']);
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (v) => formatSize(v).length <= 5));
  });
});
