/**
 * Typed-array binary heaps for the simulator: the agenda (agent wake-ups, earliest first, ties in
 * scheduling order so a run is deterministic) and the liquidation-price heaps (the holder nearest
 * its liquidation on top). No allocation once grown.
 */

/** Max-heap of (key, a, b) with a tie-break counter: equal keys pop in push order. */
export class MaxHeap {
  private keys: Float64Array;
  private ties: Float64Array;
  private as: Int32Array;
  private bs: Int32Array;
  private counter = 0;
  length = 0;

  constructor(capacity = 1024) {
    this.keys = new Float64Array(capacity);
    this.ties = new Float64Array(capacity);
    this.as = new Int32Array(capacity);
    this.bs = new Int32Array(capacity);
  }

  push(key: number, a: number, b = 0): void {
    if (this.length === this.keys.length) this.grow();
    let i = this.length++;
    const tie = -this.counter++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p] > key || (this.keys[p] === key && this.ties[p] > tie)) break;
      this.keys[i] = this.keys[p];
      this.ties[i] = this.ties[p];
      this.as[i] = this.as[p];
      this.bs[i] = this.bs[p];
      i = p;
    }
    this.keys[i] = key;
    this.ties[i] = tie;
    this.as[i] = a;
    this.bs[i] = b;
  }

  topKey(): number {
    return this.length === 0 ? -Infinity : this.keys[0];
  }
  topA(): number {
    return this.as[0];
  }
  topB(): number {
    return this.bs[0];
  }

  pop(): void {
    const n = --this.length;
    if (n === 0) return;
    const key = this.keys[n];
    const tie = this.ties[n];
    const a = this.as[n];
    const b = this.bs[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (this.keys[r] > this.keys[l] || (this.keys[r] === this.keys[l] && this.ties[r] > this.ties[l]))) c = r;
      if (this.keys[c] < key || (this.keys[c] === key && this.ties[c] < tie)) break;
      this.keys[i] = this.keys[c];
      this.ties[i] = this.ties[c];
      this.as[i] = this.as[c];
      this.bs[i] = this.bs[c];
      i = c;
    }
    this.keys[i] = key;
    this.ties[i] = tie;
    this.as[i] = a;
    this.bs[i] = b;
  }

  private grow(): void {
    const n = this.keys.length * 2;
    const k = new Float64Array(n);
    k.set(this.keys);
    this.keys = k;
    const t = new Float64Array(n);
    t.set(this.ties);
    this.ties = t;
    const a = new Int32Array(n);
    a.set(this.as);
    this.as = a;
    const b = new Int32Array(n);
    b.set(this.bs);
    this.bs = b;
  }
}

/** The agenda: which agent wakes next. A max-heap on −time, so the earliest pops first. */
export class Agenda {
  private readonly heap = new MaxHeap(256);

  schedule(time: number, agent: number): void {
    this.heap.push(-time, agent);
  }
  get empty(): boolean {
    return this.heap.length === 0;
  }
  nextTime(): number {
    return -this.heap.topKey();
  }
  /** Pops the earliest wake-up and returns its agent. */
  pop(): number {
    const a = this.heap.topA();
    this.heap.pop();
    return a;
  }
}
