/**
 * One venue's limit order book for the simulator: price-time priority over integer tick indexes,
 * every resting order keeping its owner so each fill has a taker and a maker.
 *
 * Prices are tick indexes relative to a window (`origin` + 0 .. size-1) that the venue model maps
 * to prices; a window of 2^18 ticks holds ±14 % around a 90,000 BTC at a 0.1 tick. Quantities
 * are whole lots (the venue's lot in base units is applied when printing), so every resting size
 * and every fill is on the venue's lot grid by construction.
 *
 * Storage is columnar and preallocated: an order pool (typed arrays, free list, intrusive FIFO per
 * level) and per-level totals. Matching writes its fills into reusable typed arrays; nothing in
 * the hot path allocates. Levels touched since the last `takeDirty` are listed so the venue can
 * print the book as diffs.
 */
import { grown } from '../core/columns.ts';

export const BID = 0;
export const ASK = 1;
export type BookSide = typeof BID | typeof ASK;

const NONE = -1;
/**
 * The end of a FIFO link. Order slot 0 is never used, so 0 can mean "no order": the 2 × 2^18
 * head/tail columns then need no fill at construction (zeroed pages are free until touched,
 * where a fill(-1) wrote 4 MB per book each run).
 */
const NIL = 0;

export class OrderBook {
  readonly size: number;
  /** Per side (side × size + level): total resting lots, head and tail order of the FIFO. */
  readonly levelLots: Float64Array;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /**
   * One bit per level per side (side × words + level / 32): set while the level holds an order.
   * When the touch empties, the next best level is found a word (32 levels) at a time: scanning
   * level by level walked ~13M empty levels per simulated hour (the gaps of the makers' sparse
   * ladders, and a side swept empty meant a walk across the whole window).
   */
  private readonly occupied: Int32Array;
  private readonly words: number;
  /**
   * Per side, how many resting orders matching removed (filled, or skipped by self-trade
   * prevention): an owner that sees it unchanged knows its orders on that side all still rest.
   */
  readonly matchedOut = new Int32Array(2);
  /** Best bid level (NONE when the side is empty) and best ask level (`size` when empty). */
  bestBid = NONE;
  bestAsk: number;

  // Order pool.
  private cap: number;
  orderLots: Float64Array;
  orderOwner: Int32Array;
  orderLevel: Int32Array;
  orderSide: Uint8Array;
  orderAlive: Uint8Array;
  private orderNext: Int32Array;
  private orderPrev: Int32Array;
  private freeList: Int32Array;
  private freeCount = 0;
  /** Slots handed out so far; slot 0 is NIL. */
  private used = 1;

  // Fills of the last market order.
  fillCount = 0;
  fillLevel: Int32Array;
  fillLots: Float64Array;
  fillOwner: Int32Array;

  // Levels changed since the last takeDirty (side × size + level).
  private readonly dirtyFlag: Uint8Array;
  private dirtyList: Int32Array;
  private dirtyCount = 0;

  constructor(size = 1 << 18, orderCapacity = 1 << 14) {
    this.size = size;
    this.bestAsk = size;
    this.levelLots = new Float64Array(2 * size);
    this.head = new Int32Array(2 * size);
    this.tail = new Int32Array(2 * size);
    this.words = (size + 31) >> 5;
    this.occupied = new Int32Array(2 * this.words);
    this.dirtyFlag = new Uint8Array(2 * size);
    this.dirtyList = new Int32Array(1024);
    this.cap = orderCapacity;
    this.orderLots = new Float64Array(orderCapacity);
    this.orderOwner = new Int32Array(orderCapacity);
    this.orderLevel = new Int32Array(orderCapacity);
    this.orderSide = new Uint8Array(orderCapacity);
    this.orderAlive = new Uint8Array(orderCapacity);
    this.orderNext = new Int32Array(orderCapacity);
    this.orderPrev = new Int32Array(orderCapacity);
    this.freeList = new Int32Array(orderCapacity);
    this.fillLevel = new Int32Array(1024);
    this.fillLots = new Float64Array(1024);
    this.fillOwner = new Int32Array(1024);
  }

  /** Whether `order` is a live order of `owner` resting at `level` on `side` (an owner's handle check). */
  owns(order: number, owner: number, side: BookSide, level: number): boolean {
    return order >= 0 && order < this.used && this.orderAlive[order] === 1 && this.orderOwner[order] === owner && this.orderLevel[order] === level && this.orderSide[order] === side;
  }

  /**
   * Rest a post-only limit order: refused (NONE) when it would cross the other side or lies
   * outside the window. Returns the order id (>= 1: slot 0 is NIL, so owners may use 0 for none).
   */
  add(side: BookSide, level: number, lots: number, owner: number): number {
    if (!(lots > 0) || level < 0 || level >= this.size) return NONE;
    if (side === BID ? level >= this.bestAsk : level <= this.bestBid) return NONE;
    const id = this.allocate();
    this.orderLots[id] = lots;
    this.orderOwner[id] = owner;
    this.orderLevel[id] = level;
    this.orderSide[id] = side;
    this.orderAlive[id] = 1;
    const k = side * this.size + level;
    const t = this.tail[k];
    this.orderPrev[id] = t;
    this.orderNext[id] = NIL;
    if (t === NIL) {
      this.head[k] = id;
      this.occupied[side * this.words + (level >> 5)] |= 1 << (level & 31);
    }
    else this.orderNext[t] = id;
    this.tail[k] = id;
    this.levelLots[k] += lots;
    this.markDirty(k);
    if (side === BID) {
      if (level > this.bestBid) this.bestBid = level;
    } else if (level < this.bestAsk) this.bestAsk = level;
    return id;
  }

  /** Remove a live order (its remaining lots); returns the lots removed (0 if it was not live). */
  cancel(id: number): number {
    if (id < 0 || id >= this.used || this.orderAlive[id] === 0) return 0;
    const lots = this.orderLots[id];
    this.unlink(id);
    this.release(id);
    return lots;
  }

  /**
   * A market (IOC) order of `lots` for `owner`: `side` BID buys (takes asks from the best up),
   * ASK sells. It stops after `maxLevels` price levels (the venue's price protection) or when the
   * other side is empty. The fills are left in fillLevel/fillLots/fillOwner[0..fillCount);
   * returns the lots filled. A taker never trades with its own resting orders (self-trade
   * prevention: they are skipped, as the venues' expire-maker modes would cancel them).
   */
  market(side: BookSide, lots: number, owner: number, maxLevels: number): number {
    this.fillCount = 0;
    let left = lots;
    const other = side === BID ? ASK : BID;
    let levels = 0;
    while (left > 0 && levels < maxLevels) {
      const level = other === ASK ? this.bestAsk : this.bestBid;
      if (level < 0 || level >= this.size) break;
      const k = other * this.size + level;
      let id = this.head[k];
      let progressed = false;
      while (id !== NIL && left > 0) {
        const next = this.orderNext[id];
        if (this.orderOwner[id] === owner) {
          this.matchedOut[other]++;
          this.unlink(id);
          this.release(id);
          id = next;
          continue;
        }
        const take = this.orderLots[id] <= left ? this.orderLots[id] : left;
        this.pushFill(level, take, this.orderOwner[id]);
        left -= take;
        progressed = true;
        if (take === this.orderLots[id]) {
          this.matchedOut[other]++;
          this.unlink(id);
          this.release(id);
        } else {
          this.orderLots[id] -= take;
          this.levelLots[k] -= take;
          this.markDirty(k);
        }
        id = next;
      }
      if (this.head[k] === NIL) this.refreshBest(other);
      if (progressed || this.head[k] === NIL) levels++;
    }
    return lots - left;
  }

  /**
   * The occupied levels of `side` into `out` (grown as needed), best first: bids from the highest
   * level down, asks from the lowest up; returns how many. Walks the occupancy bitmap a word at a
   * time (a snapshot of a 2^18-level window visited every level of both sides before).
   */
  occupiedLevels(side: BookSide, out: Int32Array[]): number {
    const occ = this.occupied;
    const base = side * this.words;
    let n = 0;
    let buf = out[0];
    const push = (level: number) => {
      if (n === buf.length) buf = out[0] = grown(buf, buf.length * 2);
      buf[n++] = level;
    };
    if (side === BID) {
      for (let w = this.words - 1; w >= 0; w--) {
        let bits = occ[base + w];
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits);
          push((w << 5) + b);
          bits &= ~(1 << b);
        }
      }
    } else {
      for (let w = 0; w < this.words; w++) {
        let bits = occ[base + w];
        while (bits !== 0) {
          const low = bits & -bits;
          push((w << 5) + 31 - Math.clz32(low));
          bits ^= low;
        }
      }
    }
    return n;
  }

  /** Lots resting at a level. */
  lotsAt(side: BookSide, level: number): number {
    return level < 0 || level >= this.size ? 0 : this.levelLots[side * this.size + level];
  }

  /** The levels changed since the last call, as side × size + level keys (a view, valid until the next change). Clears the set. */
  takeDirty(): Int32Array {
    return this.dirtyList.subarray(0, this.takeDirtySorted());
  }

  /**
   * The same without a view: sorts the changed keys ascending at the front of `dirtyKeys` and
   * returns how many there are (the clock's book diffs, every 100 ms per venue: no allocation).
   */
  takeDirtySorted(): number {
    const keys = this.dirtyList;
    const n = this.dirtyCount;
    for (let i = 0; i < n; i++) this.dirtyFlag[keys[i]] = 0;
    this.dirtyCount = 0;
    if (n > 64) keys.subarray(0, n).sort();
    else {
      // Insertion sort: a diff is a few dozen keys, mostly in runs already.
      for (let i = 1; i < n; i++) {
        const k = keys[i];
        let j = i - 1;
        while (j >= 0 && keys[j] > k) {
          keys[j + 1] = keys[j];
          j--;
        }
        keys[j + 1] = k;
      }
    }
    return n;
  }

  /** The keys takeDirtySorted left at the front (valid until the next change). */
  get dirtyKeys(): Int32Array {
    return this.dirtyList;
  }

  private markDirty(k: number): void {
    if (this.dirtyFlag[k] === 1) return;
    this.dirtyFlag[k] = 1;
    if (this.dirtyCount === this.dirtyList.length) this.dirtyList = grown(this.dirtyList, this.dirtyList.length * 2);
    this.dirtyList[this.dirtyCount++] = k;
  }

  private pushFill(level: number, lots: number, owner: number): void {
    if (this.fillCount === this.fillLevel.length) {
      const n = this.fillCount * 2;
      this.fillLevel = grown(this.fillLevel, n);
      this.fillLots = grown(this.fillLots, n);
      this.fillOwner = grown(this.fillOwner, n);
    }
    this.fillLevel[this.fillCount] = level;
    this.fillLots[this.fillCount] = lots;
    this.fillOwner[this.fillCount] = owner;
    this.fillCount++;
  }

  private unlink(id: number): void {
    const side = this.orderSide[id] as BookSide;
    const k = side * this.size + this.orderLevel[id];
    const p = this.orderPrev[id];
    const n = this.orderNext[id];
    if (p === NIL) this.head[k] = n;
    else this.orderNext[p] = n;
    if (n === NIL) this.tail[k] = p;
    else this.orderPrev[n] = p;
    this.levelLots[k] -= this.orderLots[id];
    this.markDirty(k);
    if (this.head[k] === NIL) {
      const level = this.orderLevel[id];
      this.levelLots[k] = 0; // no float residue on an empty level
      this.occupied[side * this.words + (level >> 5)] &= ~(1 << (level & 31));
      if (side === BID && level === this.bestBid) this.refreshBest(BID);
      else if (side === ASK && level === this.bestAsk) this.refreshBest(ASK);
    }
  }

  /** The best level from the current one outward: the highest non-empty bid at or below it, the lowest ask at or above it. */
  private refreshBest(side: BookSide): void {
    const occ = this.occupied;
    if (side === BID) {
      const i = this.bestBid;
      if (i < 0) return;
      let w = i >> 5;
      let bits = occ[w] & (0xffffffff >>> (31 - (i & 31))); // the levels at or below i in its word
      while (bits === 0 && w > 0) bits = occ[--w];
      this.bestBid = bits === 0 ? NONE : (w << 5) + 31 - Math.clz32(bits);
    } else {
      const i = this.bestAsk;
      if (i >= this.size) return;
      const base = this.words;
      let w = i >> 5;
      let bits = occ[base + w] & (-1 << (i & 31)); // the levels at or above i in its word
      while (bits === 0 && w < this.words - 1) bits = occ[base + ++w];
      this.bestAsk = bits === 0 ? this.size : (w << 5) + 31 - Math.clz32(bits & -bits);
    }
  }

  private allocate(): number {
    if (this.freeCount > 0) return this.freeList[--this.freeCount];
    if (this.used === this.cap) this.grow();
    return this.used++;
  }

  private release(id: number): void {
    this.orderAlive[id] = 0;
    this.orderLots[id] = 0;
    this.freeList[this.freeCount++] = id;
  }

  private grow(): void {
    const n = this.cap * 2;
    this.orderLots = grown(this.orderLots, n);
    this.orderOwner = grown(this.orderOwner, n);
    this.orderLevel = grown(this.orderLevel, n);
    this.orderSide = grown(this.orderSide, n);
    this.orderAlive = grown(this.orderAlive, n);
    this.orderNext = grown(this.orderNext, n);
    this.orderPrev = grown(this.orderPrev, n);
    this.freeList = grown(this.freeList, n);
    this.cap = n;
  }
}
