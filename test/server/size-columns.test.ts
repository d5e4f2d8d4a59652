/**
 * The sizes and prints answers as columns (src/server/query/size-columns.ts) against what the
 * routes built before from the feature's bar and print objects: every number the same double,
 * the same prints kept in the same order when more qualify than an answer lists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classifyPrintClasses, mergeFlowPrints, sizeFlowOfPrints, type SizeBucket } from '../../src/features/sizes.ts';
import { bigPrintColumns, classifiedRange, sizeDeltaColumns } from '../../src/server/query/size-columns.ts';
import { columns, type Row } from '../features/trades.ts';
import type { TradeColumns } from '../../src/core/columns.ts';

const D = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

/** Trades in time order on two venues, with runs of one ms (merged into one print per venue and side) and equal notionals. */
function tradesOf(minLength: number, maxLength: number): fc.Arbitrary<TradeColumns> {
  return fc
    .array(
      fc.record({
        dt: fc.oneof(fc.constant(0), fc.noBias(fc.integer({ min: 1, max: MINUTE }))),
        price: fc.constantFrom(100, 100.5, 101.25, 99.75),
        qty: fc.oneof(fc.constantFrom(1, 10, 100), fc.double({ min: 0.001, max: 500, noNaN: true })),
        side: fc.constantFrom(1, -1),
        venue: fc.constantFrom(0, 1),
      }),
      { minLength, maxLength },
    )
    .map((steps) => {
      let ts = D;
      return columns(steps.map((s): Row => [(ts += s.dt), s.price, s.qty, s.side, s.venue]), ['binance', 'okx']);
    });
}
const tradesArb = tradesOf(0, 300);
/** A fraction in [0, 1], spread evenly (fast-check's doubles crowd the ends). */
const fraction = fc.noBias(fc.integer({ min: 0, max: 1000 })).map((x) => x / 1000);

/** Small fixed thresholds and a short window, so every bucket and threshold change shows up in a few hundred trades. */
const thresholds = { minPrints: 5, windowMs: 8 * MINUTE, slotMs: MINUTE, fallback: [50, 500, 5000] as const, binsPerDecade: 200 };

/**
 * The prints route's answer built from the size bars' print objects (stable sorts on the list):
 * the bars' big prints over the floor, and the lowest large threshold a bar ended with.
 */
function printsOfObjects(pr: ReturnType<typeof mergeFlowPrints>, classes: ReturnType<typeof classifyPrintClasses>, minBucket: SizeBucket, minNotional: number | undefined, max: number) {
  const bars = sizeFlowOfPrints(pr, classes, { timeframeMs: MINUTE, bigPrintMin: minBucket });
  const prints = bars.flatMap((b) => b.big_prints).filter((p) => p.notional >= (minNotional ?? -Infinity));
  let largeMin = Infinity;
  for (const b of bars) if (b.large_min < largeMin) largeMin = b.large_min;
  const kept = prints.length <= max ? prints : [...prints].sort((a, b) => b.notional - a.notional).slice(0, max).sort((a, b) => a.ts - b.ts);
  return { largeMin, t: kept.map((p) => p.ts), price: kept.map((p) => p.price), qty: kept.map((p) => p.qty), notional: kept.map((p) => p.notional), side: kept.map((p) => (p.side === 'buy' ? 1 : -1)), venue: kept.map((p) => p.venue) };
}

describe('size columns', () => {
  it('give each bar the bucket deltas and the last thresholds the size bars give', () => {
    fc.assert(
      fc.property(tradesArb, fc.constantFrom(MINUTE, 5 * MINUTE, 15 * MINUTE), (t, tf) => {
        const pr = mergeFlowPrints(t);
        const classes = classifyPrintClasses(pr, thresholds);
        const bars = sizeFlowOfPrints(pr, classes, { timeframeMs: tf, bigPrintMin: 'none' });
        const got = sizeDeltaColumns(pr, classes, tf);
        assert.deepEqual(got.t, bars.map((b) => b.open_time_ms));
        assert.deepEqual(got.delta, [bars.map((b) => b.small.delta_notional), bars.map((b) => b.medium.delta_notional), bars.map((b) => b.large.delta_notional), bars.map((b) => b.whale.delta_notional)]);
        const last = bars.at(-1);
        assert.deepEqual(got.thresholds, last ? [last.medium_min, last.large_min, last.whale_min] : undefined);
      }),
      { numRuns: 200 },
    );
  });

  it('list the big prints the print objects list, cut to the largest in the same order', () => {
    fc.assert(
      fc.property(tradesArb, fc.constantFrom<SizeBucket>('small', 'medium', 'large'), fc.option(fc.constantFrom(0, 100, 1000, 20_000)), fc.integer({ min: 1, max: 40 }), (t, minBucket, floor, max) => {
        const pr = mergeFlowPrints(t);
        const classes = classifyPrintClasses(pr, thresholds);
        const minNotional = floor ?? undefined;
        const got = bigPrintColumns(pr, classes, { timeframeMs: MINUTE, minBucket, ...(minNotional === undefined ? {} : { minNotional }), max });
        assert.deepEqual({ ...got }, printsOfObjects(pr, classes, minBucket, minNotional, max));
      }),
      { numRuns: 300 },
    );
  });

  it('keep the earliest of prints tied at the cut, and order prints of one ms largest first', () => {
    // Five prints of equal notional, then two of one ms on two venues, the later venue's larger:
    // the cut at 4 falls inside the tie, and both prints of the last ms are kept.
    const t = columns(
      [
        [D, 100, 10, 1, 0],
        [D + 1, 100, 10, -1, 0],
        [D + 2, 100, 10, 1, 0],
        [D + 3, 100, 10, 1, 0],
        [D + 4, 100, 10, 1, 0],
        [D + 5, 100, 15, 1, 0],
        [D + 5, 100, 20, 1, 1],
      ],
      ['binance', 'okx'],
    );
    const pr = mergeFlowPrints(t);
    const classes = classifyPrintClasses(pr, { fixed: [1, 2, 3] });
    const four = bigPrintColumns(pr, classes, { timeframeMs: MINUTE, minBucket: 'small', max: 4 });
    assert.deepEqual(four.t, [D, D + 1, D + 5, D + 5]);
    assert.deepEqual(four.notional, [1000, 1000, 2000, 1500]);
    assert.deepEqual(four.venue, ['binance', 'binance', 'okx', 'binance']);
    assert.deepEqual({ ...four }, printsOfObjects(pr, classes, 'small', undefined, 4));
  });

  it('classify a range of the whole history as classifying that range alone does', () => {
    /** Trades of `t` with from <= ts < to. */
    const range = (t: TradeColumns, from: number | undefined, to: number | undefined): TradeColumns => {
      const first = (x: number | undefined, dflt: number) => (x === undefined ? dflt : t.ts.findIndex((y) => y >= x) < 0 ? t.length : t.ts.findIndex((y) => y >= x));
      const lo = first(from, 0);
      const hi = Math.max(lo, first(to, t.length));
      return { length: hi - lo, ts: t.ts.subarray(lo, hi), price: t.price.subarray(lo, hi), qty: t.qty.subarray(lo, hi), side: t.side.subarray(lo, hi), venue: t.venue.subarray(lo, hi), venues: t.venues };
    };
    fc.assert(
      fc.property(tradesOf(100, 200), fc.option(fraction), fc.option(fraction), fc.boolean(), (t, a, b, whole) => {
        // Histories of half an hour and more: the window (8 minutes) fits in several times.
        const span = t.ts[t.length - 1] - D + 1;
        // Bounds anywhere, often on a whole minute (the page's spans).
        const at = (f: number | null) => (f === null ? undefined : whole ? D + Math.floor((f * span) / MINUTE) * MINUTE : D + Math.floor(f * span));
        const from = at(a);
        const to = at(b);
        const all = mergeFlowPrints(t);
        const got = classifiedRange({ prints: all, classes: classifyPrintClasses(all, thresholds) }, from, to, thresholds);
        const own = mergeFlowPrints(range(t, from, to));
        assert.deepEqual([...got.prints.ts], [...own.ts]);
        assert.deepEqual([...got.prints.notional], [...own.notional]);
        assert.deepEqual({ ...got.classes, bucket: [...got.classes.bucket] }, { ...classifyPrintClasses(own, thresholds), bucket: [...classifyPrintClasses(own, thresholds).bucket] });
      }),
      { numRuns: 200 },
    );
  });
});
