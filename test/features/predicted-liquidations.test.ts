import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { OpenInterestColumns, OpenInterestMarket, TradeColumns } from '../../src/core/columns.ts';
import { InstrumentRegistry, type Instrument } from '../../src/core/instruments.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import {
  marginInstrumentOf,
  PredictedLiquidationOperator,
  predictedLiquidationsByLeverage,
  predictedLiquidationSnapshots,
  projectedLiquidationPrice,
  projectLiquidationPrice,
  type PredictedLiquidationOptions,
  type PredictedLiquidationSnapshot,
} from '../../src/features/predicted-liquidations.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { columns as tradeColumns, cuts, slice as sliceTrades } from './trades.ts';

const BUY = 1;
const SELL = -1;
const BINANCE_BTC: OpenInterestMarket = { venue: 'binance', symbol: 'BTCUSDT' };
const OKX_BTC: OpenInterestMarket = { venue: 'okx', symbol: 'BTC-USDT-SWAP' };

/** [ts, open interest (base), mark price (NaN = none), market index (default 0)] */
type Oi = readonly [number, number, number, number?];

function oiColumns(rows: readonly Oi[], markets: readonly OpenInterestMarket[] = [BINANCE_BTC]): OpenInterestColumns {
  const n = rows.length;
  const c = { length: n, ts: new Float64Array(n), openInterest: new Float64Array(n), markPrice: new Float64Array(n), market: new Uint16Array(n), markets };
  rows.forEach(([ts, oi, mark, m], i) => {
    c.ts[i] = ts;
    c.openInterest[i] = oi;
    c.markPrice[i] = mark;
    c.market[i] = m ?? 0;
  });
  return c;
}

function sliceOi(c: OpenInterestColumns, from: number, to: number): OpenInterestColumns {
  return { length: to - from, ts: c.ts.slice(from, to), openInterest: c.openInterest.slice(from, to), markPrice: c.markPrice.slice(from, to), market: c.market.slice(from, to), markets: c.markets };
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.abs(expected), `${what}: ${actual} != ${expected}`);
}

describe("liquidation price: each venue's own rule and tiers", () => {
  const fallback = (venue: 'binance' | 'okx' | 'bybit') => marginInstrumentOf(venue, 'NONE', undefined);

  it('gives E(1 - 1/L)/(1 - mmr) for a long and E(1 + 1/L)/(1 + mmr) for a short with the fallback rate', () => {
    close(projectLiquidationPrice(1, 100, 10, 10_000, fallback('binance'), 0.005)!.price, 90 / 0.995, 'long');
    close(projectLiquidationPrice(-1, 100, 10, 10_000, fallback('binance'), 0.005)!.price, 110 / 1.005, 'short');
    // 1x long and a rate above 1/L: no liquidation level.
    assert.equal(projectLiquidationPrice(1, 100, 1, 10_000, fallback('binance'), 0.005), undefined);
    assert.equal(projectLiquidationPrice(1, 100, 100, 10_000, fallback('binance'), 0.02), undefined);
  });

  it('the price alone (no record) is the projection\'s price, NaN where there is none, for fallback and tiered instruments', () => {
    const capped = { ...fallback('bybit'), maxLeverage: 20 };
    const bundled = loadBundledInstruments();
    const insts = [fallback('binance'), fallback('okx'), fallback('bybit'), capped, bundled.get('binance', 'BTCUSDT')!, bundled.get('okx', 'BTC-USDT-SWAP')!, bundled.get('bybit', 'BTCUSDT')!];
    fc.assert(
      fc.property(
        fc.constantFrom<1 | -1>(1, -1),
        fc.double({ min: 0.01, max: 200_000, noNaN: true }),
        fc.constantFrom(1, 2, 3, 5, 10, 20, 50, 100, 125, 150),
        fc.double({ min: 1, max: 5e7, noNaN: true }),
        fc.integer({ min: 0, max: insts.length - 1 }),
        fc.constantFrom(0.004, 0.005, 0.02, 0.5),
        (side, entry, lev, notional, ii, mmr) => {
          const want = projectLiquidationPrice(side, entry, lev, notional, insts[ii], mmr)?.price ?? NaN;
          assert.ok(Object.is(projectedLiquidationPrice(side, entry, lev, notional, insts[ii], mmr), want));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("uses the bundled Binance BTCUSDT brackets, re-picking the tier of the notional at the liquidation price", () => {
    const inst = loadBundledInstruments().get('binance', 'BTCUSDT')!;
    // 10,000 USDT: bracket 1 (0.4%, cum 0) at entry and at liquidation.
    const l = projectLiquidationPrice(1, 50_000, 10, 10_000, inst, 0.005)!;
    assert.deepEqual([l.mmr, l.cum, l.leverage], [0.004, 0, 10]);
    close(l.price, 45_000 / 0.996, 'long');
    close(projectLiquidationPrice(-1, 50_000, 10, 10_000, inst, 0.005)!.price, 55_000 / 1.004, 'short');
    // 49,000 USDT short: bracket 1 at entry, but 0.98 BTC x 54,780.88 = 53,685 > 50,000 at the
    // bracket-1 price, so bracket 2 (0.5%, cum 50): (55,000 + 50 / 0.98) / 1.005.
    const s = projectLiquidationPrice(-1, 50_000, 10, 49_000, inst, 0.005)!;
    assert.deepEqual([s.mmr, s.cum], [0.005, 50]);
    close(s.price, (55_000 + 50 / 0.98) / 1.005, 'short bracket 2');
    // 150x is capped at bracket 1's 125x.
    assert.equal(projectLiquidationPrice(1, 50_000, 150, 10_000, inst, 0.005)!.leverage, 125);
  });

  it("uses OKX's rule on OKX: tier by size, taker fee in the requirement (docs/MARGIN.md: 1 BTC long at 60,000, 10x -> 54,244.10)", () => {
    const inst = loadBundledInstruments().get('okx', 'BTC-USDT-SWAP')!;
    // 1 BTC is tier 1 (0.4%) of the bundled tiers; taker 0.05%: LP = (60,000 - 6,000) / (1 - 0.004 - 0.0005).
    const l = projectLiquidationPrice(1, 60_000, 10, 60_000, inst, 0.005)!;
    assert.equal(l.price.toFixed(2), '54244.10');
    // Binance's formula with the same tier would give 54,000 / 0.996 = 54,216.87.
    assert.notEqual(l.price.toFixed(2), (54_000 / 0.996).toFixed(2));
    // 20 BTC short at 60,000, 20x: tier 2 (0.5%) by size -> 63,000 / 1.0055 = 62,655.40.
    assert.equal(projectLiquidationPrice(-1, 60_000, 20, 1_200_000, inst, 0.005)!.price.toFixed(2), '62655.40');
  });

  it("uses Bybit's rule on Bybit: maintenance margin on the entry value (docs/MARGIN.md: 1 BTC long at 20,000, 50x -> 19,700)", () => {
    const inst = loadBundledInstruments().get('bybit', 'BTCUSDT')!;
    // Tier 1 (0.5%): LP = 20,000 - (IM 400 - MM 100) / 1 = 19,700 (Binance's formula: 19,698.49).
    const l = projectLiquidationPrice(1, 20_000, 50, 20_000, inst, 0.005)!;
    assert.equal(l.price.toFixed(2), '19700.00');
    assert.deepEqual([l.mmr, l.cum, l.leverage], [0.005, 0, 50]);
    // The short mirror: 20,000 + 300 = 20,300.
    assert.equal(projectLiquidationPrice(-1, 20_000, 50, 20_000, inst, 0.005)!.price.toFixed(2), '20300.00');
  });
});

const TEN_X: PredictedLiquidationOptions = { bins: { tick: 0.01 }, leverageMix: [{ leverage: 10, weight: 1 }] };
/** VWAP (99 + 202 + 99) / 4 = 100; buy share 301 / 400. */
const HAND_TRADES: [number, number, number, number][] = [
  [1, 99, 1, BUY],
  [2, 101, 2, BUY],
  [3, 99, 1, SELL],
];
const LONG_LP = 90 / 0.995; // 90.452..., bin 9045
const SHORT_LP = 110 / 1.005; // 109.452..., bin 10945

describe('predicted liquidation levels: hand-computed', () => {
  it('projects one OI increase at the VWAP, split by aggressor share, 10x only', () => {
    const oi = oiColumns([
      [0, 1000, NaN],
      [10, 1010, NaN],
    ]);
    const [s9, s10] = predictedLiquidationSnapshots(oi, tradeColumns(HAND_TRADES), [9, 10], TEN_X);
    assert.deepEqual(s9, { ts: 9, longs: [], shorts: [], long_notional: 0, short_notional: 0 });
    assert.equal(s10.longs.length, 1);
    assert.equal(s10.shorts.length, 1);
    const [l] = s10.longs;
    const [s] = s10.shorts;
    assert.deepEqual([l.index, l.price, l.count, l.venue_mask, l.venues, l.first_ts, l.last_ts], [9045, 90.45, 1, 1, ['binance'], 10, 10]);
    assert.deepEqual([s.index, s.price, s.count], [10945, 109.45, 1]);
    close(l.qty, 10 * (301 / 400), 'long qty');
    close(s.qty, 10 * (99 / 400), 'short qty');
    close(l.notional, 10 * (301 / 400) * LONG_LP, 'long notional');
    close(s.notional, 10 * (99 / 400) * SHORT_LP, 'short notional');
    close(s10.long_notional, l.notional, 'long total');
  });

  it('splits 50/50 with longShare 0.5 and enters at the mark price when the interval has no trades', () => {
    const oi = oiColumns([
      [0, 1000, NaN],
      [10, 1004, 100],
    ]);
    const [s] = predictedLiquidationSnapshots(oi, undefined, [10], { ...TEN_X, longShare: 'aggressor' });
    assert.deepEqual([s.longs[0].index, s.shorts[0].index], [9045, 10945]);
    close(s.longs[0].qty, 2, 'long qty');
    close(s.shorts[0].qty, 2, 'short qty');
    const [f] = predictedLiquidationSnapshots(oiColumns([[0, 1000, NaN], [10, 1004, NaN]]), tradeColumns(HAND_TRADES), [10], { ...TEN_X, longShare: 0.5 });
    close(f.longs[0].qty, 2, 'fixed share');
  });

  it('removes a level when price trades through it: long at or below, short at or above', () => {
    const oi = oiColumns([
      [0, 1000, NaN],
      [10, 1010, NaN],
    ]);
    const trades = tradeColumns([...HAND_TRADES, [20, 90.46, 1, SELL], [25, 90.454, 1, SELL], [30, 109.44, 1, BUY], [35, 109.45, 1, BUY]]);
    const [s20, s25, s30, s35] = predictedLiquidationSnapshots(oi, trades, [20, 25, 30, 35], TEN_X);
    assert.deepEqual([s20.longs.length, s20.shorts.length], [1, 1]); // 90.46 is the bin above
    assert.deepEqual([s25.longs.length, s25.shorts.length], [0, 1]); // 90.454 is in bin 9045
    assert.deepEqual([s30.longs.length, s30.shorts.length], [0, 1]);
    assert.deepEqual([s35.longs.length, s35.shorts.length], [0, 0]);
  });

  it('shrinks every level by OI_new / OI_old when OI falls, and clears them at 0', () => {
    const oi = oiColumns([
      [0, 1000, NaN],
      [10, 1010, NaN],
      [20, 909, NaN],
      [30, 0, NaN],
    ]);
    const [s10, s20, s30] = predictedLiquidationSnapshots(oi, tradeColumns(HAND_TRADES), [10, 20, 30], TEN_X);
    close(s20.longs[0].qty, s10.longs[0].qty * (909 / 1010), 'long qty');
    close(s20.shorts[0].notional, s10.shorts[0].notional * 0.9, 'short notional');
    assert.equal(s20.longs[0].count, 1);
    assert.deepEqual([s30.longs, s30.shorts], [[], []]);
  });

  it('counts a trade at the same ms as the OI in the interval it closes, never against the new level', () => {
    const oi = oiColumns([
      [0, 1000, NaN],
      [10, 1010, NaN],
    ]);
    // The trade at 10 belongs to the interval (0, 10] however it is pushed: VWAP 500 / 5 = 100.
    const trades = tradeColumns([...HAND_TRADES, [10, 100, 1, SELL]]);
    const [s] = predictedLiquidationSnapshots(oi, trades, [10], TEN_X);
    const op = new PredictedLiquidationOperator(TEN_X);
    op.pushOpenInterest(oi, 0, 1);
    op.pushTrades(trades, 0, 3);
    op.pushOpenInterest(oi, 1, 2); // before the trade of the same ms
    op.pushTrades(trades, 3, 4);
    assert.deepEqual(op.at(10), s);
    assert.deepEqual([s.longs[0].index, s.shorts[0].index], [9045, 10945]);
    close(s.longs[0].qty, 10 * (301 / 500), 'long qty');
    // A print at 80 in the same ms: the long level (~90.45) would be through already, so it is not created.
    const [through] = predictedLiquidationSnapshots(oi, tradeColumns([...HAND_TRADES, [10, 100, 1, SELL], [10, 80, 0.001, SELL]]), [10], TEN_X);
    assert.deepEqual([through.longs.length, through.shorts.length], [0, 1]);
  });

  it("projects each venue's levels with its own tiers and rule, and merges venues into one map with a venue mask", () => {
    const instruments = loadBundledInstruments();
    const oi = oiColumns(
      [
        [0, 100, NaN, 0],
        [0, 100, NaN, 1],
        [10, 101, 50_000, 0],
        [10, 101, 50_000, 1],
      ],
      [BINANCE_BTC, OKX_BTC],
    );
    const opts = { leverageMix: [{ leverage: 10, weight: 1 }], instruments };
    // Binance bracket 1 and OKX tier 1 are both 0.4% with no maintenance amount, but OKX also
    // requires the 0.05% taker fee: 45,000 / 0.996 = 45,180.7 and 45,000 / 0.9955 = 45,203.4.
    const [s] = predictedLiquidationSnapshots(oi, undefined, [10], { ...opts, bins: { tick: 1 } });
    assert.deepEqual(s.longs.map((l) => [l.index, l.venues]), [[Math.round(45_000 / 0.996), ['binance']], [Math.round(45_000 / 0.9955), ['okx']]]);
    // In 100-wide bins both fall in bin 452: one level, both venues.
    const [wide] = predictedLiquidationSnapshots(oi, undefined, [10], { ...opts, bins: { tick: 100 } });
    assert.equal(wide.longs.length, 1);
    assert.deepEqual([wide.longs[0].index, wide.longs[0].count, wide.longs[0].venues], [452, 2, ['binance', 'okx']]);
    close(wide.longs[0].qty, 1, 'two venues x 0.5');
  });

  it("puts a Bybit market's levels where Bybit liquidates (docs/MARGIN.md Example 1: 19,700, not Binance's 19,698.49)", () => {
    const oi = oiColumns([[0, 10, NaN], [1, 11, 20_000]], [{ venue: 'bybit', symbol: 'BTCUSDT' }]);
    const opts = { bins: { tick: 1 }, leverageMix: [{ leverage: 50, weight: 1 }], longShare: 0.5, positionNotional: 20_000 };
    const [s] = predictedLiquidationSnapshots(oi, undefined, [1], { ...opts, instruments: loadBundledInstruments() });
    assert.deepEqual([s.longs.map((l) => l.index), s.shorts.map((l) => l.index)], [[19_700], [20_300]]);
    // Without instruments the fallback rate (0.5%) still goes through Bybit's rule.
    const [f] = predictedLiquidationSnapshots(oi, undefined, [1], opts);
    assert.deepEqual(f.longs.map((l) => l.index), [19_700]);
  });

  it('refuses inverse contracts, two symbols on one venue, and events out of order', () => {
    const instruments = loadBundledInstruments();
    const inverse = oiColumns([[0, 1, NaN]], [{ venue: 'bybit', symbol: 'BTCUSD' }]);
    assert.throws(() => predictedLiquidationSnapshots(inverse, undefined, [0], { bins: { tick: 1 }, instruments }), /inverse/);
    const two = oiColumns([[0, 1, NaN, 0], [1, 2, NaN, 1]], [BINANCE_BTC, { venue: 'binance', symbol: 'ETHUSDT' }]);
    assert.throws(() => predictedLiquidationSnapshots(two, undefined, [1], TEN_X), /two symbols/);
    const op = new PredictedLiquidationOperator(TEN_X);
    op.pushTrades(tradeColumns([[5, 100, 1, BUY]]));
    assert.throws(() => op.pushOpenInterest(oiColumns([[4, 1, NaN]])), OutOfOrderError);
    assert.throws(() => op.at(4), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties.

const VEN = ['binance', 'okx'] as const;
const MARKETS = [BINANCE_BTC, OKX_BTC];
const OPTS: PredictedLiquidationOptions = { bins: { tick: 0.5 } };

interface Data {
  readonly oi: OpenInterestColumns;
  readonly trades: TradeColumns;
}

/** Random OI walks and trades on two venues, times with ties, prices around 100. */
const dataArb = fc
  .record({
    ois: fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 2000 }), fc.option(fc.integer({ min: 800, max: 1200 })), fc.integer({ min: 0, max: 1 })), { maxLength: 30 }),
    trades: fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 700, max: 1300 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), fc.integer({ min: 0, max: 1 })), { maxLength: 80 }),
  })
  .map(({ ois, trades }): Data => {
    const o = [...ois].sort((a, b) => a[0] - b[0]).map(([ts, oi, mark, m]): Oi => [ts, oi / 10, mark === null ? NaN : mark / 10, m]);
    const t = [...trades].sort((a, b) => a[0] - b[0]).map(([ts, px, q, buy, v]) => [ts, px / 10, q / 10, buy ? BUY : SELL, v] as const);
    return { oi: oiColumns(o, MARKETS), trades: tradeColumns(t, [...VEN]) };
  });

/** One event of the merged stream: a row of one of the inputs. */
type Ev = { kind: 'oi' | 'trade'; row: number; ts: number };

/** Merge in time order, breaking ts ties between the inputs by the given coin flips. */
function merge(d: Data, flips: readonly boolean[]): Ev[] {
  const out: Ev[] = [];
  let i = 0;
  let j = 0;
  let f = 0;
  while (i < d.oi.length || j < d.trades.length) {
    const to = i < d.oi.length ? d.oi.ts[i] : Infinity;
    const tt = j < d.trades.length ? d.trades.ts[j] : Infinity;
    const takeOi = to < tt || (to === tt && (flips[f++ % Math.max(1, flips.length)] ?? true));
    if (takeOi) out.push({ kind: 'oi', row: i, ts: d.oi.ts[i++] });
    else out.push({ kind: 'trade', row: j, ts: d.trades.ts[j++] });
  }
  return out;
}

/** Feed events [from, to) as runs of one input, each run cut where `cut` says. */
function feed(op: PredictedLiquidationOperator, d: Data, evs: readonly Ev[], from: number, to: number, cut: Set<number>): void {
  let k = from;
  while (k < to) {
    let e = k + 1;
    while (e < to && evs[e].kind === evs[k].kind && !cut.has(e)) e++;
    const a = evs[k].row;
    const b = evs[e - 1].row + 1;
    // Pass the run as a fresh slice or as a [from, to) window of the whole columns, alternately.
    if (evs[k].kind === 'oi') {
      if (a % 2) op.pushOpenInterest(sliceOi(d.oi, a, b));
      else op.pushOpenInterest(d.oi, a, b);
    } else if (a % 2) {
      op.pushTrades(sliceTrades(d.trades, a, b));
    } else {
      op.pushTrades(d.trades, a, b);
    }
    k = e;
  }
}

function incremental(d: Data, times: readonly number[], flips: readonly boolean[], fractions: readonly number[]): PredictedLiquidationSnapshot[] {
  const evs = merge(d, flips);
  const cut = new Set(cuts(evs.length, fractions));
  const op = new PredictedLiquidationOperator(OPTS);
  const out: PredictedLiquidationSnapshot[] = [];
  let k = 0;
  for (const t of times) {
    let e = k;
    while (e < evs.length && evs[e].ts <= t) e++;
    feed(op, d, evs, k, e, cut);
    k = e;
    out.push(op.at(t));
  }
  return out;
}

const timesArb = fc.array(fc.integer({ min: 0, max: 65 }), { minLength: 1, maxLength: 8 }).map((xs) => [...xs].sort((a, b) => a - b));

describe('predicted liquidation levels: properties', () => {
  it('incremental (any chunking, any order of same-ms events) equals batch', () => {
    fc.assert(
      fc.property(dataArb, timesArb, fc.array(fc.boolean(), { maxLength: 20 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (d, times, flips, fractions) => {
        assert.deepEqual(incremental(d, times, flips, fractions), predictedLiquidationSnapshots(d.oi, d.trades, times, OPTS));
      }),
      { numRuns: 300 },
    );
  });

  it('never looks ahead: a snapshot at t equals one over only the rows with ts <= t', () => {
    fc.assert(
      fc.property(dataArb, fc.integer({ min: 0, max: 65 }), (d, t) => {
        const upTo = (ts: Float64Array, n: number) => {
          let k = 0;
          while (k < n && ts[k] <= t) k++;
          return k;
        };
        const cutOi = sliceOi(d.oi, 0, upTo(d.oi.ts, d.oi.length));
        const cutTr = sliceTrades(d.trades, 0, upTo(d.trades.ts, d.trades.length));
        const [full] = predictedLiquidationSnapshots(d.oi, d.trades, [t], OPTS);
        assert.deepEqual(full, predictedLiquidationSnapshots(cutOi, cutTr, [t], OPTS)[0]);
        assert.deepEqual(incremental(d, [t], [], []), [full]);
      }),
      { numRuns: 200 },
    );
  });

  it('by leverage, in one pass, equals a run per leverage of the mix alone', () => {
    const instruments = loadBundledInstruments();
    const mixArb = fc.uniqueArray(fc.constantFrom(2, 5, 10, 20, 50, 100, 125), { minLength: 1, maxLength: 5 }).chain((levs) =>
      fc.tuple(fc.constant(levs), fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: levs.length, maxLength: levs.length })),
    );
    fc.assert(
      fc.property(dataArb, timesArb, mixArb, fc.boolean(), (d, times, [levs, weights], tiered) => {
        const opts: PredictedLiquidationOptions = { ...OPTS, ...(tiered ? { instruments } : {}), leverageMix: levs.map((leverage, i) => ({ leverage, weight: weights[i] })) };
        const split = predictedLiquidationsByLeverage(d.oi, d.trades, times, opts);
        assert.equal(split.length, times.length);
        levs.forEach((leverage, li) => {
          const alone = predictedLiquidationSnapshots(d.oi, d.trades, times, { ...opts, leverageMix: [{ leverage, weight: 1 }] });
          assert.deepEqual(split.map((at) => at[li]), alone, `${leverage}x`);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('keeps every long level below and every short level above the last trade of its venue', () => {
    fc.assert(
      fc.property(dataArb, (d) => {
        const end = 70;
        const [s] = predictedLiquidationSnapshots(d.oi, d.trades, [end], OPTS);
        const bin = (p: number) => Math.round(Math.round(p / 0.5));
        for (const [vi, venue] of VEN.entries()) {
          let last = NaN;
          for (let i = 0; i < d.trades.length; i++) if (d.trades.venue[i] === vi) last = d.trades.price[i];
          if (Number.isNaN(last)) continue;
          const bit = venue === 'binance' ? 1 : 4;
          for (const l of s.longs) if (l.venue_mask === bit) assert.ok(l.index < bin(last), `long ${l.index} vs last ${last}`);
          for (const l of s.shorts) if (l.venue_mask === bit) assert.ok(l.index > bin(last), `short ${l.index} vs last ${last}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('predicted liquidation levels: custom instruments', () => {
  it('takes tiers from any registry (OKX-style base-unit tiers)', () => {
    const inst: Instrument = {
      venue: 'okx', symbol: 'X-USDT-SWAP', base: 'X', quote: 'USDT', kind: 'perpetual', contractType: 'linear', tickSize: 0.01, lotSize: 1, contractValue: 1, minNotional: 0, maxLeverage: 20,
      tiers: [
        { notionalFloor: 0, notionalCap: 50, maxLeverage: 20, maintMarginRate: 0.01, maintAmount: 0, unit: 'base' },
        { notionalFloor: 50, notionalCap: Infinity, maxLeverage: 10, maintMarginRate: 0.02, maintAmount: 0, unit: 'base' },
      ],
      makerFee: 0, takerFee: 0,
    };
    const oi = oiColumns([[0, 10, NaN], [1, 12, 100]], [{ venue: 'okx', symbol: 'X-USDT-SWAP' }]);
    // positionNotional 10,000 at 100 = 100 X: tier 2 (2%, 10x cap) whatever the price; 50x -> 10x.
    const [s] = predictedLiquidationSnapshots(oi, undefined, [1], { bins: { tick: 0.01 }, leverageMix: [{ leverage: 50, weight: 1 }], longShare: 1, instruments: new InstrumentRegistry([inst]) });
    assert.deepEqual(s.longs.map((l) => l.index), [Math.round(9000 / 0.98)]);
    assert.deepEqual(s.shorts, []);
  });
});
