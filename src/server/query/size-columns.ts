/**
 * The sizes and prints answers straight from classified prints (features/sizes.ts
 * `classifyPrintClasses`), as columns: what `sizeFlowOfPrints`'s bars and their big prints give the
 * routes, without a bar object (five per bar) or a print object per big print. At 50k bars and
 * 2M prints those objects were most of the two answers' CPU. The arithmetic is theirs, in the
 * same order, so every number is the same double (test/server/size-columns.test.ts).
 */
import type { Venue } from '../../core/events.ts';
import { classifyPrintClasses, DEFAULT_SLOT_MS, DEFAULT_WINDOW_MS, SIZE_BUCKETS, type FlowPrints, type PrintClasses, type SizeBucket, type SizeThresholdOptions } from '../../features/sizes.ts';

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
 * The big prints of `pr` classified as `classes` (bucket `minBucket` or above, notional at least
 * `minNotional`: the bars' `big_prints` of sizeFlowOfPrints with bigPrintMin = minBucket) and the
 * lowest large threshold a bar of `timeframeMs` ended with, as columns, keeping at most `max` prints: when more
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

/** Prints and their classes (`classifyPrintClasses`). */
export interface ClassifiedPrints {
  readonly prints: FlowPrints;
  readonly classes: PrintClasses;
}

/**
 * The prints of `whole` (classified with `o`) with `fromMs <= ts < toMs` (compared in whole µs, as the trade slices
 * are) and their classes as `classifyPrintClasses` gives them for those prints alone, without
 * classifying them all again. The prints are a slice of `whole`'s (a print is the fills of one
 * ms: a bound in time never splits one), and a print's class depends only on the prints in its
 * window (the slots `windowMs` back from its own: SizeClassifier). Once the window holds none
 * before `fromMs`, the class is the one classifying `whole` gave, threshold for threshold: only
 * the prints before that (about a window's worth) are classified afresh.
 */
export function classifiedRange(whole: ClassifiedPrints, fromMs: number | undefined, toMs: number | undefined, o: SizeThresholdOptions = {}): ClassifiedPrints {
  const all = whole.prints;
  const lo = fromMs === undefined ? 0 : lowerBoundUs(all.ts, all.length, Math.round(fromMs * 1000));
  const hi = Math.max(lo, toMs === undefined ? all.length : lowerBoundUs(all.ts, all.length, Math.round(toMs * 1000)));
  const n = hi - lo;
  const prints: FlowPrints = {
    length: n,
    ts: all.ts.subarray(lo, hi),
    venue: all.venue.subarray(lo, hi),
    side: all.side.subarray(lo, hi),
    qty: all.qty.subarray(lo, hi),
    notional: all.notional.subarray(lo, hi),
    fills: all.fills.subarray(lo, hi),
    venues: all.venues,
  };
  // The first print whose window holds no print of `whole` before the range: its slot is at
  // least a window past the first slot wholly inside the range. From the start of `whole`, all.
  let fresh = 0;
  if (lo > 0) {
    const slotMs = o.slotMs ?? DEFAULT_SLOT_MS;
    const firstSlot = Math.ceil(fromMs! / slotMs) + Math.ceil((o.windowMs ?? DEFAULT_WINDOW_MS) / slotMs) - 1;
    while (fresh < n && Math.floor(prints.ts[fresh] / slotMs) < firstSlot) fresh++;
  }
  const head = classifyPrintClasses({ length: fresh, ts: prints.ts, notional: prints.notional }, o);
  const bucket = new Uint8Array(n);
  bucket.set(head.bucket);
  const wc = whole.classes;
  bucket.set(wc.bucket.subarray(lo + fresh, hi), fresh);
  const out = { bucket, changeAt: [...head.changeAt], medium: [...head.medium], large: [...head.large], whale: [...head.whale], adaptive: [...head.adaptive] };
  if (fresh < n) {
    // The thresholds `whole` had at the range's print `fresh`, then each later change of them.
    let k = lastAtOrBefore(wc.changeAt, lo + fresh);
    const h = out.changeAt.length - 1;
    if (h < 0 || wc.medium[k] !== out.medium[h] || wc.large[k] !== out.large[h] || wc.whale[k] !== out.whale[h] || wc.adaptive[k] !== out.adaptive[h]) {
      out.changeAt.push(fresh);
      out.medium.push(wc.medium[k]);
      out.large.push(wc.large[k]);
      out.whale.push(wc.whale[k]);
      out.adaptive.push(wc.adaptive[k]);
    }
    for (k++; k < wc.changeAt.length && wc.changeAt[k] < hi; k++) {
      out.changeAt.push(wc.changeAt[k] - lo);
      out.medium.push(wc.medium[k]);
      out.large.push(wc.large[k]);
      out.whale.push(wc.whale[k]);
      out.adaptive.push(wc.adaptive[k]);
    }
  }
  return { prints, classes: out };
}

/** First index whose time in µs is >= us (times are ms from `epoch_us / 1000`, so x 1000 rounds back exactly). */
function lowerBoundUs(ts: Float64Array, n: number, us: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Math.round(ts[mid] * 1000) < us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The last k with changeAt[k] <= i (changeAt starts at 0). */
function lastAtOrBefore(changeAt: readonly number[], i: number): number {
  let lo = 0;
  let hi = changeAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (changeAt[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function checkClasses(pr: FlowPrints, classes: PrintClasses): void {
  if (classes.bucket.length !== pr.length) throw new RangeError(`sizes: ${classes.bucket.length} print classes for ${pr.length} prints`);
}
