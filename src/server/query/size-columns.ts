/**
 * The sizes and prints answers straight from classified prints (features/sizes.ts
 * `classifyPrintClasses`), as columns: what `sizeFlowOfPrints` and `bigPrintsOfPrints` give the
 * routes, without a bar object (five per bar) or a print object per big print. At 50k bars and
 * 2M prints those objects were most of the two answers' CPU. The arithmetic is theirs, in the
 * same order, so every number is the same double (test/server/size-columns.test.ts).
 */
import type { Venue } from '../../core/events.ts';
import { SIZE_BUCKETS, type FlowPrints, type PrintClasses, type SizeBucket } from '../../features/sizes.ts';

/** Per bar with prints: its open and each bucket's delta notional (buy - sell), and the thresholds the last bar ended with. */
export interface SizeDeltaColumns {
  readonly t: number[];
  /** small, medium, large, whale. */
  readonly delta: readonly [number[], number[], number[], number[]];
  /** medium, large, whale of the last print; undefined without prints. */
  readonly thresholds?: readonly [number, number, number];
}

/** `sizeFlowOfPrints(pr, classes, { timeframeMs })`'s open_time_ms, bucket delta_notional and last thresholds. */
export function sizeDeltaColumns(pr: FlowPrints, classes: PrintClasses, timeframeMs: number): SizeDeltaColumns {
  checkClasses(pr, classes);
  const t: number[] = [];
  const delta: [number[], number[], number[], number[]] = [[], [], [], []];
  // Each bucket's buy and sell notional summed print by print, as the bar accumulators do.
  const buy = new Float64Array(4);
  const sell = new Float64Array(4);
  const emit = (bar: number) => {
    t.push(bar * timeframeMs);
    for (let b = 0; b < 4; b++) delta[b].push(buy[b] - sell[b]);
    buy.fill(0);
    sell.fill(0);
  };
  const { ts, side, notional } = pr;
  const bucket = classes.bucket;
  let bar = NaN;
  for (let i = 0; i < pr.length; i++) {
    const bi = Math.floor(ts[i] / timeframeMs);
    if (bi !== bar) {
      if (bar === bar) emit(bar);
      bar = bi;
    }
    if (side[i] > 0) buy[bucket[i]] += notional[i];
    else sell[bucket[i]] += notional[i];
  }
  if (bar !== bar) return { t, delta };
  emit(bar);
  // Change points are print indices, so the last one is in force at the last print.
  const k = classes.changeAt.length - 1;
  return { t, delta, thresholds: [classes.medium[k], classes.large[k], classes.whale[k]] };
}

/** Big prints as columns: time order, each with its VWAP (notional / qty). */
export interface BigPrintColumns {
  readonly t: number[];
  readonly price: number[];
  readonly qty: number[];
  readonly notional: number[];
  readonly side: (1 | -1)[];
  readonly venue: Venue[];
  /** The lowest large threshold a bar of `timeframeMs` ended with (Infinity without prints). */
  readonly largeMin: number;
}

/**
 * `bigPrintsOfPrints(pr, classes, o)` as columns, keeping at most `max` prints: when more
 * qualify, the `max` largest by notional (ties: the earlier first), back in time order (ties in
 * time: the larger first), as sorting the list of print objects does.
 */
export function bigPrintColumns(pr: FlowPrints, classes: PrintClasses, o: { readonly timeframeMs: number; readonly minBucket: SizeBucket; readonly minNotional?: number; readonly max: number }): BigPrintColumns {
  checkClasses(pr, classes);
  const tf = o.timeframeMs;
  const min = SIZE_BUCKETS.indexOf(o.minBucket);
  const floor = o.minNotional ?? -Infinity;
  const { ts, notional } = pr;
  const bucket = classes.bucket;
  let picked: number[] = [];
  let largeMin = Infinity;
  let large = NaN;
  let change = 0;
  let bar = NaN;
  for (let i = 0; i < pr.length; i++) {
    const bi = Math.floor(ts[i] / tf);
    // A bar ends on the print before: its thresholds are the bar's.
    if (bi !== bar) {
      if (bar === bar && large < largeMin) largeMin = large;
      bar = bi;
    }
    while (change < classes.changeAt.length && classes.changeAt[change] <= i) large = classes.large[change++];
    if (bucket[i] >= min && notional[i] >= floor) picked.push(i);
  }
  if (bar === bar && large < largeMin) largeMin = large;
  if (picked.length > o.max) picked = largest(picked, notional, ts, o.max);
  const n = picked.length;
  const out: BigPrintColumns = { t: new Array(n), price: new Array(n), qty: new Array(n), notional: new Array(n), side: new Array(n), venue: new Array(n), largeMin };
  for (let k = 0; k < n; k++) {
    const i = picked[k];
    out.t[k] = ts[i];
    out.price[k] = notional[i] / pr.qty[i];
    out.qty[k] = pr.qty[i];
    out.notional[k] = notional[i];
    out.side[k] = pr.side[i] > 0 ? 1 : -1;
    out.venue[k] = pr.venues[pr.venue[i]];
  }
  return out;
}

/**
 * Of `picked` (print indices in time order), the `max` with the largest notional, as a stable
 * sort by notional (largest first) cut at `max` and stably sorted back by time leaves them: every
 * print above the cut's notional, the earliest of those at it, and within one time the larger
 * first. Found through the cut value (a native sort of the notionals) instead of sorting the
 * prints with a comparator (~100k of them at 50k bars).
 */
function largest(picked: readonly number[], notional: Float64Array, ts: Float64Array, max: number): number[] {
  const sorted = Float64Array.from(picked, (i) => notional[i]).sort();
  const cut = sorted[sorted.length - max];
  let above = 0;
  for (let k = sorted.length - 1; k >= 0 && sorted[k] > cut; k--) above++;
  let atCut = max - above;
  const kept: number[] = [];
  for (const i of picked) if (notional[i] > cut || (notional[i] === cut && atCut-- > 0)) kept.push(i);
  // Prints of one time (several venues or sides) go largest first.
  for (let a = 0; a < kept.length; ) {
    let b = a + 1;
    while (b < kept.length && ts[kept[b]] === ts[kept[a]]) b++;
    if (b - a > 1) {
      const run = kept.slice(a, b).sort((x, y) => notional[y] - notional[x]);
      for (let k = a; k < b; k++) kept[k] = run[k - a];
    }
    a = b;
  }
  return kept;
}

function checkClasses(pr: FlowPrints, classes: PrintClasses): void {
  if (classes.bucket.length !== pr.length) throw new RangeError(`sizes: ${classes.bucket.length} print classes for ${pr.length} prints`);
}
