import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import {
  classifyPrintClasses,
  classifyPrints,
  LogBins,
  mergeFlowPrints,
  mergePrints,
  nearestRank,
  PrintMerger,
  rankBin,
  SizeClassifier,
  SizeFlowOperator,
  sizeFlowBatch,
  sizeFlowOfPrints,
  type PrintColumns,
  type SizeBar,
  type SizeBucketFlow,
  type SizeFlowOptions,
  type SizeThresholdOptions,
} from '../../src/features/sizes.ts';
import { bigPrintColumns } from '../../src/server/query/size-columns.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/features/timeframe.ts';
import { columns, cuts, slice, type Row } from './trades.ts';

const D = Date.UTC(2026, 0, 1);
const BUY = 1;
const SELL = -1;

function incremental(c: TradeColumns, opts: SizeFlowOptions, at: readonly number[] = []): SizeBar[] {
  const out: SizeBar[] = [];
  const op = new SizeFlowOperator(opts, (b) => out.push(b));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) op.push(slice(c, bounds[i], bounds[i + 1]));
  op.flush();
  return out;
}

/** Prints of the streaming merger as rows [ts, venue, side, qty, notional, fills, first, last, high, low]. */
function streamPrints(c: TradeColumns, at: readonly number[] = []): number[][] {
  const out: number[][] = [];
  const m: PrintMerger = new PrintMerger(() => out.push([m.ts, m.venue, m.side, m.qty, m.notional, m.fills, m.first, m.last, m.high, m.low]));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) m.push(c, bounds[i], bounds[i + 1]);
  m.flush();
  return out;
}

function printRows(p: PrintColumns): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < p.length; i++) out.push([p.ts[i], p.venue[i], p.side[i], p.qty[i], p.notional[i], p.fills[i], p.first[i], p.last[i], p.high[i], p.low[i]]);
  return out;
}

const flow = (buy_prints: number, sell_prints: number, trades: number, buy_notional: number, sell_notional: number, buy_qty: number, sell_qty: number): SizeBucketFlow => ({
  prints: buy_prints + sell_prints,
  buy_prints,
  sell_prints,
  trades,
  buy_notional,
  sell_notional,
  delta_notional: buy_notional - sell_notional,
  buy_qty,
  sell_qty,
  delta_qty: buy_qty - sell_qty,
});
const NONE = flow(0, 0, 0, 0, 0, 0, 0);

describe('sizes: prints', () => {
  it('merges consecutive fills of the same ts, venue and side; VWAP, fills and price range', () => {
    const c = columns(
      [
        [D, 10, 2, BUY, 0],
        [D, 11, 1, BUY, 0], // same order: qty 3, notional 31
        [D, 11, 1, BUY, 1], // other venue, same ms: another print
        [D, 11, 4, SELL, 1], // other side: another print
        [D, 9, 1, SELL, 1], // merged: qty 5, notional 53, low 9
        [D + 1, 9, 1, SELL, 1], // next ms: another print
      ],
      ['binance', 'okx'],
    );
    const want = [
      [D, 0, BUY, 3, 31, 2, 10, 11, 11, 10],
      [D, 1, BUY, 1, 11, 1, 11, 11, 11, 11],
      [D, 1, SELL, 5, 53, 2, 11, 9, 11, 9],
      [D + 1, 1, SELL, 1, 9, 1, 9, 9, 9, 9],
    ];
    assert.deepEqual(printRows(mergePrints(c)), want);
    assert.deepEqual(streamPrints(c, [1, 4]), want);
    assert.deepEqual(streamPrints(c, [2, 3, 5]), want);
  });

  it('the same order interrupted by another is two prints', () => {
    const c = columns([[D, 10, 1, BUY], [D, 10, 1, SELL], [D, 10, 1, BUY]]);
    assert.equal(mergePrints(c).length, 3);
  });

  it('refuses trades going back in time', () => {
    const c = columns([[D + 5, 10, 1, BUY], [D + 4, 10, 1, BUY]]);
    assert.throws(() => mergePrints(c), OutOfOrderError);
    assert.throws(() => streamPrints(c), OutOfOrderError);
    assert.throws(() => sizeFlowBatch(c, { timeframeMs: MINUTE_MS }), OutOfOrderError);
    assert.throws(() => incremental(c, { timeframeMs: MINUTE_MS }, [1]), OutOfOrderError);
  });
});

// Fixed thresholds: small < 100 <= medium < 1000 <= large < 10000 <= whale.
const FIXED: SizeThresholdOptions = { fixed: [100, 1000, 10_000] };
const HAND: Row[] = [
  [D + 1000, 10, 2, BUY],
  [D + 1000, 11, 1, BUY], // print 31, qty 3, 2 fills: small buy
  [D + 1000, 10, 5, SELL], // 50: small sell
  [D + 2000, 100, 5, BUY], // 500: medium buy
  [D + 3000, 100, 20, SELL],
  [D + 3000, 99, 10, SELL], // 2990, qty 30, 2 fills: large sell
  [D + 4000, 1000, 12, BUY], // 12000: whale buy
  [D + MINUTE_MS + 5, 50, 1, SELL], // next bar: 50 small sell
];

describe('sizes: hand-computed bars', () => {
  it('per-bucket flow, totals, weighted delta, thresholds and big prints', () => {
    const c = columns(HAND);
    const bar1: SizeBar = {
      open_time_ms: D,
      prints: 5,
      trades: 7,
      buy_notional: 12531,
      sell_notional: 3040,
      delta_notional: 9491,
      buy_qty: 20,
      sell_qty: 35,
      delta_qty: -15,
      // 0.25 x -19 + 1 x 500 + 2 x -2990 + 4 x 12000
      weighted_delta_notional: 42515.25,
      // 0.25 x -2 + 1 x 5 + 2 x -30 + 4 x 12
      weighted_delta_qty: -7.5,
      small: flow(1, 1, 3, 31, 50, 3, 5),
      medium: flow(1, 0, 1, 500, 0, 5, 0),
      large: flow(0, 1, 2, 0, 2990, 0, 30),
      whale: flow(1, 0, 1, 12000, 0, 12, 0),
      max_print_notional: 12000,
      medium_min: 100,
      large_min: 1000,
      whale_min: 10000,
      adaptive: false,
      big_prints: [{ ts: D + 4000, venue: 'binance', side: 'buy', price: 1000, qty: 12, notional: 12000, fills: 1, bucket: 'whale' }],
    };
    const bar2: SizeBar = {
      ...bar1,
      open_time_ms: D + MINUTE_MS,
      prints: 1,
      trades: 1,
      buy_notional: 0,
      sell_notional: 50,
      delta_notional: -50,
      buy_qty: 0,
      sell_qty: 1,
      delta_qty: -1,
      weighted_delta_notional: -12.5,
      weighted_delta_qty: -0.25,
      small: flow(0, 1, 1, 0, 50, 0, 1),
      medium: NONE,
      large: NONE,
      whale: NONE,
      max_print_notional: 50,
      big_prints: [],
    };
    const opts: SizeFlowOptions = { timeframeMs: MINUTE_MS, thresholds: FIXED };
    assert.deepEqual(sizeFlowBatch(c, opts), [bar1, bar2]);
    assert.deepEqual(incremental(c, opts, [1, 5]), [bar1, bar2]);
  });

  it('custom weights, big prints from large, no whale bucket', () => {
    const c = columns(HAND.slice(0, 7));
    const [bar] = sizeFlowBatch(c, { timeframeMs: MINUTE_MS, thresholds: { ...FIXED, whale: false }, weights: [0, 1, 1, 1], bigPrintMin: 'large' });
    assert.equal(bar.whale_min, Infinity);
    assert.deepEqual(bar.whale, NONE);
    assert.deepEqual(bar.large, flow(1, 1, 3, 12000, 2990, 12, 30));
    assert.equal(bar.weighted_delta_notional, 500 + 12000 - 2990);
    assert.deepEqual(
      bar.big_prints.map((p) => [p.side, p.price, p.qty, p.fills, p.bucket]),
      [
        ['sell', 2990 / 30, 30, 2, 'large'],
        ['buy', 1000, 12, 1, 'large'],
      ],
    );
    assert.deepEqual(sizeFlowBatch(c, { timeframeMs: MINUTE_MS, thresholds: FIXED, bigPrintMin: 'none' })[0].big_prints, []);
  });

  it('a bar is emitted as soon as a trade of a later bar arrives', () => {
    const out: SizeBar[] = [];
    const op = new SizeFlowOperator({ timeframeMs: MINUTE_MS, thresholds: FIXED }, (b) => out.push(b));
    op.push(columns(HAND.slice(0, 7)));
    assert.equal(out.length, 0);
    op.push(columns(HAND.slice(7)));
    assert.equal(out.length, 1);
    op.flush();
    assert.equal(out.length, 2);
  });

  it('rejects bad options', () => {
    assert.throws(() => sizeFlowBatch(columns([]), { timeframeMs: 0 }), RangeError);
    assert.throws(() => new SizeClassifier({ fixed: [10, 5, 20] }), RangeError);
    assert.throws(() => new SizeClassifier({ percentiles: [0.9, 0.5, 0.99] }), RangeError);
    assert.throws(() => new SizeClassifier({ windowMs: 1000, slotMs: 2000 }), RangeError);
  });
});

/**
 * What the adaptive thresholds must be at a print at `ts`, from first principles: the prints with
 * ts strictly below, in slots k-S+1..k; the nearest-rank value, mapped to its bin centre.
 */
function bruteThresholds(prevTs: readonly number[], prevNotional: readonly number[], ts: number, o: Required<Pick<SizeThresholdOptions, 'windowMs' | 'slotMs' | 'minPrints'>> & SizeThresholdOptions): number[] {
  const S = Math.ceil(o.windowMs / o.slotMs);
  const k = Math.floor(ts / o.slotMs);
  const win: number[] = [];
  for (let j = 0; j < prevTs.length; j++) if (prevTs[j] < ts && Math.floor(prevTs[j] / o.slotMs) > k - S) win.push(prevNotional[j]);
  if (win.length < o.minPrints) return [...(o.fallback ?? [1000, 10000, 100000])];
  win.sort((a, b) => a - b);
  const bins = new LogBins(o.minNotional ?? 0.01, o.maxNotional ?? 1e10, o.binsPerDecade ?? 20);
  return (o.percentiles ?? [0.5, 0.95, 0.99]).map((p) => bins.value(bins.index(win[nearestRank(p, win.length) - 1])));
}

const printsArb = fc
  .array(fc.record({ dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 * MINUTE_MS })), n: fc.double({ min: 0.001, max: 1e7, noNaN: true }) }), { minLength: 1, maxLength: 200, size: 'max' })
  .map((steps) => {
    let ts = D;
    return steps.map((s) => [(ts += s.dt), s.n] as const);
  });

describe('sizes: adaptive thresholds', () => {
  it('equal the nearest-rank bin centre of the prints strictly before, inside the window (no look-ahead)', () => {
    const o = { windowMs: 2 * HOUR_MS, slotMs: 30 * MINUTE_MS, minPrints: 3, fallback: [5, 50, 500] as const, binsPerDecade: 10 };
    fc.assert(
      fc.property(printsArb, (prints) => {
        const c = new SizeClassifier(o);
        const ts: number[] = [];
        const ns: number[] = [];
        for (const [t, n] of prints) {
          const b = c.classify(n, t);
          const want = bruteThresholds(ts, ns, t, o);
          assert.deepEqual([c.medium, c.large, c.whale], want);
          assert.equal(c.adaptive, want !== undefined && ts.filter((x, j) => x < t && Math.floor(x / o.slotMs) > Math.floor(t / o.slotMs) - 4).length >= 3);
          assert.equal(b, n < want[0] ? 0 : n < want[1] ? 1 : n < want[2] ? 2 : 3);
          ts.push(t);
          ns.push(n);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('stay the nearest-rank bins of the window over thousands of prints (a percentile is re-walked only when its bin could move)', () => {
    // Few distinct notionals: the bins around each percentile fill up, so the classifier has
    // long stretches where it may skip the walks; expiries and same-ms prints in between.
    const streamArb = fc.record({
      steps: fc.array(
        fc.record({ dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 20 * MINUTE_MS })), level: fc.integer({ min: 0, max: 7 }), wiggle: fc.double({ min: 0.9, max: 1.1, noNaN: true }) }),
        { minLength: 1000, maxLength: 3000 },
      ),
      levels: fc.array(fc.double({ min: 1, max: 1e5, noNaN: true }), { minLength: 8, maxLength: 8 }),
      pct: fc.tuple(fc.double({ min: 0.001, max: 1, noNaN: true }), fc.double({ min: 0.001, max: 1, noNaN: true }), fc.constantFrom(1, 0.999999, 0.99, 0.5)).map((p) => [...p].sort((a, b) => a - b) as [number, number, number]),
    });
    fc.assert(
      fc.property(streamArb, ({ steps, levels, pct }) => {
        const o: SizeThresholdOptions = { windowMs: HOUR_MS, slotMs: 10 * MINUTE_MS, minPrints: 50, percentiles: pct, minNotional: 1, maxNotional: 1e6 };
        const c = new SizeClassifier(o);
        const bins = c.bins;
        // The reference: counts per bin of the prints strictly before, slots k-5..k, rebuilt as prints join and expire.
        const counts = new Uint32Array(bins.count);
        const ts: number[] = [];
        const bin: number[] = [];
        let joined = 0;
        let expired = 0;
        let t = D;
        for (const st of steps) {
          t += st.dt;
          const n = levels[st.level] * st.wiggle;
          c.classify(n, t);
          const k = Math.floor(t / (10 * MINUTE_MS));
          for (; joined < ts.length && ts[joined] < t; joined++) counts[bin[joined]]++;
          for (; expired < joined && Math.floor(ts[expired] / (10 * MINUTE_MS)) <= k - 6; expired++) counts[bin[expired]]--;
          const total = joined - expired;
          if (total >= 50) {
            const want = pct.map((p) => bins.value(rankBin(counts, nearestRank(p, total))));
            assert.deepEqual([c.medium, c.large, c.whale], want, `at print ${ts.length}`);
          }
          ts.push(t);
          bin.push(bins.index(n));
        }
      }),
      { numRuns: 12 },
    );
  });

  it('a print is not measured against itself, later prints or prints of the same ms', () => {
    const o: SizeThresholdOptions = { minPrints: 2, fallback: [1, 2, 3], percentiles: [0.5, 0.5, 1] };
    const c = new SizeClassifier(o);
    c.classify(10, D);
    c.classify(10, D + 1);
    assert.equal(c.adaptive, false, 'one earlier print: still warm-up');
    // A huge print at D+2 and another at the same ms: the second does not see the first.
    assert.equal(c.classify(1e9, D + 2), 3, 'against [10, 10]: whale');
    assert.equal(c.adaptive, true);
    const whale = c.whale;
    c.classify(1e9, D + 2);
    assert.equal(c.whale, whale, 'same ms: thresholds unchanged');
    c.classify(1, D + 3);
    assert.ok(c.whale > 1e8, 'next ms: both huge prints count');
    assert.equal(c.windowPrints, 4);
  });

  it('classification of a prefix does not change whatever follows', () => {
    fc.assert(
      fc.property(printsArb, fc.nat(), fc.double({ min: 0.001, max: 1e7, noNaN: true }), (prints, cut, scale) => {
        const k = cut % prints.length;
        const mk = (rows: (readonly [number, number])[]): PrintColumns => {
          const n = rows.length;
          const p = { length: n, ts: new Float64Array(n), venue: new Uint8Array(n), side: new Int8Array(n), qty: new Float64Array(n), notional: new Float64Array(n), fills: new Uint32Array(n), first: new Float64Array(n), last: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), venues: [] };
          rows.forEach(([t, x], i) => {
            p.ts[i] = t;
            p.notional[i] = x;
          });
          return p;
        };
        const o: SizeThresholdOptions = { windowMs: HOUR_MS, slotMs: 10 * MINUTE_MS, minPrints: 2 };
        const full = classifyPrints(mk(prints), o);
        const changed = classifyPrints(mk(prints.map(([t, x], i) => [t, i > k ? x * scale : x] as const)), o);
        assert.deepEqual(changed.subarray(0, k + 1), full.subarray(0, k + 1));
        assert.deepEqual(classifyPrints(mk(prints.slice(0, k + 1)), o), full.subarray(0, k + 1));
      }),
      { numRuns: 150 },
    );
  });

  it('warm-up uses the fallback, then adapts; old slots expire', () => {
    const o: SizeThresholdOptions = { windowMs: HOUR_MS, slotMs: 30 * MINUTE_MS, minPrints: 4, fallback: [1, 2, 3], binsPerDecade: 1, minNotional: 1 };
    const c = new SizeClassifier(o);
    for (let i = 0; i < 4; i++) c.classify(100, D + i);
    assert.deepEqual([c.medium, c.adaptive], [1, false]);
    c.classify(100, D + 10);
    // Bin 2 ([100, 1000)), centre 10^2.5.
    assert.deepEqual([c.medium, c.large, c.whale, c.adaptive], [10 ** 2.5, 10 ** 2.5, 10 ** 2.5, true]);
    c.classify(100, D + 30 * MINUTE_MS);
    assert.equal(c.windowPrints, 5, 'slot 0 is still in the window of slot 1');
    c.classify(100, D + 60 * MINUTE_MS);
    assert.equal(c.windowPrints, 1, 'slot 2: slot 0 expired');
    assert.equal(c.adaptive, false);
  });
});

/** Trades of two venues with frequent equal timestamps (so fills merge), qty in 1/8 units. */
const tradesArb = fc
  .array(
    fc.record({
      dt: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 20 * MINUTE_MS })),
      px: fc.integer({ min: 1, max: 40 }),
      q8: fc.integer({ min: 1, max: 8000 }),
      buy: fc.boolean(),
      venue: fc.integer({ min: 0, max: 1 }),
    }),
    { minLength: 1, maxLength: 300, size: 'max' },
  )
  .map((steps) => {
    let ts = D;
    return steps.map((s): Row => [(ts += s.dt), 100 + s.px / 4, s.q8 / 8, s.buy ? BUY : SELL, s.venue]);
  });

describe('sizes: properties', () => {
  it('incremental equals batch for any chunking; buckets add up', () => {
    fc.assert(
      fc.property(
        tradesArb,
        fc.constantFrom(MINUTE_MS, 15 * MINUTE_MS, HOUR_MS),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (rows, tf, fr) => {
          const c = columns(rows, ['binance', 'okx']);
          const opts: SizeFlowOptions = { timeframeMs: tf, thresholds: { windowMs: 2 * HOUR_MS, slotMs: 20 * MINUTE_MS, minPrints: 5 }, bigPrintMin: 'large' };
          const batch = sizeFlowBatch(c, opts);
          assert.deepStrictEqual(incremental(c, opts, cuts(c.length, fr)), batch);
          let trades = 0;
          for (const b of batch) {
            trades += b.trades;
            assert.equal(b.prints, b.small.prints + b.medium.prints + b.large.prints + b.whale.prints);
            assert.equal(b.big_prints.length, b.large.prints + b.whale.prints);
            assert.ok(b.prints > 0);
          }
          assert.equal(trades, rows.length);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('sizes: log bins', () => {
  const byFormula = (b: LogBins, x: number) => {
    const k = Math.floor(Math.log10(x / b.lo) * b.perDecade);
    return k >= 0 ? (k < b.count ? k : b.count - 1) : 0;
  };
  const binsArb = fc
    .record({ lo: fc.double({ min: 1e-6, max: 1e3, noNaN: true }), decades: fc.double({ min: 0.5, max: 12, noNaN: true }), perDecade: fc.integer({ min: 1, max: 1000 }) })
    .filter(({ decades, perDecade }) => decades * perDecade <= 50_000)
    .map(({ lo, decades, perDecade }) => new LogBins(lo, lo * 10 ** decades, perDecade));

  it('index gives the bin floor(log10(x / lo) x perDecade) bit for bit, at and beside every bin edge and out of range', () => {
    fc.assert(
      fc.property(binsArb, fc.double({ min: -0.2, max: 1.2, noNaN: true }), fc.integer({ min: -64, max: 64 }), (bins, at, ulps) => {
        // A point of the range, then the doubles a few ulps around the bin edge nearest to it.
        const x = bins.lo * (bins.hi / bins.lo) ** at;
        assert.equal(bins.index(x), byFormula(bins, x), `x = ${x}`);
        const edge = bins.lo * 10 ** (Math.round(Math.log10(x / bins.lo) * bins.perDecade) / bins.perDecade);
        const near = edge * (1 + ulps * Number.EPSILON);
        assert.equal(bins.index(near), byFormula(bins, near), `x = ${near} (edge ${edge})`);
      }),
      { numRuns: 2000 },
    );
  });

  it('index clamps zero, negatives, NaN and infinities as the formula does', () => {
    const bins = new LogBins(0.01, 1e10, 20);
    for (const x of [0, -5, NaN, Infinity, -Infinity, Number.MIN_VALUE, 1e300, 0.01, 1e10]) assert.equal(bins.index(x), byFormula(bins, x), `x = ${x}`);
  });

  it('one classification folds into the bars and big prints the operator gives, at any timeframe and floor', () => {
    fc.assert(
      fc.property(
        tradesArb,
        fc.constantFrom(MINUTE_MS, 15 * MINUTE_MS, HOUR_MS),
        fc.constantFrom('small', 'medium', 'large', 'whale'),
        fc.option(fc.integer({ min: 0, max: 400 })),
        (rows, tf, minBucket, floor) => {
          const c = columns(rows, ['binance', 'okx']);
          const thresholds: SizeThresholdOptions = { windowMs: 2 * HOUR_MS, slotMs: 20 * MINUTE_MS, minPrints: 5 };
          const prints = mergeFlowPrints(c);
          const classes = classifyPrintClasses(prints, thresholds);
          const opts: SizeFlowOptions = { timeframeMs: tf, thresholds, bigPrintMin: minBucket };
          const bars = incremental(c, opts);
          assert.deepStrictEqual(sizeFlowOfPrints(prints, classes, opts), bars);
          // The dashboard's columns of the same classification (src/server/query/size-columns.ts), every print kept.
          const big = bigPrintColumns(prints, classes, { timeframeMs: tf, minBucket, ...(floor === null ? {} : { minNotional: floor }), max: Infinity });
          const want = bars.flatMap((b) => b.big_prints).filter((p) => floor === null || p.notional >= floor);
          assert.deepStrictEqual(
            { t: big.t, price: big.price, qty: big.qty, notional: big.notional, side: big.side, venue: big.venue },
            { t: want.map((p) => p.ts), price: want.map((p) => p.price), qty: want.map((p) => p.qty), notional: want.map((p) => p.notional), side: want.map((p) => (p.side === 'buy' ? 1 : -1)), venue: want.map((p) => p.venue) },
          );
          assert.equal(big.largeMin, Math.min(...bars.map((b) => b.large_min)));
        },
      ),
      { numRuns: 150 },
    );
  });
});
