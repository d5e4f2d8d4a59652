/**
 * A sum over a sliding window of exchange time, per venue too: entries (ts, value, venue) kept in
 * ts order in typed arrays, evicted once `ts <= now - windowMs`. No allocation per entry once the
 * arrays have grown to the window's busiest content.
 *
 * Entries may arrive late (venues' clocks and feeds differ by a few ms to seconds): a late entry
 * is inserted at its place from the end, so eviction stays exact; one already outside the window
 * is not counted at all.
 */
export class RollingSum {
  /** Sum of the values in the window. */
  sum = 0;
  /** The same per venue index. */
  readonly byVenue: Float64Array;
  private ts = new Float64Array(64);
  private val = new Float64Array(64);
  private ven = new Uint8Array(64);
  private head = 0;
  private tail = 0;

  constructor(
    readonly windowMs: number,
    venues: number,
  ) {
    this.byVenue = new Float64Array(venues);
  }

  get size(): number {
    return this.tail - this.head;
  }

  /** Add an entry; `now` is the latest time seen (>= ts for every entry so far). False when it was already outside the window. */
  add(ts: number, value: number, venue: number, now: number): boolean {
    if (ts <= now - this.windowMs) return false;
    if (this.tail === this.ts.length) this.makeRoom();
    let i = this.tail++;
    // Shift later entries up by one: late entries are rare and land near the end.
    while (i > this.head && this.ts[i - 1] > ts) {
      this.ts[i] = this.ts[i - 1];
      this.val[i] = this.val[i - 1];
      this.ven[i] = this.ven[i - 1];
      i--;
    }
    this.ts[i] = ts;
    this.val[i] = value;
    this.ven[i] = venue;
    this.sum += value;
    this.byVenue[venue] += value;
    return true;
  }

  /** Drop the entries at or before `now - windowMs`. */
  evict(now: number): void {
    const edge = now - this.windowMs;
    while (this.head < this.tail && this.ts[this.head] <= edge) {
      this.sum -= this.val[this.head];
      this.byVenue[this.ven[this.head]] -= this.val[this.head];
      this.head++;
    }
    if (this.head === this.tail) {
      // Empty: reset, which also clears the rounding a long run of + and - leaves behind.
      this.head = this.tail = 0;
      this.sum = 0;
      this.byVenue.fill(0);
    }
  }

  /** Compact to the front, or grow when more than half full. */
  private makeRoom(): void {
    const n = this.tail - this.head;
    if (n * 2 > this.ts.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T, make: (len: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a.subarray(this.head, this.tail));
        return b;
      };
      this.ts = grow(this.ts, (l) => new Float64Array(l));
      this.val = grow(this.val, (l) => new Float64Array(l));
      this.ven = grow(this.ven, (l) => new Uint8Array(l));
    } else {
      this.ts.copyWithin(0, this.head, this.tail);
      this.val.copyWithin(0, this.head, this.tail);
      this.ven.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = n;
  }
}
