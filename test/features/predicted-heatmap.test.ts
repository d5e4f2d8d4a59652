import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heatmapTimes, predictedHeatmap, withDistance } from '../../src/features/predicted-heatmap.ts';
import type { OpenInterestColumns } from '../../src/core/columns.ts';
import { PredictedLiquidationOperator, predictedLiquidationSnapshots, type PredictedLiquidationOptions } from '../../src/features/predicted-liquidations.ts';
import { columns } from './trades.ts';

const H = 3_600_000;
const D = Date.UTC(2024, 7, 8);
const BINS = { bps: 10 };
const TEN_X: PredictedLiquidationOptions = { bins: BINS, leverageMix: [{ leverage: 10, weight: 1 }] };

function oiColumns(rows: readonly (readonly [number, number])[]): OpenInterestColumns {
  const n = rows.length;
  return { length: n, ts: Float64Array.from(rows.map((r) => r[0])), openInterest: Float64Array.from(rows.map((r) => r[1])), markPrice: new Float64Array(n).fill(NaN), market: new Uint16Array(n), markets: [{ venue: 'binance', symbol: 'BTCUSDT' }] };
}

// Open interest grows at 00:10 and 02:30 and falls at 01:40; trades set the VWAPs and the buy share.
const OI = oiColumns([
  [D + 5 * 60_000, 100],
  [D + 10 * 60_000, 110],
  [D + 100 * 60_000, 105],
  [D + 150 * 60_000, 125],
]);
const TRADES = columns([
  [D + 7 * 60_000, 100, 4, 1],
  [D + 8 * 60_000, 100, 1, -1],
  [D + 140 * 60_000, 104, 2, 1],
  [D + 149 * 60_000, 104, 2, -1],
  [D + 170 * 60_000, 103, 1, 1],
]);

describe('predicted heatmap', () => {
  it('each row is the snapshot at its bucket\'s end as the incremental operator sees it then', () => {
    const last = D + 170 * 60_000;
    const { starts, times } = heatmapTimes(D + 5 * 60_000, last, H);
    assert.deepEqual(starts, [D, D + H, D + 2 * H]);
    assert.deepEqual(times, [D + H - 0.001, D + 2 * H - 0.001, last]);
    const grid = predictedHeatmap(predictedLiquidationSnapshots(OI, TRADES, times, TEN_X), starts, H, BINS);
    assert.equal(grid.rows, 3);
    const op = new PredictedLiquidationOperator(TEN_X);
    let i = 0;
    let j = 0;
    for (let r = 0; r < grid.rows; r++) {
      // Feed everything up to the row's time (trades first at equal ts), then compare.
      while ((j < TRADES.length && TRADES.ts[j] <= times[r]) || (i < OI.length && OI.ts[i] <= times[r])) {
        if (j < TRADES.length && TRADES.ts[j] <= times[r] && (i >= OI.length || TRADES.ts[j] <= OI.ts[i])) op.pushTrades(TRADES, j, ++j);
        else op.pushOpenInterest(OI, i, ++i);
      }
      const snap = op.at(times[r]);
      const row = (m: Float64Array) => new Map([...m.subarray(r * grid.cols, (r + 1) * grid.cols)].map((v, k) => [grid.bin_indexes[k], v] as const).filter(([, v]) => v > 0));
      assert.deepEqual(row(grid.long), new Map(snap.longs.map((l) => [l.index, l.notional])), `longs of row ${r}`);
      assert.deepEqual(row(grid.short), new Map(snap.shorts.map((l) => [l.index, l.notional])), `shorts of row ${r}`);
      for (const l of [...snap.longs, ...snap.shorts]) assert.ok(Math.abs(grid.bin_prices[l.index - grid.bin_indexes[0]] - l.price) < 1e-9 * l.price);
    }
    // The first row holds the 00:10 increase; the 02:30 increase adds levels only in the last row.
    const nonEmpty = (r: number) => [...grid.long.subarray(r * grid.cols, (r + 1) * grid.cols)].filter((v) => v > 0).length;
    assert.ok(nonEmpty(0) > 0);
    const total = (r: number) => [...grid.long.subarray(r * grid.cols, (r + 1) * grid.cols)].reduce((a, b) => a + b, 0);
    assert.ok(total(1) < total(0), 'the open-interest fall at 01:40 shrinks the levels');
    assert.ok(total(2) > total(1), 'the increase at 02:30 adds to them');
  });

  it('refuses a grid larger than its limit and a bad timeframe', () => {
    assert.throws(() => heatmapTimes(D, D + 10 * H, 0), RangeError);
    assert.throws(() => heatmapTimes(D, D + 1000 * H, 60_000, 1000), /buckets/);
    const { starts, times } = heatmapTimes(D, D + 170 * 60_000, H);
    const snaps = predictedLiquidationSnapshots(OI, TRADES, times, TEN_X);
    assert.throws(() => predictedHeatmap(snaps, starts, H, BINS, 5), /cells/);
  });
});

describe('distance from the last price', () => {
  it('price - last in quote and in bps, negative below the market', () => {
    const [snap] = predictedLiquidationSnapshots(OI, TRADES, [D + 170 * 60_000], TEN_X);
    const longs = withDistance(snap.longs, 103);
    const shorts = withDistance(snap.shorts, 103);
    assert.ok(longs.length > 0 && shorts.length > 0);
    for (const l of longs) {
      assert.equal(l.distance, l.price - 103);
      assert.ok(l.distance < 0 && l.distance_bps < 0);
      assert.ok(Math.abs(l.distance_bps - (1e4 * l.distance) / 103) < 1e-9);
    }
    for (const s of shorts) assert.ok(s.distance > 0 && s.distance_bps > 0);
    // 10x on a 100 VWAP: longs near 100 x 0.9 / (1 - mmr), about -1260 bps from 103.
    assert.ok(longs.some((l) => l.distance_bps > -1300 && l.distance_bps < -1200), JSON.stringify(longs.map((l) => l.distance_bps)));
  });
});
