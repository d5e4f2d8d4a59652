/**
 * Book and bait (docs/features/book.md "Book and bait").
 *
 * One operator per venue + symbol keeps an L2 book from snapshots and diffs, keyed by the integer
 * tick index `Math.round(price / tick)` (sorted typed arrays per side, never float keys), and
 * emits:
 *
 * - **imbalance near the touch**: (bid qty - ask qty) / (bid qty + ask qty) over the best N levels
 *   (or N ticks) of each side, after every book message or once per time bucket;
 * - **walls and what became of them**: a level near the touch that is large on three counts is
 *   tracked from the message it appears in: at least `wallMultiple` x the typical level size
 *   (rolling median of visible sizes near the touch), a notional of at least `minWallNotional`,
 *   and at least `minDepthShare` of its side's visible depth near the touch. The last two keep
 *   dust out: where most levels hold a few lots, the median is dust and 5x dust is still dust.
 *   When a wall vanishes, or falls below (1 - pullFraction) of its peak, the operator waits
 *   `graceMs` for the trades that explain it, then emits `consumed` (aggressive trades at its
 *   price account for the removed size, within `consumeTolerance`), `bait` (not consumed, and
 *   pulled while price was approaching it: its touch within `baitDistanceBps` and at least one
 *   tick closer than `approachMs` before) or `pulled` (removed otherwise: requotes, price moving
 *   away). Walls still standing when the stream ends, a snapshot replaces the book, or the
 *   tracking capacity is exceeded are emitted as `resting`.
 *
 * Causality: an output stamped `ts` depends only on book messages and trades with ts <= `ts`. A
 * decision due at `d` is taken when an input later than `d` arrives, or on `advanceTo(t >= d)`.
 * Book imbalance alone is never a signal (DESIGN.md, strategy point 5): it is context.
 */
import { grown, type BookColumns, type TradeColumns } from '../core/columns.ts';
import type { BookEvent } from '../core/events.ts';
import { decimalsOf } from './footprint.ts';
import { OutOfOrderError, type Emit } from './operator.ts';

export type { BookColumns };

/** BookColumns from BookEvents (tests, live adapters). */
export function bookColumns(events: readonly BookEvent[]): BookColumns {
  let levels = 0;
  for (const e of events) levels += e.bids.length + e.asks.length;
  const n = events.length;
  const c = {
    length: n,
    ts: new Float64Array(n),
    isSnapshot: new Uint8Array(n),
    seq: new Float64Array(n),
    levelStart: new Uint32Array(n + 1),
    side: new Int8Array(levels),
    price: new Float64Array(levels),
    qty: new Float64Array(levels),
  };
  let r = 0;
  events.forEach((e, m) => {
    c.ts[m] = e.ts;
    c.isSnapshot[m] = e.isSnapshot ? 1 : 0;
    c.seq[m] = e.seq;
    c.levelStart[m] = r;
    for (const [s, side] of [[e.bids, 1], [e.asks, -1]] as const) {
      for (const [p, q] of s) {
        c.side[r] = side;
        c.price[r] = p;
        c.qty[r] = q;
        r++;
      }
    }
  });
  c.levelStart[n] = r;
  return c;
}

// ---------------------------------------------------------------------------------------------
// The book

/** Levels moved one by one up to this many; `copyWithin` beyond (its call costs more than a short loop). */
const SHIFT_LOOP_MAX = 32;

/** One side: levels sorted by ascending tick index in growable typed arrays. */
/** BookSide.set's quantity, as a column of one. */
const ONE_QTY = new Float64Array(1);

export class BookSide {
  private idx = new Float64Array(64);
  private q = new Float64Array(64);
  /** Int32 view of q's buffer (RollingMedian.pushDescending reads the high words). */
  private qw = new Int32Array(this.q.buffer);
  private n = 0;

  /**
   * `bid`: the best level is the highest index; `ask`: the lowest. Levels are kept ascending by
   * key, the tick index for bids and minus it for asks, so both sides hold their touch at the
   * end, where book updates cluster: an insert or delete there moves a few levels, not the side.
   */
  constructor(readonly isBid: boolean) {}

  get size(): number {
    return this.n;
  }

  /**
   * First position whose key is >= key i. Near the touch books are mostly dense (a level every
   * tick), where key i sits `top - i` places below the touch: that guess is checked first, a
   * binary search only when it misses (a gap, or a new level).
   */
  private find(i: number): number {
    const n = this.n;
    if (n === 0) return 0;
    const top = this.idx[n - 1];
    if (i > top) return n;
    const guess = n - 1 - (top - i);
    if (guess >= 0 && this.idx[guess] === i) return guess;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.idx[mid] < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Set the quantity at a tick index; 0 deletes it. */
  set(i: number, qty: number): void {
    ONE_QTY[0] = qty;
    this.setFrom(i, ONE_QTY, 0);
  }

  /**
   * `set(i, qtys[r])`: the quantity read here from its column, not passed in (a call that is not
   * inlined would box it: one allocation per level row).
   */
  setFrom(index: number, qtys: Float64Array, r: number): void {
    const qty = qtys[r];
    const i = this.isBid ? index : -index;
    const k = this.find(i);
    const found = k < this.n && this.idx[k] === i;
    if (qty === 0) {
      if (!found) return;
      const idx = this.idx;
      const q = this.q;
      const n = --this.n;
      if (n - k > SHIFT_LOOP_MAX) {
        idx.copyWithin(k, k + 1, n + 1);
        q.copyWithin(k, k + 1, n + 1);
      } else {
        for (let j = k; j < n; j++) {
          idx[j] = idx[j + 1];
          q[j] = q[j + 1];
        }
      }
      return;
    }
    if (found) {
      this.q[k] = qty;
      return;
    }
    if (this.n === this.idx.length) {
      this.idx = grown(this.idx, this.n * 2);
      this.q = grown(this.q, this.n * 2);
      this.qw = new Int32Array(this.q.buffer);
    }
    const idx = this.idx;
    const q = this.q;
    if (this.n - k > SHIFT_LOOP_MAX) {
      idx.copyWithin(k + 1, k, this.n);
      q.copyWithin(k + 1, k, this.n);
    } else {
      for (let j = this.n; j > k; j--) {
        idx[j] = idx[j - 1];
        q[j] = q[j - 1];
      }
    }
    idx[k] = i;
    q[k] = qty;
    this.n++;
  }

  /**
   * Snapshot fast path (L2Book.apply): the side becomes `n` levels, to be written by `put`, best
   * first. What was there is dropped.
   */
  reset(n: number): void {
    if (n > this.idx.length) {
      const cap = Math.max(n, this.idx.length * 2);
      this.idx = new Float64Array(cap);
      this.q = new Float64Array(cap);
      this.qw = new Int32Array(this.q.buffer);
    }
    this.n = n;
  }

  /** Level j from the touch (0 = the touch) of a side just `reset`: tick index `index`, quantity `qtys[r]` (> 0). */
  put(j: number, index: number, qtys: Float64Array, r: number): void {
    const k = this.n - 1 - j;
    this.idx[k] = this.isBid ? index : -index;
    this.q[k] = qtys[r];
  }

  /** Quantity at a tick index, 0 when absent. */
  get(index: number): number {
    const i = this.isBid ? index : -index;
    const k = this.find(i);
    return k < this.n && this.idx[k] === i ? this.q[k] : 0;
  }

  clear(): void {
    this.n = 0;
  }

  /** Tick index of the k-th best level (0 = the touch); NaN past the last level. */
  indexAt(k: number): number {
    if (k >= this.n) return NaN;
    const key = this.idx[this.n - 1 - k];
    return this.isBid ? key : -key;
  }

  /** Quantity of the k-th best level; 0 past the last level. */
  qtyAt(k: number): number {
    if (k >= this.n) return 0;
    return this.q[this.n - 1 - k];
  }

  /**
   * The quantity column, ascending by key: level k from the touch is at `size - 1 - k`. Read
   * only, and only until the next change (a growth replaces it).
   */
  get qtys(): Float64Array {
    return this.q;
  }

  /** `qtys` as Int32 words (two per level, same buffer). */
  get qtyWords(): Int32Array {
    return this.qw;
  }

  /** Tick index of the touch, NaN when the side is empty. */
  best(): number {
    return this.indexAt(0);
  }
}

/** An L2 book of one venue + symbol, by integer tick index. */
export class L2Book {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  /** false until the first snapshot: diffs before it are ignored (counted in `skippedDiffs`). */
  ready = false;
  skippedDiffs = 0;
  /** Scratch of loadBestFirst: the tick index of each level of the snapshot, taken once. */
  private snapIndex = new Float64Array(64);

  constructor(readonly tick: number) {
    if (!(tick > 0) || !Number.isFinite(tick)) throw new RangeError(`book: tick must be > 0, got ${tick}`);
  }

  /** Apply message m of `c`. Returns false when it was a diff before any snapshot. */
  apply(c: BookColumns, m: number): boolean {
    if (c.isSnapshot[m]) {
      this.bids.clear();
      this.asks.clear();
      this.ready = true;
      if (this.loadBestFirst(c, m)) return true;
    } else if (!this.ready) {
      this.skippedDiffs++;
      return false;
    }
    for (let r = c.levelStart[m]; r < c.levelStart[m + 1]; r++) {
      const qty = c.qty[r];
      const price = c.price[r];
      if (!(qty >= 0) || !Number.isFinite(qty) || !Number.isFinite(price)) throw badLevel(c, m, r);
      (c.side[r] > 0 ? this.bids : this.asks).setFrom(Math.round(price / this.tick), c.qty, r);
    }
    return true;
  }

  /**
   * A snapshot as venues send it, each side best level first (bids by falling price, asks by
   * rising price), every quantity > 0: the levels are written in place. Level by level, each
   * would be inserted in front of the ones before it, a search and a shift of the whole side
   * apiece. Returns false, touching nothing, for any other snapshot (then applied level by level:
   * the same book either way).
   */
  private loadBestFirst(c: BookColumns, m: number): boolean {
    const from = c.levelStart[m];
    const to = c.levelStart[m + 1];
    if (to - from > this.snapIndex.length) this.snapIndex = new Float64Array(Math.max(to - from, 2 * this.snapIndex.length));
    const snapIndex = this.snapIndex;
    let nb = 0;
    let na = 0;
    let lastBid = Infinity;
    let lastAsk = -Infinity;
    for (let r = from; r < to; r++) {
      const qty = c.qty[r];
      const price = c.price[r];
      if (!(qty >= 0) || !Number.isFinite(qty) || !Number.isFinite(price)) throw badLevel(c, m, r);
      if (!(qty > 0)) return false;
      const index = Math.round(price / this.tick);
      snapIndex[r - from] = index;
      if (c.side[r] > 0) {
        if (!(index < lastBid)) return false;
        lastBid = index;
        nb++;
      } else {
        if (!(index > lastAsk)) return false;
        lastAsk = index;
        na++;
      }
    }
    this.bids.reset(nb);
    this.asks.reset(na);
    let jb = 0;
    let ja = 0;
    for (let r = from; r < to; r++) {
      if (c.side[r] > 0) this.bids.put(jb++, snapIndex[r - from], c.qty, r);
      else this.asks.put(ja++, snapIndex[r - from], c.qty, r);
    }
    return true;
  }
}

function badLevel(c: BookColumns, m: number, r: number): RangeError {
  return new RangeError(`book: message at ${c.ts[m]} ms has a bad level [${c.price[r]}, ${c.qty[r]}] (price must be finite, qty finite and >= 0)`);
}

// ---------------------------------------------------------------------------------------------
// Where a side's touch stood lately (bounded by the approach window)

/**
 * A side's touch (tick index, NaN when empty) after each book message that changed it, kept back
 * to the last change at or before the pruning cutoff: enough to answer "where was the touch at t"
 * for any t >= cutoff. Typed arrays compacted in place; grows only with the number of touch
 * changes inside the window.
 */
export class TouchHistory {
  private ts = new Float64Array(16);
  private idx = new Float64Array(16);
  private start = 0;
  private end = 0;

  /**
   * The touch after a message at `times[m]`; entries superseded more than `keepMs` before it are
   * dropped. The time is read here, not passed in (boxed: an allocation per message).
   */
  record(times: Float64Array, m: number, index: number, keepMs: number): void {
    const ts = times[m];
    const cutoff = ts - keepMs;
    const last = this.end - 1;
    if (last >= this.start && (this.idx[last] === index || (index !== index && this.idx[last] !== this.idx[last]))) {
      this.prune(cutoff);
      return;
    }
    if (this.end === this.ts.length) {
      const n = this.end - this.start;
      if (this.start > 0 && n < this.ts.length / 2) {
        this.ts.copyWithin(0, this.start, this.end);
        this.idx.copyWithin(0, this.start, this.end);
      } else {
        const size = this.ts.length * 2;
        this.ts = grown(this.ts.subarray(this.start, this.end), size);
        this.idx = grown(this.idx.subarray(this.start, this.end), size);
      }
      this.start = 0;
      this.end = n;
    }
    this.ts[this.end] = ts;
    this.idx[this.end] = index;
    this.end++;
    this.prune(cutoff);
  }

  private prune(cutoff: number): void {
    while (this.end - this.start >= 2 && this.ts[this.start + 1] <= cutoff) this.start++;
  }

  /** The touch as of `t` (after every message with ts <= t); NaN before the first record. */
  at(t: number): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ts[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo > this.start ? this.idx[lo - 1] : NaN;
  }

  get size(): number {
    return this.end - this.start;
  }
}

// ---------------------------------------------------------------------------------------------
// Rolling median of level sizes (bounded memory)

/** Index of the high 32-bit word of a Float64 in a two-word Int32 view on this machine. */
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** Bins per octave of the size histogram: the top 4 mantissa bits (bins ~4.4% wide). */
const BIN_SHIFT = 16;
/** Bin of +Infinity, the last one (0x7ff00000 >>> 16). */
const INF_BIN = 0x7ff0;

/**
 * Median of the last `window` values (sizes: >= 0, not NaN), exact, with cheap bounds.
 *
 * Why bounds: the book operator pushes the best 20 level sizes after every message and reads the
 * typical size once per message, but only compares it with the few levels large enough to be
 * walls (`q >= 5 x median`), and that comparison is almost never close. So the window keeps a
 * histogram of its values over log-spaced bins (the float's exponent and its top 4 mantissa bits:
 * 16 bins an octave, monotone in the value, no log taken): a push is two counter updates, and
 * the bins holding the middle ranks bound the median (`bounds()`, a short walk of a cursor from
 * the last read). The exact median (`median()`) is taken only when asked: the values of those bins
 * are picked out of the ring and sorted (a few dozen of 2,000). An exact structure per push (a
 * sorted window, an indexed two-heap, sorted distinct values with counts) cost 100 - 220 ns a
 * push at 2,000 values; this costs ~20 on the bench's book.
 */
export class RollingMedian {
  private readonly ring: Float64Array;
  /** The bin of each value in the ring. */
  private readonly binRing: Uint16Array;
  private readonly counts = new Int32Array(INF_BIN + 1);
  private n = 0;
  private head = 0;
  /** Cursor: a bin and the number of window values in the bins below it. */
  private at = 0;
  private before = 0;
  private readonly bits = new Float64Array(1);
  private readonly words = new Int32Array(this.bits.buffer);
  private scratch = new Float64Array(16);
  /** After `bounds()`: lowBound <= median() <= highBound. */
  lowBound = NaN;
  highBound = NaN;

  constructor(readonly window: number) {
    if (!(Number.isInteger(window) && window > 0)) throw new RangeError(`RollingMedian: window must be a whole number > 0 (got ${window})`);
    this.ring = new Float64Array(window);
    this.binRing = new Uint16Array(window);
  }

  get count(): number {
    return this.n;
  }

  private bin(v: number): number {
    this.bits[0] = v;
    return this.words[HIGH_WORD] >>> BIN_SHIFT;
  }

  push(v: number): void {
    if (!(v >= 0)) throw new RangeError(`RollingMedian: values must be >= 0 and not NaN (got ${v})`);
    v += 0; // -0 -> 0: one bin for zero
    const head = this.head;
    this.head = head + 1 === this.window ? 0 : head + 1;
    const b = this.bin(v);
    if (this.n === this.window) {
      const old = this.binRing[head];
      if (old === b) {
        this.ring[head] = v;
        return;
      }
      this.counts[old]--;
      if (old < this.at) this.before--;
    } else {
      this.n++;
    }
    this.ring[head] = v;
    this.binRing[head] = b;
    this.counts[b]++;
    if (b < this.at) this.before++;
  }

  /**
   * The best `count` levels of a book side, touch first: `push(qtys[end - 1])`, `push(qtys[end -
   * 2])`, ... in one loop over the column, `words` being the side's Int32 view of it (the bin is
   * read from the value's high word in place: a store and a narrower load through a scratch
   * double stalls). The loop has no data-dependent branch: on the bench's book both "same bin"
   * and "below the cursor" are coin flips, and mispredicting them cost more than the counters.
   */
  pushDescending(qtys: Float64Array, words: Int32Array, end: number, count: number): void {
    const ring = this.ring;
    const binRing = this.binRing;
    const counts = this.counts;
    const window = this.window;
    const at = this.at;
    let head = this.head;
    let before = this.before;
    for (let j = end - 1; j >= end - count; j--) {
      let v = qtys[j];
      let b = words[2 * j + HIGH_WORD] >>> BIN_SHIFT;
      if (b > INF_BIN) {
        // Negative, -0 or NaN: -0 joins 0's bin, the others are refused.
        if (!(v >= 0)) throw new RangeError(`RollingMedian: values must be >= 0 and not NaN (got ${v})`);
        v = 0;
        b = 0;
      }
      const h = head;
      head = h + 1 === window ? 0 : h + 1;
      if (this.n === window) {
        const old = binRing[h];
        counts[old]--;
        before -= (old - at) >>> 31;
      } else {
        this.n++;
      }
      ring[h] = v;
      binRing[h] = b;
      counts[b]++;
      before += (b - at) >>> 31;
    }
    this.head = head;
    this.before = before;
  }

  /** The bin holding the value of rank r (0-based, ascending), r < count; the cursor is left on it. */
  private rankBin(r: number): number {
    const counts = this.counts;
    let at = this.at;
    let before = this.before;
    while (before > r) before -= counts[--at];
    while (before + counts[at] <= r) before += counts[at++];
    this.at = at;
    this.before = before;
    return at;
  }

  /** Sets lowBound and highBound around the median (NaN when empty) from the histogram alone. */
  bounds(): void {
    if (this.n === 0) {
      this.lowBound = this.highBound = NaN;
      return;
    }
    const h = this.n >> 1;
    const hi = this.rankBin(h);
    const lo = this.n & 1 ? hi : this.rankBin(h - 1);
    // The smallest value of bins lo and hi + 1, made here: a double returned from a call that is not inlined is boxed.
    const words = this.words;
    words[HIGH_WORD] = lo << BIN_SHIFT;
    words[1 - HIGH_WORD] = 0;
    this.lowBound = this.bits[0];
    if (hi >= INF_BIN) {
      this.highBound = Infinity;
    } else {
      words[HIGH_WORD] = (hi + 1) << BIN_SHIFT;
      words[1 - HIGH_WORD] = 0;
      this.highBound = this.bits[0];
    }
  }

  /** The value of rank r: its bin's values taken from the ring and sorted. */
  private rank(r: number): number {
    const b = this.rankBin(r);
    const want = this.counts[b];
    if (this.scratch.length < want) this.scratch = new Float64Array(Math.max(want, this.scratch.length * 2));
    const out = this.scratch;
    let k = 0;
    for (let i = 0; i < this.n; i++) if (this.binRing[i] === b) out[k++] = this.ring[i];
    return out.subarray(0, k).sort()[r - this.before];
  }

  /** Median (mean of the two middle values for an even count); NaN when empty. */
  median(): number {
    if (this.n === 0) return NaN;
    const h = this.n >> 1;
    if (this.n & 1) return this.rank(h);
    const lo = this.rank(h - 1);
    return (lo + this.rank(h)) / 2;
  }
}

// ---------------------------------------------------------------------------------------------
// Operator

export interface BookBaitOptions {
  /** The instrument's tick size. */
  readonly tick: number;
  /** Imbalance over the best N levels of each side. Default 10. Ignored when `imbalanceTicks` is set. */
  readonly imbalanceLevels?: number;
  /** Imbalance over levels within N ticks of each touch (1 = the touch only). Default unset (levels). */
  readonly imbalanceTicks?: number;
  /** 0: one imbalance sample per book message; > 0: one per bucket of this many ms that has book messages (its last state, stamped at the bucket's close). Default 0. */
  readonly imbalanceBucketMs?: number;
  /** Levels per side scanned for walls and sampled for the typical size. Default 10. */
  readonly wallLevels?: number;
  /** A wall is a level >= this multiple of the typical level size. Default 5. */
  readonly wallMultiple?: number;
  /** ... with a notional (qty x price, quote units) of at least this. Default 25 000. */
  readonly minWallNotional?: number;
  /** ... holding at least this share of its side's depth over the best `wallLevels` levels (itself included), [0, 1]. Default 0.2. */
  readonly minDepthShare?: number;
  /** A pulled wall is bait only when its side's touch was within this many bps of it when it went. Default 10. */
  readonly baitDistanceBps?: number;
  /** ... and that touch had come at least one tick closer since this long before (or since the wall appeared), ms. Default 10 000. */
  readonly approachMs?: number;
  /** Level-size samples in the rolling median. Default 2000. */
  readonly typicalWindow?: number;
  /** No wall is detected before the median holds this many samples. Default 200. */
  readonly minTypicalSamples?: number;
  /** A wall ends when its size falls below (1 - pullFraction) x its peak, or vanishes. Default 0.7. */
  readonly pullFraction?: number;
  /** Consumed when traded qty >= (1 - consumeTolerance) x removed qty. Default 0.2. */
  readonly consumeTolerance?: number;
  /** How long after a wall ends trades at its price still count, ms. Default 200. */
  readonly graceMs?: number;
  /**
   * Open walls tracked at most. At capacity a new wall nearer its touch than the farthest open one
   * replaces it (emitted as resting, `evicted`); otherwise it is not tracked. Default 64.
   */
  readonly maxWalls?: number;
}

export interface ImbalanceSample {
  /**
   * Message time (per-message mode), or the bucket's close time (bucket mode: the state after the
   * bucket's last book message, known only once the bucket has closed), epoch ms.
   */
  readonly ts: number;
  /** Touch prices; NaN when a side is empty. */
  readonly bestBid: number;
  readonly bestAsk: number;
  /** Quantity in the window on each side. */
  readonly bidQty: number;
  readonly askQty: number;
  /** (bidQty - askQty) / (bidQty + askQty), in [-1, 1]; NaN when both are 0. */
  readonly imbalance: number;
}

export type WallSide = 'bid' | 'ask';
/**
 * `bait`: removed without the trades to explain it while price was approaching it; `pulled`:
 * removed without those trades otherwise (price still or moving away: requotes, a stale order
 * left behind); `consumed`: traded through; `resting`: still standing.
 */
export type WallOutcome = 'bait' | 'pulled' | 'consumed' | 'resting';
/**
 * Why a wall's tracking ended: `vanished` (level deleted), `shrunk` (fell below (1 - pullFraction)
 * x peak), and for `resting`: `end` (flush), `snapshot` (a snapshot replaced the book), `evicted`
 * (more than `maxWalls` open).
 */
export type WallEnd = 'vanished' | 'shrunk' | 'end' | 'snapshot' | 'evicted';

export interface WallEvent {
  /** When the outcome was decided: end time + graceMs for pulled/consumed, else the end time. */
  readonly ts: number;
  readonly outcome: WallOutcome;
  readonly end: WallEnd;
  readonly side: WallSide;
  /** Tick index and price of the level. */
  readonly index: number;
  readonly price: number;
  /** Size when first seen as a wall, its peak while tracked, and what was left when it ended. */
  readonly size: number;
  readonly peak: number;
  readonly remaining: number;
  /** peak - remaining. */
  readonly removed: number;
  /** Aggressive qty hitting the wall's side at its price from first seen to `ts`. */
  readonly tradedQty: number;
  /** Typical level size (rolling median) when it appeared, and size / typical. */
  readonly typicalSize: number;
  readonly multiple: number;
  /** size x price, quote units. */
  readonly notional: number;
  /** size / its side's depth over the best `wallLevels` levels when it appeared. */
  readonly depthShare: number;
  readonly firstSeenTs: number;
  /** When the level vanished or shrank (or the stream ended, etc.). */
  readonly endTs: number;
  /** endTs - firstSeenTs. */
  readonly lifetimeMs: number;
  /** Ticks from its own side's touch (0 = at the touch) when it appeared, and just before it ended. */
  readonly distanceAtAppear: number;
  readonly distanceAtEnd: number;
  /**
   * Ticks its touch came closer over the `approachMs` before the end (or since it appeared, if
   * later): > 0 price was approaching it, < 0 moving away. NaN when a side was empty.
   */
  readonly approachTicks: number;
}

/** A wall being tracked (read-only view for callers). */
export interface OpenWall {
  readonly side: WallSide;
  readonly index: number;
  readonly price: number;
  readonly size: number;
  readonly peak: number;
  readonly tradedQty: number;
  readonly typicalSize: number;
  /** Size x price now, quote units (the wall rule's notional). */
  readonly notional: number;
  /** Its share of its side's depth over the best `wallLevels` levels when it appeared. */
  readonly depthShare: number;
  readonly firstSeenTs: number;
  readonly distanceAtAppear: number;
}

interface Wall {
  side: WallSide;
  index: number;
  size: number;
  peak: number;
  traded: number;
  typical: number;
  depthShare: number;
  firstSeen: number;
  distAppear: number;
  /** Set once it ended (pending a decision). */
  ended: boolean;
  end: WallEnd;
  endTs: number;
  remaining: number;
  distEnd: number;
  approach: number;
  due: number;
}

interface Params {
  readonly tick: number;
  readonly decimals: number;
  readonly imbLevels: number;
  readonly imbTicks: number;
  readonly bucket: number;
  readonly wallLevels: number;
  readonly multiple: number;
  readonly minNotional: number;
  readonly minShare: number;
  readonly baitBps: number;
  readonly approachMs: number;
  readonly window: number;
  readonly minSamples: number;
  readonly pullFraction: number;
  readonly tolerance: number;
  readonly grace: number;
  readonly maxWalls: number;
}

/** Wall defaults (the command's help prints them). */
export const WALL_DEFAULTS = {
  wallMultiple: 5,
  minWallNotional: 25_000,
  minDepthShare: 0.2,
  baitDistanceBps: 10,
  approachMs: 10_000,
} as const;

function params(o: BookBaitOptions): Params {
  const p: Params = {
    tick: o.tick,
    decimals: decimalsOf(o.tick),
    imbLevels: o.imbalanceLevels ?? 10,
    imbTicks: o.imbalanceTicks ?? NaN,
    bucket: o.imbalanceBucketMs ?? 0,
    wallLevels: o.wallLevels ?? 10,
    multiple: o.wallMultiple ?? WALL_DEFAULTS.wallMultiple,
    minNotional: o.minWallNotional ?? WALL_DEFAULTS.minWallNotional,
    minShare: o.minDepthShare ?? WALL_DEFAULTS.minDepthShare,
    baitBps: o.baitDistanceBps ?? WALL_DEFAULTS.baitDistanceBps,
    approachMs: o.approachMs ?? WALL_DEFAULTS.approachMs,
    window: o.typicalWindow ?? 2000,
    minSamples: o.minTypicalSamples ?? 200,
    pullFraction: o.pullFraction ?? 0.7,
    tolerance: o.consumeTolerance ?? 0.2,
    grace: o.graceMs ?? 200,
    maxWalls: o.maxWalls ?? 64,
  };
  const whole = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new RangeError(`book: ${name} must be a whole number >= ${min}, got ${v}`);
  };
  if (!(p.tick > 0) || !Number.isFinite(p.tick)) throw new RangeError(`book: tick must be > 0, got ${p.tick}`);
  whole('imbalanceLevels', p.imbLevels, 1);
  if (o.imbalanceTicks !== undefined) whole('imbalanceTicks', p.imbTicks, 1);
  if (!(p.bucket >= 0) || !Number.isFinite(p.bucket)) throw new RangeError(`book: imbalanceBucketMs must be >= 0, got ${p.bucket}`);
  whole('wallLevels', p.wallLevels, 1);
  if (!(p.multiple > 1)) throw new RangeError(`book: wallMultiple must be > 1, got ${p.multiple}`);
  if (!(p.minNotional >= 0) || !Number.isFinite(p.minNotional)) throw new RangeError(`book: minWallNotional must be a finite number >= 0, got ${p.minNotional}`);
  if (!(p.minShare >= 0 && p.minShare <= 1)) throw new RangeError(`book: minDepthShare must be in [0, 1], got ${p.minShare}`);
  if (!(p.baitBps >= 0) || !Number.isFinite(p.baitBps)) throw new RangeError(`book: baitDistanceBps must be a finite number >= 0, got ${p.baitBps}`);
  if (!(p.approachMs > 0) || !Number.isFinite(p.approachMs)) throw new RangeError(`book: approachMs must be > 0, got ${p.approachMs}`);
  whole('typicalWindow', p.window, 1);
  whole('minTypicalSamples', p.minSamples, 1);
  if (p.minSamples > p.window) throw new RangeError(`book: minTypicalSamples (${p.minSamples}) must be <= typicalWindow (${p.window})`);
  if (!(p.pullFraction > 0 && p.pullFraction <= 1)) throw new RangeError(`book: pullFraction must be in (0, 1], got ${p.pullFraction}`);
  if (!(p.tolerance >= 0 && p.tolerance < 1)) throw new RangeError(`book: consumeTolerance must be in [0, 1), got ${p.tolerance}`);
  if (!(p.grace >= 0) || !Number.isFinite(p.grace)) throw new RangeError(`book: graceMs must be >= 0, got ${p.grace}`);
  whole('maxWalls', p.maxWalls, 1);
  return p;
}

export interface BookBaitEmit {
  readonly imbalance?: Emit<ImbalanceSample>;
  readonly wall?: Emit<WallEvent>;
}

/**
 * The incremental operator for one venue + symbol. Feed book messages (`pushBook`,
 * `pushBookEvent`) and that market's trades (`pushTrades`) merged in time order: every input's ts
 * must be >= the previous one's, and > the last `advanceTo` watermark. How the merged stream is
 * cut into calls never changes the outputs.
 */
export class BookBaitOperator {
  private readonly p: Params;
  private book: L2Book;
  private median: RollingMedian;
  /** Where each side's touch stood over the last `approachMs` (bait needs price approaching). */
  private bidTouches = new TouchHistory();
  private askTouches = new TouchHistory();
  /** Tracked walls (open and ended-pending) by tick index. */
  private bidWalls = new Map<number, Wall>();
  private askWalls = new Map<number, Wall>();
  private open = 0;
  /** Ended walls waiting for their decision, in due order. */
  private pending: Wall[] = [];
  /** Scratch: walls ending at the current message, before they are sorted into `pending`. */
  private readonly ended: Wall[] = [];
  /** The exact typical size of the current message once taken (NaN: not yet). */
  private typical = NaN;
  /** Time of the book message being applied (read by newWalls rather than passed: no boxing). */
  private now = NaN;
  private lastTs = -Infinity;
  private watermark = -Infinity;
  /** Bucket mode: open bucket start, and its last sample (null when no book message in it). */
  private bucketStart = NaN;
  private bucketSample: ImbalanceSample | null = null;

  constructor(
    opts: BookBaitOptions,
    private readonly emit: BookBaitEmit,
  ) {
    this.p = params(opts);
    this.book = new L2Book(this.p.tick);
    this.median = new RollingMedian(this.p.window);
  }

  /** The live book (read-only use). */
  get l2(): L2Book {
    return this.book;
  }

  /** Walls being tracked and not yet ended, best first per side. */
  openWalls(): OpenWall[] {
    const out: OpenWall[] = [];
    for (const m of [this.bidWalls, this.askWalls]) {
      for (const w of m.values()) {
        if (w.ended) continue;
        const price = this.price(w.index);
        out.push({ side: w.side, index: w.index, price, size: w.size, peak: w.peak, tradedQty: w.traded, typicalSize: w.typical, notional: w.size * price, depthShare: w.depthShare, firstSeenTs: w.firstSeen, distanceAtAppear: w.distAppear });
      }
    }
    return out.sort((a, b) => (a.side === b.side ? (a.side === 'bid' ? b.index - a.index : a.index - b.index) : a.side === 'bid' ? -1 : 1));
  }

  pushBook(c: BookColumns, from = 0, to = c.length): void {
    for (let m = from; m < to; m++) this.message(c, m);
  }

  pushBookEvent(ev: BookEvent): void {
    const c = bookColumns([ev]);
    this.message(c, 0);
  }

  /** Trades of this operator's market (the venue column is not read). */
  pushTrades(t: TradeColumns, from = 0, to = t.length): void {
    for (let i = from; i < to; i++) {
      this.advanceInput(t.ts, i);
      // A sell aggressor hits bids, a buy aggressor lifts asks (most of the time no wall is tracked: no lookup).
      const walls = t.side[i] < 0 ? this.bidWalls : this.askWalls;
      if (walls.size === 0) continue;
      const w = walls.get(Math.round(t.price[i] / this.p.tick));
      if (w) w.traded += t.qty[i];
    }
  }

  /**
   * Watermark: no input with ts <= t will follow. Decisions due by t are emitted, and an
   * imbalance bucket ending by t.
   */
  advanceTo(t: number): void {
    if (t < this.lastTs) throw this.outOfOrder(t);
    this.resolveDue(t, true);
    if (this.p.bucket > 0 && this.bucketSample && t >= this.bucketStart + this.p.bucket) this.closeBucket();
    this.watermark = Math.max(this.watermark, t);
    this.lastTs = Math.max(this.lastTs, t);
  }

  /** End of stream: pending decisions, open walls (as resting) and the open bucket are emitted; state resets. */
  flush(): void {
    this.resolveDue(Infinity, true);
    this.closeAllOpen('end', this.lastTs);
    if (this.bucketSample) this.closeBucket();
    this.book = new L2Book(this.p.tick);
    this.median = new RollingMedian(this.p.window);
    this.bidTouches = new TouchHistory();
    this.askTouches = new TouchHistory();
    this.bidWalls = new Map();
    this.askWalls = new Map();
    this.open = 0;
    this.pending = [];
    this.lastTs = -Infinity;
    this.watermark = -Infinity;
    this.bucketStart = NaN;
    this.bucketSample = null;
  }

  // -------------------------------------------------------------------------------------------

  private outOfOrder(ts: number): OutOfOrderError {
    const e = new OutOfOrderError(ts, this.lastTs);
    e.message = `book input at ${ts} ms is before the previous input or watermark (${Math.max(this.lastTs, this.watermark)} ms): book messages and trades must be pushed merged in time order`;
    return e;
  }

  private price(index: number): number {
    return Number((index * this.p.tick).toFixed(this.p.decimals));
  }

  /**
   * Called before every input, at `times[i]`: ordering check, due decisions, finished bucket.
   * The time is read here: passed to a call that is not inlined, it would be boxed (epoch ms are
   * past the small integers), one allocation per input.
   */
  private advanceInput(times: Float64Array, i: number): void {
    const ts = times[i];
    if (!(ts >= this.lastTs) || ts <= this.watermark) throw this.outOfOrder(ts);
    this.lastTs = ts;
    // Nothing pending (the usual case): no call, which would box ts.
    if (this.pending.length > 0) this.resolveDue(ts, false);
    if (this.p.bucket > 0 && this.bucketSample && ts >= this.bucketStart + this.p.bucket) this.closeBucket();
  }

  /** Decide ended walls due before t (or at t too when `inclusive`). */
  private resolveDue(t: number, inclusive: boolean): void {
    let k = 0;
    while (k < this.pending.length && (this.pending[k].due < t || (inclusive && this.pending[k].due <= t))) {
      const w = this.pending[k++];
      const consumed = w.traded >= (1 - this.p.tolerance) * (w.peak - w.remaining);
      // Within baitBps of its touch: distEnd ticks x tick <= bps / 1e4 x index x tick.
      const bait = w.approach >= 1 && w.distEnd * 10_000 <= this.p.baitBps * w.index;
      this.finish(w, consumed ? 'consumed' : bait ? 'bait' : 'pulled', w.due);
    }
    if (k > 0) this.pending.splice(0, k);
  }

  private finish(w: Wall, outcome: WallOutcome, ts: number): void {
    (w.side === 'bid' ? this.bidWalls : this.askWalls).delete(w.index);
    this.emit.wall?.({
      ts,
      outcome,
      end: w.end,
      side: w.side,
      index: w.index,
      price: this.price(w.index),
      size: w.size,
      peak: w.peak,
      remaining: w.remaining,
      removed: w.peak - w.remaining,
      tradedQty: w.traded,
      typicalSize: w.typical,
      multiple: w.size / w.typical,
      notional: w.size * this.price(w.index),
      depthShare: w.depthShare,
      firstSeenTs: w.firstSeen,
      endTs: w.endTs,
      lifetimeMs: w.endTs - w.firstSeen,
      distanceAtAppear: w.distAppear,
      distanceAtEnd: w.distEnd,
      approachTicks: w.approach,
    });
  }

  private distance(side: WallSide, index: number): number {
    return side === 'bid' ? this.book.bids.best() - index : index - this.book.asks.best();
  }

  /**
   * Ticks the wall's touch came closer between `approachMs` before `ts` (or its first sight, if
   * later) and the end, where it stood `distEnd` ticks away. Reads the touch history, which
   * holds book messages before the current one only.
   */
  private approach(w: Wall, ts: number, distEnd: number): number {
    const then = (w.side === 'bid' ? this.bidTouches : this.askTouches).at(Math.max(ts - this.p.approachMs, w.firstSeen));
    const distThen = w.side === 'bid' ? then - w.index : w.index - then;
    return distThen - distEnd;
  }

  /** End an open wall as resting right away (snapshot, eviction, flush). */
  private restOpen(w: Wall, end: WallEnd, ts: number): void {
    const level = (w.side === 'bid' ? this.book.bids : this.book.asks).get(w.index);
    w.ended = true;
    w.end = end;
    w.endTs = ts;
    w.remaining = level;
    w.distEnd = this.distance(w.side, w.index);
    w.approach = this.approach(w, ts, w.distEnd);
    this.open--;
    this.finish(w, 'resting', ts);
  }

  private closeAllOpen(end: WallEnd, ts: number): void {
    const walls = [...this.bidWalls.values(), ...this.askWalls.values()].filter((w) => !w.ended);
    walls.sort(byBookOrder);
    for (const w of walls) this.restOpen(w, end, ts);
  }

  private message(c: BookColumns, m: number): void {
    const ts = c.ts[m];
    this.advanceInput(c.ts, m);
    this.now = ts;
    const snapshot = c.isSnapshot[m] === 1;
    if (snapshot && this.open > 0) this.closeAllOpen('snapshot', ts);
    // Distances "just before it ended" use the touch before this message.
    const bestBidBefore = this.book.bids.best();
    const bestAskBefore = this.book.asks.best();
    if (!this.book.apply(c, m)) return;

    // 1. Open walls that vanished or shrank past the pull fraction end here.
    if (this.open > 0) {
      const ended = this.ended;
      this.endWalls(this.bidWalls, this.book.bids, ts, bestBidBefore, bestAskBefore);
      this.endWalls(this.askWalls, this.book.asks, ts, bestBidBefore, bestAskBefore);
      if (ended.length > 1) ended.sort(byBookOrder);
      for (const w of ended) {
        this.open--;
        this.pending.push(w);
      }
      ended.length = 0;
    }

    // 2. The touches after this message, for later approach checks.
    this.bidTouches.record(c.ts, m, this.book.bids.best(), this.p.approachMs);
    this.askTouches.record(c.ts, m, this.book.asks.best(), this.p.approachMs);

    // 3. New walls, against the typical size before this message.
    if (this.median.count >= this.p.minSamples) {
      this.median.bounds();
      this.typical = NaN;
      if (this.median.lowBound > 0 || this.typicalSize() > 0) {
        this.newWalls(this.book.bids, this.bidWalls, 'bid');
        this.newWalls(this.book.asks, this.askWalls, 'ask');
      }
    }

    // 4. Typical size: the visible sizes near the touch.
    const { bids, asks } = this.book;
    this.median.pushDescending(bids.qtys, bids.qtyWords, bids.size, Math.min(this.p.wallLevels, bids.size));
    this.median.pushDescending(asks.qtys, asks.qtyWords, asks.size, Math.min(this.p.wallLevels, asks.size));

    // 5. Imbalance (nobody listening: nothing to build).
    if (!this.emit.imbalance) return;
    const sample = this.imbalance(ts);
    if (this.p.bucket === 0) {
      this.emit.imbalance?.(sample);
    } else {
      const start = Math.floor(ts / this.p.bucket) * this.p.bucket;
      this.bucketStart = start;
      this.bucketSample = { ...sample, ts: start + this.p.bucket };
    }
  }

  /** Step 1 for one side: its open walls that vanished or shrank go to `ended`. */
  private endWalls(map: Map<number, Wall>, side: BookSide, ts: number, bestBidBefore: number, bestAskBefore: number): void {
    for (const w of map.values()) {
      if (w.ended) continue;
      const q = side.get(w.index);
      if (q > w.peak) w.peak = q;
      if (q === 0 || q < (1 - this.p.pullFraction) * w.peak) {
        w.ended = true;
        w.end = q === 0 ? 'vanished' : 'shrunk';
        w.endTs = ts;
        w.remaining = q;
        w.distEnd = w.side === 'bid' ? bestBidBefore - w.index : w.index - bestAskBefore;
        w.approach = this.approach(w, ts, w.distEnd);
        w.due = ts + this.p.grace;
        this.ended.push(w);
      }
    }
  }

  /** The typical level size before this message, exact; taken from the rolling median once per message, when needed. */
  private typicalSize(): number {
    if (this.typical !== this.typical) this.typical = this.median.median();
    return this.typical;
  }

  /**
   * Step 3 for one side: levels near the touch that are walls against the typical size start
   * being tracked. A level is a wall only if q >= multiple x typical; the median's bounds settle
   * that for almost every level, the exact median is taken for the rest and for each new wall.
   */
  private newWalls(side: BookSide, map: Map<number, Wall>, name: WallSide): void {
    const levels = Math.min(this.p.wallLevels, side.size);
    // Level k from the touch is qtys[top - k]: read in place (this runs on every message).
    const qtys = side.qtys;
    const top = side.size - 1;
    let depth = 0;
    let most = 0;
    for (let k = 0; k < levels; k++) {
      const q = qtys[top - k];
      depth += q;
      if (q > most) most = q;
    }
    // Multiplying by multiple > 0 keeps the order: low <= median <= high gives the same for multiple x each.
    const below = this.p.multiple * this.median.lowBound;
    // No level reaches the lower bound (the case of almost every message): none is a wall.
    if (most < below) return;
    const minShareQty = this.p.minShare * depth;
    const above = this.p.multiple * this.median.highBound;
    for (let k = 0; k < levels; k++) {
      const q = side.qtyAt(k);
      if (q < minShareQty || q < below) continue;
      if (!(q >= above) && q < this.p.multiple * this.typicalSize()) continue;
      const index = side.indexAt(k);
      if (q * index * this.p.tick < this.p.minNotional || map.has(index)) continue;
      const ts = this.now;
      if (this.open >= this.p.maxWalls && !this.evictFartherThan(this.distance(name, index), ts)) continue;
      map.set(index, { side: name, index, size: q, peak: q, traded: 0, typical: this.typicalSize(), depthShare: q / depth, firstSeen: ts, distAppear: this.distance(name, index), ended: false, end: 'end', endTs: NaN, remaining: NaN, distEnd: NaN, approach: NaN, due: NaN });
      this.open++;
    }
  }

  /**
   * At capacity: end (as resting, `evicted`) the open wall farthest from its touch if it is
   * farther than `d` ticks, making room; false when none is (the new wall is then not tracked).
   */
  private evictFartherThan(d: number, ts: number): boolean {
    let worst: Wall | undefined;
    let worstD = d;
    for (const map of [this.bidWalls, this.askWalls]) {
      for (const w of map.values()) {
        if (w.ended) continue;
        const wd = this.distance(w.side, w.index);
        // Farthest first; on a tie the oldest, then bids before asks (map order is insertion).
        if (wd > worstD || (wd === worstD && worst && w.firstSeen < worst.firstSeen)) {
          worst = w;
          worstD = wd;
        }
      }
    }
    if (!worst) return false;
    this.restOpen(worst, 'evicted', ts);
    return true;
  }

  private closeBucket(): void {
    const s = this.bucketSample;
    this.bucketSample = null;
    if (s) this.emit.imbalance?.(s);
  }

  private imbalance(ts: number): ImbalanceSample {
    const { bids, asks } = this.book;
    const bb = bids.best();
    const ba = asks.best();
    let bidQty = 0;
    let askQty = 0;
    if (Number.isNaN(this.p.imbTicks)) {
      for (let k = 0; k < this.p.imbLevels && k < bids.size; k++) bidQty += bids.qtyAt(k);
      for (let k = 0; k < this.p.imbLevels && k < asks.size; k++) askQty += asks.qtyAt(k);
    } else {
      for (let k = 0; k < bids.size && bb - bids.indexAt(k) < this.p.imbTicks; k++) bidQty += bids.qtyAt(k);
      for (let k = 0; k < asks.size && asks.indexAt(k) - ba < this.p.imbTicks; k++) askQty += asks.qtyAt(k);
    }
    const sum = bidQty + askQty;
    return {
      ts,
      bestBid: Number.isNaN(bb) ? NaN : this.price(bb),
      bestAsk: Number.isNaN(ba) ? NaN : this.price(ba),
      bidQty,
      askQty,
      imbalance: sum > 0 ? (bidQty - askQty) / sum : NaN,
    };
  }
}

/** Bids before asks; within a side, nearest the touch first. */
function byBookOrder(a: Wall, b: Wall): number {
  if (a.side !== b.side) return a.side === 'bid' ? -1 : 1;
  return a.side === 'bid' ? b.index - a.index : a.index - b.index;
}

export interface BookBaitResult {
  readonly imbalance: ImbalanceSample[];
  readonly walls: WallEvent[];
}

/**
 * Batch path: book messages and trades of one market, each in time order, merged by ts (trades
 * before book messages at the same ts: a venue's book frame at ts already reflects the trades
 * matched by ts), then flushed.
 */
export function bookBait(book: BookColumns, trades: TradeColumns, opts: BookBaitOptions): BookBaitResult {
  const imbalance: ImbalanceSample[] = [];
  const walls: WallEvent[] = [];
  const op = new BookBaitOperator(opts, { imbalance: (s) => imbalance.push(s), wall: (w) => walls.push(w) });
  forEachMerged(book, trades, (kind, from, to) => (kind === 'book' ? op.pushBook(book, from, to) : op.pushTrades(trades, from, to)));
  op.flush();
  return { imbalance, walls };
}

/**
 * The merge order the batch path uses, as runs: `fn('trades', i, j)` / `fn('book', m, n)` over
 * consecutive index ranges. Exposed so callers (and tests) can feed the incremental operator the
 * same stream.
 */
export function forEachMerged(book: BookColumns, trades: TradeColumns, fn: (kind: 'book' | 'trades', from: number, to: number) => void): void {
  let m = 0;
  let i = 0;
  while (m < book.length || i < trades.length) {
    if (i < trades.length && (m >= book.length || trades.ts[i] <= book.ts[m])) {
      const from = i;
      while (i < trades.length && (m >= book.length || trades.ts[i] <= book.ts[m])) i++;
      fn('trades', from, i);
    } else {
      const from = m;
      while (m < book.length && (i >= trades.length || book.ts[m] < trades.ts[i])) m++;
      fn('book', from, m);
    }
  }
}
