import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import type { Venue } from '../../src/core/events.ts';
import {
  binner,
  heatmapCells,
  heatmapFromRows,
  LiquidationHeatmapOperator,
  liquidationHeatmap,
  LiquidationMapOperator,
  liquidationSnapshots,
  venuesOf,
  type HeatmapMatrixOptions,
  type HeatmapOptions,
  type HeatmapRow,
  type LiquidationColumns,
  type LiquidationMapOptions,
  type LiquidationSnapshot,
} from '../../src/features/liquidations.ts';
import { zonesFromClusters } from '../../src/features/absorption.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { BIN, BINS, cascade, merged, noise, type LiqRow } from './cascades.ts';
import { columns as tradeColumns, cuts, slice as sliceTrades } from './trades.ts';

const SELL = -1; // forced sell: a LONG was liquidated
const BUY = 1; // forced buy: a SHORT was liquidated
const VEN: readonly Venue[] = ['binance', 'okx', 'bybit'];
// VENUES order is binance, binance-spot, okx, bybit: bits 1, 4, 8.
const BINANCE = 1;
const OKX = 4;
const BYBIT = 8;

/** [ts, price, qty, side (-1 forced sell / +1 forced buy), venue index into VEN] */
type Liq = readonly [number, number, number, number, number];

function liqColumns(rows: readonly Liq[], venues: readonly Venue[] = VEN): LiquidationColumns {
  const n = rows.length;
  const c = { length: n, ts: new Float64Array(n), price: new Float64Array(n), qty: new Float64Array(n), side: new Int8Array(n), venue: new Uint8Array(n), venues };
  rows.forEach(([ts, price, qty, side, venue], i) => {
    c.ts[i] = ts;
    c.price[i] = price;
    c.qty[i] = qty;
    c.side[i] = side;
    c.venue[i] = venue;
  });
  return c;
}

function sliceLiqs(c: LiquidationColumns, from: number, to: number): LiquidationColumns {
  return { length: to - from, ts: c.ts.slice(from, to), price: c.price.slice(from, to), qty: c.qty.slice(from, to), side: c.side.slice(from, to), venue: c.venue.slice(from, to), venues: c.venues };
}

const HAND: Liq[] = [
  [0, 100, 2, SELL, 0], // long bin 100: 200
  [1000, 100.25, 1, SELL, 1], // long bin 100: 100.25 (level 200 x 0.5 + 100.25 = 200.25)
  [1000, 101, 1, SELL, 0], // long bin 101: 101
  [2000, 105, 0.1, SELL, 2], // long bin 105: 10.5
  [2000, 99, 3, BUY, 1], // short bin 99: 297
];
/** [ts, price, qty, aggressor side] */
const HAND_TRADES = tradeColumns([
  [500, 101, 1, BUY], // before bin 101 has a liquidation: ignored
  [1500, 100, 1, SELL], // in the long cluster after its last liquidation (1000): revisit
  [2000, 99, 1, BUY], // same ms as the short liquidation: not after it
  [2500, 99.4, 1, BUY], // bin 99 after 2000: revisit
]);
/** Small numbers for hand computation: 1-tick bins, a 1 s half-life, windows of 2 bins each side, the window test left out (medianMultiple 0). */
const OPTS: LiquidationMapOptions = { bins: { tick: 1 }, halfLifeMs: 1000, retainMs: 10_000, windowBins: 2, medianMultiple: 0, binMultiple: 0.5, clusterMultiple: 1 };

describe('liquidation map: hand-computed', () => {
  const [s2000, s3000] = liquidationSnapshots(liqColumns(HAND), HAND_TRADES, [2000, 3000], OPTS);

  it('bins by side liquidated, with notional, qty, count, venues, first/last, decayed intensity and background', () => {
    // Background = the larger median of the 3-bin windows below and above: bin 100 has [0, 0, 100.125]
    // (98..100) and [0, 50.5, 100.125] (100..102): 50.5. Bin 105 has only empty bins beside it: 0.
    assert.deepEqual(s2000.longs, [
      { index: 100, price: 100, notional: 300.25, qty: 3, count: 2, venue_mask: BINANCE | OKX, first_ts: 0, last_ts: 1000, intensity: 100.125, background: 50.5, hot: true },
      { index: 101, price: 101, notional: 101, qty: 1, count: 1, venue_mask: BINANCE, first_ts: 1000, last_ts: 1000, intensity: 50.5, background: 50.5, hot: false },
      { index: 105, price: 105, notional: 10.5, qty: 0.1, count: 1, venue_mask: BYBIT, first_ts: 2000, last_ts: 2000, intensity: 10.5, background: 0, hot: false },
    ]);
    assert.deepEqual(s2000.shorts, [{ index: 99, price: 99, notional: 297, qty: 3, count: 1, venue_mask: OKX, first_ts: 2000, last_ts: 2000, intensity: 297, background: 0, hot: true }]);
    assert.deepEqual(s3000.longs.map((b) => b.intensity), [50.0625, 25.25, 5.25]);
    assert.deepEqual(venuesOf(BINANCE | OKX | BYBIT), ['binance', 'okx', 'bybit']);
  });

  it('the typical liquidation notional is a decayed mean over both sides, and sets the floors', () => {
    // Notionals 200 @0, 100.25 and 101 @1000, 10.5 and 297 @2000, half-life 1 s:
    // sum = ((200 / 2 + 100.25 + 101) / 2 + 10.5 + 297) = 458.125, count = ((1 / 2 + 2) / 2 + 2) = 3.25.
    assert.equal(s2000.typical_notional, 458.125 / 3.25);
    assert.equal(s2000.floor, 0.5 * (458.125 / 3.25));
    // Hot: intensity >= medianMultiple x background + floor: bin 100 (100.125 >= 70.48) is, bin 101 (50.5) is not.
    assert.equal(s2000.cluster_floor, 458.125 / 3.25);
    // Between liquidations the mean does not decay (sum and count decay alike).
    assert.equal(s3000.typical_notional, s2000.typical_notional);
  });

  it('a run below the cluster floor is no cluster; a lone heavy bin is one', () => {
    // Long bin 100 is hot (100.125 >= 70.48) but holds less than 1 typical (140.96); short bin 99 holds 297.
    assert.deepEqual(s2000.clusters, [
      {
        side: 'short', low_index: 99, high_index: 99, low: 99, high: 99, peak: 99, bins: 1, hot_bins: 1,
        intensity: 297, notional: 297, qty: 3, count: 1, venue_mask: OKX, venues: ['okx'],
        first_ts: 2000, last_ts: 2000, revisited: false, last_touch_ts: NaN,
      },
    ]);
    const [low] = liquidationSnapshots(liqColumns(HAND), HAND_TRADES, [2000], { ...OPTS, clusterMultiple: 0.5 });
    assert.deepEqual(low.clusters.map((c) => [c.side, c.low_index, c.high_index, c.bins, c.hot_bins, c.intensity, c.revisited, c.last_touch_ts]), [
      ['long', 100, 100, 1, 1, 100.125, true, 1500],
      ['short', 99, 99, 1, 1, 297, false, NaN],
    ]);
  });

  it('marks a cluster revisited only by a trade strictly after its last liquidation', () => {
    const short = s3000.clusters.find((c) => c.side === 'short')!;
    assert.deepEqual([short.revisited, short.last_touch_ts, short.intensity], [true, 2500, 148.5]);
    const [none] = liquidationSnapshots(liqColumns(HAND), undefined, [2000], OPTS);
    assert.deepEqual(none.clusters.map((c) => c.revisited), [false]);
  });

  it('a trade in a bin that a liquidation opened since the last trade at the same price marks it revisited (streaming)', () => {
    const op = new LiquidationMapOperator(OPTS);
    const trades = tradeColumns([[-500, 99, 1, BUY], [2500, 99, 1, BUY]]);
    op.pushTrades(trades, 0, 1); // no bin at 99 yet
    op.pushLiquidations(liqColumns(HAND));
    op.pushTrades(trades, 1, 2); // the same price as the trade before
    const got = op.at(3000);
    const short = got.clusters.find((c) => c.side === 'short')!;
    assert.deepEqual([short.revisited, short.last_touch_ts], [true, 2500]);
    assert.deepEqual(got, liquidationSnapshots(liqColumns(HAND), trades, [3000], OPTS)[0]);
  });

  it('judges a bin against the dense windows beside it, empty bins counting as zero', () => {
    // Long bins 10..14 with notionals 100, 100, 300, 100, 100: typical 140, floor 0.5 x 140 = 70.
    const rows: Liq[] = [100, 100, 300, 100, 100].map((n, k) => [0, 10 + k, n / (10 + k), SELL, 0]);
    const o: LiquidationMapOptions = { bins: { tick: 1 }, windowBins: 2, medianMultiple: 2, binMultiple: 0.5, clusterMultiple: 2 };
    const [s] = liquidationSnapshots(liqColumns(rows), undefined, [0], o);
    // Bin 10: below 8..10 = [0, 0, 100] (median 0), above 10..12 = [100, 100, 300] (100): the busier side, 100.
    // Bin 12: [100, 100, 300] both ways: 100. Hot needs 2 x 100 + 70 = 270: only bin 12.
    assert.deepEqual(s.longs.map((b) => [b.index, Math.round(b.background), b.hot]), [[10, 100, false], [11, 100, false], [12, 100, true], [13, 100, false], [14, 100, false]]);
    assert.deepEqual(s.clusters.map((c) => [c.low_index, c.high_index]), [[12, 12]]);
    // With windows of 0 bins a bin is its own background: nothing stands out from itself.
    const [own] = liquidationSnapshots(liqColumns(rows), undefined, [0], { ...o, windowBins: 0 });
    assert.deepEqual([own.longs.map((b) => Math.round(b.background)), own.clusters], [[100, 100, 300, 100, 100], []]);
    // An absolute floor.
    const [abs] = liquidationSnapshots(liqColumns(rows), undefined, [0], { ...o, minIntensity: 301 });
    assert.deepEqual(abs.clusters, []);
  });

  it('bridges a one-bin gap, empty or cold, but not two', () => {
    const o: LiquidationMapOptions = { bins: { tick: 1 }, windowBins: 0, medianMultiple: 0, binMultiple: 0, clusterMultiple: 0, minIntensity: 50 };
    const at = (rows: [number, number][]) => liquidationSnapshots(liqColumns(rows.map(([p, n]) => [0, p, n / p, SELL, 0] as Liq)), undefined, [0], o)[0].clusters;
    const empty = at([[10, 100], [12, 100]]);
    assert.deepEqual(empty.map((c) => [c.low_index, c.high_index, c.bins, c.hot_bins]), [[10, 12, 3, 2]]);
    const cold = at([[10, 100], [11, 20], [12, 100]]);
    assert.deepEqual(cold.map((c) => [c.low_index, c.high_index, c.bins, c.hot_bins, Math.round(c.notional)]), [[10, 12, 3, 2, 220]]);
    const two = at([[10, 100], [13, 100]]);
    assert.deepEqual(two.map((c) => [c.low_index, c.high_index]), [[10, 10], [13, 13]]);
  });

  it('forgets a bin side after retainMs without liquidations, and restarts it', () => {
    const c = liqColumns([[0, 100, 1, SELL, 0], [5000, 100, 2, SELL, 1]]);
    const [a, b, d] = liquidationSnapshots(c, undefined, [3000, 3001, 5000], { ...OPTS, retainMs: 3000 });
    assert.deepEqual(a.longs.map((x) => x.intensity), [12.5]); // 100 x 2^-3
    assert.deepEqual(b.longs, []);
    assert.deepEqual(d.longs.map((x) => [x.notional, x.count, x.first_ts, x.intensity, x.venue_mask]), [[200, 1, 5000, 200, OKX]]);
  });

  it('bins by tick index first, then whole bins of ticks', () => {
    // 100.1 / 0.2 is 500.49999999999994; tick index 1001 / 2 = 500.5 -> 501.
    const [s] = liquidationSnapshots(liqColumns([[0, 100.1, 1, SELL, 0], [0, 100.2, 1, SELL, 0], [0, 100.3, 1, SELL, 0]]), undefined, [0], { ...OPTS, bins: { tick: 0.1, binTicks: 2 } });
    assert.deepEqual(s.longs.map((b) => [b.index, b.price, b.count]), [[501, 100.2, 2], [502, 100.4, 1]]); // 1003 / 2 = 501.5 -> 502
  });

  it('bps bins are fixed log-price bins: index round(ln p / ln(1 + bps/1e4))', () => {
    const b = binner({ bps: 10 });
    assert.deepEqual([100, 100.05, 100.1, 99.9].map((p) => b.index(p)), [4607, 4608, 4608, 4606]);
    assert.ok(Math.abs(b.price(4608) / b.price(4607) - 1.001) < 1e-12);
    assert.ok(Math.abs(b.price(4607) - 99.95279599737118) < 1e-9);
    const [s] = liquidationSnapshots(liqColumns([[0, 100.05, 1, SELL, 0], [0, 100.1, 1, SELL, 0]]), undefined, [0], { ...OPTS, bins: { bps: 10 } });
    assert.deepEqual(s.longs.map((x) => [x.index, x.count]), [[4608, 2]]);
  });

  it('a bps bin index (index or indexIn) is the formula round(ln p / step) bit for bit for any sequence of prices, at and beside the bin edges', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0.5, 1, 10, 25),
        fc.double({ min: 1e-6, max: 1e7, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -40, max: 40 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
        (bps, start, moves) => {
          const b = binner({ bps });
          const step = Math.log1p(bps / 1e4);
          let k = Math.round(Math.log(start) / step);
          // A walk over bins, each price a few ulps from a bin edge or a tick inside the bin.
          for (const [dk, ulps, onEdge] of moves) {
            k += dk;
            const edge = Math.exp((k + 0.5) * step);
            const p = onEdge ? edge * (1 + ulps * Number.EPSILON) : Math.exp(k * step) * (1 + ulps * 1e-6 * step);
            // indexIn (the price read from a column) shares the remembered bins with index.
            const got = ulps % 2 ? b.indexIn(Float64Array.of(0, p), 1) : b.index(p);
            assert.equal(got, Math.round(Math.log(p) / step), `p = ${p}`);
          }
          for (const p of [0, -1, NaN, Infinity, Number.MIN_VALUE, 1e300]) assert.ok(Object.is(b.index(p), Math.round(Math.log(p) / step)), `p = ${p}`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses bad input with clear errors', () => {
    assert.throws(() => liquidationSnapshots(liqColumns([[1, 100, 1, SELL, 0], [0, 100, 1, SELL, 0]]), undefined, [1], OPTS), OutOfOrderError);
    assert.throws(() => liquidationSnapshots(liqColumns([[0, 0, 1, SELL, 0]]), undefined, [1], OPTS), /row 0 has price 0/);
    assert.throws(() => liquidationSnapshots(liqColumns([]), undefined, [2, 1], OPTS), /non-decreasing/);
    assert.throws(() => binner({ tick: 1, binTicks: 1.5 }), /binTicks/);
    assert.throws(() => binner({ bps: 0 }), /bps/);
    const op = new LiquidationMapOperator(OPTS);
    op.pushLiquidations(liqColumns([[10, 100, 1, SELL, 0]]));
    assert.throws(() => op.at(9), /snapshot at 9 ms/);
    assert.throws(() => op.pushTrades(tradeColumns([[5, 100, 1, BUY]])), OutOfOrderError);
  });
});

/** Feed the operator liquidations, trades and snapshot times merged in time order. */
function incremental(liqs: LiquidationColumns, trades: TradeColumns, times: readonly number[], opts: LiquidationMapOptions, cutAt: ReadonlySet<number>, tradesFirst: boolean, sliced: boolean): LiquidationSnapshot[] {
  const op = new LiquidationMapOperator(opts);
  const out: LiquidationSnapshot[] = [];
  let li = 0;
  let ti = 0;
  let from = 0;
  const flushLiqs = () => {
    if (from < li) sliced ? op.pushLiquidations(sliceLiqs(liqs, from, li)) : op.pushLiquidations(liqs, from, li);
    from = li;
  };
  for (const t of [...times, Infinity]) {
    for (;;) {
      const lt = li < liqs.length && liqs.ts[li] <= t ? liqs.ts[li] : Infinity;
      const tt = ti < trades.length && trades.ts[ti] <= t ? trades.ts[ti] : Infinity;
      if (lt === Infinity && tt === Infinity) break;
      if (lt < tt || (lt === tt && !tradesFirst)) {
        if (cutAt.has(li)) flushLiqs();
        li++;
      } else {
        flushLiqs();
        sliced ? op.pushTrades(sliceTrades(trades, ti, ti + 1)) : op.pushTrades(trades, ti, ti + 1);
        ti++;
      }
    }
    flushLiqs();
    if (t !== Infinity) out.push(op.at(t));
  }
  return out;
}

const liqArb = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 50 }), fc.constantFrom(SELL, BUY), fc.integer({ min: 0, max: 2 }));
const tradeArb = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 12 }));
/** Non-decreasing times from positive gaps. */
function times<T extends readonly [number, ...unknown[]]>(rows: readonly T[]): T[] {
  let t = 0;
  return rows.map((r) => {
    t += r[0];
    return [t, ...r.slice(1)] as unknown as T;
  });
}
/** Prices on a 0.1 grid near 100, binned by 3 ticks: exercises tick-index rounding. */
const px = (k: number) => Number(((1000 + k) * 0.1).toFixed(1));

function scenario(liqRows: readonly (readonly [number, number, number, number, number])[], tradeRows: readonly (readonly [number, number])[]) {
  const liqs = liqColumns(times(liqRows).map(([t, k, q, s, v]) => [t, px(k), q / 10, s, v] as Liq));
  const trades = tradeColumns(times(tradeRows).map(([t, k]) => [t, px(k), 1, BUY] as const));
  return { liqs, trades };
}

const PROP_OPTS: LiquidationMapOptions = { bins: { tick: 0.1, binTicks: 3 }, halfLifeMs: 500, retainMs: 1200, windowBins: 1, binMultiple: 1, clusterMultiple: 2 };

describe('liquidation map: properties', () => {
  it('incremental equals batch for any chunking and tie order of trades and liquidations', () => {
    fc.assert(
      fc.property(
        fc.array(liqArb, { maxLength: 60 }),
        fc.array(tradeArb, { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }),
        fc.record({ medianMultiple: fc.constantFrom(0, 1, 2), windowBins: fc.constantFrom(0, 1, 3), binMultiple: fc.constantFrom(0, 1, 3), clusterMultiple: fc.constantFrom(0, 2, 6) }),
        fc.boolean(),
        fc.boolean(),
        (lr, tr, gaps, fr, rule, tradesFirst, sliced) => {
          const { liqs, trades } = scenario(lr, tr);
          const at = times(gaps.map((g) => [g] as const)).map(([t]) => t);
          const opts = { ...PROP_OPTS, ...rule };
          const batch = liquidationSnapshots(liqs, trades, at, opts);
          assert.deepEqual(incremental(liqs, trades, at, opts, new Set(cuts(liqs.length, fr)), tradesFirst, sliced), batch);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is causal: appending later events never changes an earlier snapshot', () => {
    fc.assert(
      fc.property(fc.array(liqArb, { maxLength: 40 }), fc.array(tradeArb, { maxLength: 40 }), fc.array(liqArb, { minLength: 1, maxLength: 20 }), fc.array(tradeArb, { maxLength: 20 }), fc.integer({ min: 0, max: 3000 }), (lr, tr, moreL, moreT, tq) => {
        const base = scenario(lr, tr);
        const last = (c: { length: number; ts: Float64Array }) => (c.length ? c.ts[c.length - 1] : 0);
        const t = Math.max(tq, last(base.liqs), last(base.trades));
        // The future starts strictly after t.
        const more = scenario(moreL, moreT);
        const liqs = liqColumns([...rowsOf(base.liqs), ...rowsOf(more.liqs).map(([x, ...r]) => [x + t + 1, ...r] as const)]);
        const trades = tradeColumns([...tradeRowsOf(base.trades), ...tradeRowsOf(more.trades).map(([x, ...r]) => [x + t + 1, ...r] as const)]);
        const [before] = liquidationSnapshots(base.liqs, base.trades, [t], PROP_OPTS);
        const [after] = liquidationSnapshots(liqs, trades, [t], PROP_OPTS);
        assert.deepEqual(after, before);
        assert.deepEqual(incremental(liqs, trades, [t], PROP_OPTS, new Set(), false, false), [before]);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps state bounded: bins expired everywhere are dropped', () => {
    const op = new LiquidationMapOperator({ bins: { tick: 1 }, halfLifeMs: 100, retainMs: 1000 });
    for (let i = 0; i < 20_000; i++) op.pushLiquidations(liqColumns([[i * 10, 1000 + i, 1, SELL, 0]]));
    const size = (op as unknown as { bins: Map<number, unknown> }).bins.size;
    assert.ok(size <= 2048, `bins kept: ${size}`);
    assert.equal(op.at(200_000).longs.length, 100); // live: last ts >= 199_000, i.e. the last 100 bins
  });
});

function rowsOf(c: LiquidationColumns): Liq[] {
  return Array.from({ length: c.length }, (_, i) => [c.ts[i], c.price[i], c.qty[i], c.side[i], c.venue[i]] as const);
}
function tradeRowsOf(c: TradeColumns): [number, number, number, number][] {
  return Array.from({ length: c.length }, (_, i) => [c.ts[i], c.price[i], c.qty[i], c.side[i]]);
}

describe('liquidation heatmap', () => {
  const TF: HeatmapOptions = { timeframeMs: 1000, bins: { tick: 1 } };

  it('sums liquidated notional per time bucket and price bin, per side, with its axes', () => {
    const h = liquidationHeatmap(liqColumns(HAND), TF);
    assert.deepEqual([...h.bucket_starts], [0, 1000, 2000]);
    assert.deepEqual([...h.bin_indexes], [99, 100, 101, 102, 103, 104, 105]);
    assert.deepEqual([...h.bin_prices], [99, 100, 101, 102, 103, 104, 105]);
    assert.deepEqual([h.rows, h.cols, h.clipped_cells, h.timeframe_ms], [3, 7, 0, 1000]);
    // prettier-ignore
    assert.deepEqual([...h.long], [
      0, 200, 0, 0, 0, 0, 0,
      0, 100.25, 101, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 10.5,
    ]);
    assert.deepEqual([...h.short], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 297, 0, 0, 0, 0, 0, 0]);
  });

  it('clips to a price and time range, counting the cells left out', () => {
    const h = liquidationHeatmap(liqColumns(HAND), { ...TF, minPrice: 100, maxPrice: 101, fromMs: 1000, toMs: 4000 });
    assert.deepEqual([...h.bucket_starts], [1000, 2000, 3000]);
    assert.deepEqual([...h.bin_prices], [100, 101]);
    assert.deepEqual([...h.long], [100.25, 101, 0, 0, 0, 0]);
    assert.deepEqual([...h.short], [0, 0, 0, 0, 0, 0]);
    assert.equal(h.clipped_cells, 3); // bucket 0 (long 100), long 105, short 99
    assert.throws(() => liquidationHeatmap(liqColumns(HAND), { ...TF, maxCells: 20 }), /3 buckets x 7 bins exceeds maxCells 20/);
    const empty = liquidationHeatmap(liqColumns([]), TF);
    assert.deepEqual([empty.rows, empty.cols, empty.long.length], [0, 0, 0]);
  });

  it('incremental rows give the batch matrix for any chunking and axes', () => {
    fc.assert(
      fc.property(
        fc.array(liqArb, { maxLength: 60 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })), { nil: undefined }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2000 })), { nil: undefined }),
        (lr, fr, prices, span) => {
          const { liqs } = scenario(lr, []);
          const opts: HeatmapOptions & HeatmapMatrixOptions = {
            timeframeMs: 300,
            bins: { tick: 0.1, binTicks: 3 },
            ...(prices ? { minPrice: px(prices[0]), maxPrice: px(prices[0] + prices[1]) } : {}),
            ...(span ? { fromMs: span[0], toMs: span[0] + span[1] } : {}),
          };
          const rows: HeatmapRow[] = [];
          const op = new LiquidationHeatmapOperator(opts, (r) => rows.push(r));
          const bounds = [0, ...cuts(liqs.length, fr), liqs.length];
          for (let i = 0; i + 1 < bounds.length; i++) op.push(sliceLiqs(liqs, bounds[i], bounds[i + 1]));
          op.flush();
          assert.deepEqual(heatmapFromRows(rows, opts), liquidationHeatmap(liqs, opts));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('liquidation clusters: cascades and noise (default rule, 10 bp bins)', () => {
  const H = 3_600_000;
  const T = Date.UTC(2026, 0, 1);
  const TOP = BIN.index(60_000);
  const snapAt = (rows: LiqRow[], at: number) => liquidationSnapshots(liqColumns(rows.map(([ts, p, q, side]) => [ts, p, q, side, 0])), undefined, [at], { bins: BINS })[0];
  const spans = (s: LiquidationSnapshot) => s.clusters.map((c) => [c.side, c.low_index - TOP, c.high_index - TOP]);
  /** The zone a cluster becomes: half a bin beyond its extreme bins. */
  const zone = (s: LiquidationSnapshot, i: number) => zonesFromClusters([s.clusters[i]], { fromTs: s.ts, bins: BINS })[0];
  const near = (a: number, b: number) => Math.abs(a / b - 1) < 1e-9;

  it('an even cascade is one cluster over its bins: 71 forced sells over ten bins in 3 minutes', () => {
    const rows = cascade({ t0: T, durationMs: 180_000, fromIndex: TOP, bins: 10, n: 71, side: -1, qty: 0.2 });
    // 7 or 8 orders a bin: no bin reaches twice the median of the bins that had liquidations (the old rule found nothing).
    const s = snapAt(rows, T + 180_000);
    assert.deepEqual(spans(s), [['long', -9, 0]]);
    assert.equal(s.clusters[0].hot_bins, 10);
    assert.equal(s.clusters[0].count, 71);
    // Zone edges: half a bin (about 5 bps) beyond the lowest and highest bin prices (59,486.47 and 60,023.99).
    const z = zone(s, 0);
    assert.ok(near(z.low, (BIN.price(TOP - 10) + BIN.price(TOP - 9)) / 2) && Math.abs(z.low - 59_456.76) < 0.01, `low ${z.low}`);
    assert.ok(near(z.high, (BIN.price(TOP) + BIN.price(TOP + 1)) / 2) && Math.abs(z.high - 60_054.01) < 0.01, `high ${z.high}`);
    // Four hours later (one half-life) it is still there; 16 hours later it has faded below the floors.
    assert.deepEqual(spans(snapAt(rows, T + 4 * H)), [['long', -9, 0]]);
    assert.deepEqual(snapAt(rows, T + 16 * H).clusters, []);
  });

  it('a single-bin spike in sparse noise is a one-bin cluster, the noise none', () => {
    const spike = cascade({ t0: T + 2 * H, durationMs: 20_000, fromIndex: TOP + 20, bins: 1, n: 12, side: 1, qty: 0.2 });
    const bg = noise(7, T, 4 * H, 60, TOP, 50, 0.2);
    assert.deepEqual(spans(snapAt(bg, T + 4 * H)), []);
    const s = snapAt(merged(bg, spike), T + 4 * H);
    assert.deepEqual(spans(s), [['short', 20, 20]]);
    const z = zone(s, 0);
    assert.ok(near(z.low, (BIN.price(TOP + 19) + BIN.price(TOP + 20)) / 2) && near(z.high, (BIN.price(TOP + 20) + BIN.price(TOP + 21)) / 2));
  });

  it('two cascades with a gap are two clusters; a one-bin gap is bridged into one', () => {
    const a = cascade({ t0: T, durationMs: 60_000, fromIndex: TOP, bins: 4, n: 30, side: -1, qty: 0.2 });
    const apart = cascade({ t0: T + 120_000, durationMs: 60_000, fromIndex: TOP - 7, bins: 4, n: 30, side: -1, qty: 0.2 });
    const s = snapAt(merged(a, apart), T + H);
    assert.deepEqual(spans(s), [['long', -10, -7], ['long', -3, 0]]);
    assert.ok(near(zone(s, 0).high, (BIN.price(TOP - 7) + BIN.price(TOP - 6)) / 2) && near(zone(s, 1).low, (BIN.price(TOP - 4) + BIN.price(TOP - 3)) / 2));
    const close = cascade({ t0: T + 120_000, durationMs: 60_000, fromIndex: TOP - 5, bins: 4, n: 30, side: -1, qty: 0.2 });
    const one = snapAt(merged(a, close), T + H);
    assert.deepEqual(spans(one), [['long', -8, 0]]);
    assert.deepEqual([one.clusters[0].bins, one.clusters[0].hot_bins], [9, 8]);
  });

  it('background noise forms no cluster, sparse or dense', () => {
    // Sparse: 80 liquidations over 8 h across 101 bins. Dense: 6,000 over 8 h across 121 bins (about 25 a bin and side).
    for (const seed of [1, 2, 3, 4, 5]) {
      assert.deepEqual(spans(snapAt(noise(seed, T, 8 * H, 80, TOP, 50, 0.2), T + 8 * H)), [], `sparse, seed ${seed}`);
      assert.deepEqual(spans(snapAt(noise(seed, T, 8 * H, 6000, TOP, 60, 0.2), T + 8 * H)), [], `dense, seed ${seed}`);
    }
    // A cascade on top of the dense noise stands out from it: 120 forced sells in 1 minute over 2 bins
    // (about 60 typical a bin against a background of about 13 typical: 2 x 13 + 3 needed).
    const dense = noise(1, T, 8 * H, 6000, TOP, 60, 0.2);
    const hit = cascade({ t0: T + 7 * H, durationMs: 60_000, fromIndex: TOP - 30, bins: 2, n: 120, side: -1, qty: 0.2 });
    assert.deepEqual(spans(snapAt(merged(dense, hit), T + 8 * H)), [['long', -31, -30]]);
  });
});

describe('heatmap cells', () => {
  it('lists every non-empty cell of both sides, largest first, ties by bucket then bin', () => {
    const grid = {
      timeframe_ms: 60_000, bucket_starts: Float64Array.from([0, 60_000]), bin_indexes: Int32Array.from([7, 8]), bin_prices: Float64Array.from([10, 11]),
      rows: 2, cols: 2, long: Float64Array.from([5, 0, 0, 5]), short: Float64Array.from([0, 9, 5, 0]),
    };
    assert.deepEqual(heatmapCells(grid), [[0, 1, 'short', 9], [0, 0, 'long', 5], [1, 0, 'short', 5], [1, 1, 'long', 5]]);
  });
});
